"""``dcc-conformance``: the bundled suite from any directory, and the report commands."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_dcc.errors import ConfigError

CONFORMANCE_USAGE = """usage:
  dcc-conformance [--no-html] [pytest options...]   run the bundled suite; reports under --dcc-report-dir (reports/)
  dcc-conformance bundle [--report-dir D] [-o FILE]  pack a run into a certification bundle (.tar.gz)
  dcc-conformance verify-bundle FILE                 check a bundle offline against the suite installed here
  dcc-conformance diff A.json B.json                 compare two verdicts.json; exit 1 on a regression
  dcc-conformance releases R1 R2                     which clauses change expected behaviour from R1 to R2
  dcc-conformance matrix [-o DIR] V.json...          the clause matrix of several runs (one column each)
  dcc-conformance check-driver MODULE:FACTORY [--device EUI ...]
                                                     check a vendor's driver against the contract, offline
  dcc-conformance statement-skeleton --endpoint URL --pki DIR --user EUI (--uprn N | --postcode P --address A)
                  [--release R] [-o FILE]            a statement skeleton from SR 8.2 of one premises
"""


def _suite_options() -> str:
    """The plugin's option group as ``pytest --help`` prints it (any other pytest option is accepted too)."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = done.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("DUIS conformance (pytest-dcc):")), None)
    if start is None:
        return "suite options: python -m pytest --help (group 'DUIS conformance (pytest-dcc)')"
    end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith(" ")), len(lines))
    return "\n".join(["suite options (and any other pytest option):", *lines[start + 1 : end]]).rstrip()


def _option_value(args: list[str], name: str) -> str | None:
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _run_suite(args: list[str]) -> int:
    import subprocess

    from pytest_dcc.errors import HtmlReportError
    from pytest_dcc.reporting.html import generate
    from pytest_dcc.settings import OPTION

    html = "--no-html" not in args
    args = [a for a in args if a != "--no-html"]
    report_dir = Path(_option_value(args, "--dcc-report-dir") or OPTION["dcc_report_dir"].default)
    defaults = []
    results = _option_value(args, "--alluredir")
    if results is None:
        results = str(report_dir / "allure-results")
        defaults += ["--alluredir", results]
        if "--clean-alluredir" not in args:
            defaults.append("--clean-alluredir")  # a report holds this run only
    if not any(a.startswith("--junitxml") or a.startswith("--junit-xml") for a in args):
        defaults += ["--junitxml", str(report_dir / "junit.xml")]
    command = [sys.executable, "-m", "pytest", "--pyargs", "pytest_dcc.suite", *defaults, *args]
    try:
        code = subprocess.call(command)
    except KeyboardInterrupt:
        return 130
    if html and code in (0, 1):
        try:
            index = generate(Path(results), report_dir / "allure-report")
            _link_matrix(report_dir)
            print(f"dcc-conformance: HTML report {index} (one file: open it in a browser from disk)")
        except HtmlReportError as exc:
            print(f"dcc-conformance: HTML report not generated: {exc}", file=sys.stderr)
    return code


def _link_matrix(report_dir: Path) -> None:
    """Now that the Allure report is there, the clause matrix beside it links each scenario to its result."""
    from pytest_dcc.reporting import matrix

    verdicts = report_dir / "verdicts.json"
    if not verdicts.is_file():
        return
    table = matrix.build([_load_json(str(verdicts))])
    (report_dir / "clause-matrix.md").write_text(matrix.to_markdown(table), encoding="utf-8")
    (report_dir / "clause-matrix.html").write_text(matrix.to_html(table), encoding="utf-8")


def _load_json(path: str) -> dict[str, Any]:
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read a verdicts.json: {exc}") from None
    if not isinstance(value, dict) or "scenarios" not in value:
        raise ConfigError(f"{path} is not a verdicts.json (no scenarios)")
    return value


def _reports_command(command: str, rest: list[str]) -> int:
    from pytest_dcc.reporting import bundle, gate, matrix

    parser = argparse.ArgumentParser(prog=f"dcc-conformance {command}")
    if command == "bundle":
        parser.add_argument("--report-dir", default="reports")
        parser.add_argument(
            "-o", "--output", default=None, help="archive to write (default REPORT_DIR/dcc-certification-bundle.tar.gz)"
        )
        args = parser.parse_args(rest)
        output = Path(args.output or Path(args.report_dir) / "dcc-certification-bundle.tar.gz")
        print(f"bundle {bundle.make_bundle(Path(args.report_dir), output)}")
        return 0
    if command == "verify-bundle":
        parser.add_argument("file")
        checked = bundle.verify(Path(parser.parse_args(rest).file))
        print(checked.report())
        return 0 if checked.ok else 1
    if command in ("diff", "releases"):
        parser.add_argument("a")
        parser.add_argument("b")
        args = parser.parse_args(rest)
    if command == "diff":
        comparison = gate.compare(_load_json(args.a), _load_json(args.b))
        print(comparison.report())
        return 1 if comparison.regression else 0
    if command == "releases":
        try:
            print(gate.release_report(args.a, args.b))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        return 0
    if command == "check-driver":
        return _check_driver(parser, rest)
    if command == "statement-skeleton":
        return _statement_skeleton(parser, rest)
    parser.add_argument("-o", "--output", default="reports")
    parser.add_argument("verdicts", nargs="+")
    args = parser.parse_args(rest)
    table = matrix.build([_load_json(v) for v in args.verdicts])
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    (out / "clause-matrix.md").write_text(matrix.to_markdown(table, allure_report=None), encoding="utf-8")
    (out / "clause-matrix.html").write_text(matrix.to_html(table, allure_report=None), encoding="utf-8")
    print(f"clause matrix {out / 'clause-matrix.md'} and {out / 'clause-matrix.html'}")
    return 0


def _check_driver(parser: argparse.ArgumentParser, rest: list[str]) -> int:
    from pytest_dcc.drivers.check import check_driver, load_driver
    from pytest_dcc.errors import DccError

    parser.add_argument("driver", help="module:factory returning the driver (a class or a function)")
    parser.add_argument("--device", action="append", default=[], help="an EUI of the estate the driver knows")
    args = parser.parse_args(rest)
    sys.path.insert(0, str(Path.cwd()))
    try:
        driver = load_driver(args.driver)
    except DccError as exc:
        raise ConfigError(str(exc)) from None
    findings = check_driver(driver, args.device)
    for finding in findings:
        print(finding.line())
    failed = [f for f in findings if not f.ok]
    print(f"driver {getattr(driver, 'name', '?')}: {len(findings) - len(failed)} ok, {len(failed)} failed")
    return 1 if failed else 0


def _statement_skeleton(parser: argparse.ArgumentParser, rest: list[str]) -> int:
    from pytest_dcc._resources import default_state_dir
    from pytest_dcc.errors import DccError
    from pytest_dcc.skeleton import skeleton, write_skeleton

    parser.add_argument("--endpoint", required=True, help="the DUIS endpoint (e.g. http://dccboxed:8079)")
    parser.add_argument(
        "--pki", required=True, type=Path, help="the key folder (DCC Boxed's as it ships, or a test PKI)"
    )
    parser.add_argument("--user", required=True, help="the EUI-64 of the user sending SR 8.2 (the supplier)")
    parser.add_argument("--uprn", type=int)
    parser.add_argument("--postcode")
    parser.add_argument("--address", help="the AddressIdentifier, with --postcode")
    parser.add_argument("--release", default="latest")
    parser.add_argument(
        "--state-dir", type=Path, default=None,
        help="the state folder the suite's runs use (--dcc-state-dir; default $PYTEST_DCC_STATE, else "
        "~/.cache/pytest-dcc): the user's originator counter is kept there, so the suite's next request is above it",
    )  # fmt: skip
    parser.add_argument("-o", "--output", type=Path, default=Path("statement.yaml"))
    args = parser.parse_args(rest)
    if (args.uprn is None) == (args.postcode is None or args.address is None):
        parser.error("give --uprn, or --postcode with --address")
    query = (
        {"uprn": args.uprn}
        if args.uprn is not None
        else {"postcode": args.postcode, "address_identifier": args.address}
    )
    try:
        state_dir = args.state_dir.expanduser() if args.state_dir else default_state_dir()
        document = skeleton(args.endpoint, args.pki, args.user, query, state_dir=state_dir, release=args.release)
    except DccError as exc:
        raise ConfigError(str(exc)) from None
    write_skeleton(document, args.output, args.endpoint)
    print(f"statement skeleton {args.output}: {len(document['devices'])} devices; declare joins: before a run")
    return 0


REPORT_COMMANDS = ("bundle", "verify-bundle", "diff", "releases", "matrix", "check-driver", "statement-skeleton")


def conformance(argv: Sequence[str] | None = None) -> int:
    """``dcc-conformance``: run the bundled conformance suite from any directory (Allure results, JUnit XML,
    verdicts.json, the clause matrix and the Allure HTML report under ``reports/``), or one of the report commands
    (bundle, verify-bundle, diff, releases, matrix). pytest runs in a fresh interpreter, so the plugin's modules
    are imported (and assertion-rewritten) by pytest itself."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        print(CONFORMANCE_USAGE)
        print(_suite_options())
        return 0
    if args and args[0] in REPORT_COMMANDS:
        try:
            return _reports_command(args[0], args[1:])
        except ConfigError as exc:
            print(f"dcc-conformance {args[0]}: error: {exc}", file=sys.stderr)
            return 2
    return _run_suite(args)


__all__ = ["CONFORMANCE_USAGE", "REPORT_COMMANDS", "conformance"]

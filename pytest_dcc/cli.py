"""``pytest-dcc`` command line: ``pytest-dcc serve`` runs the reference DCC as an HTTP(S) server."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from pytest_dcc._resources import default_state_dir
from pytest_dcc.duis.pki import TestPki, load_or_create_pki
from pytest_dcc.duis.schema import load_schema
from pytest_dcc.duis.signing import SigningIdentity, certificate_eui, load_certificate
from pytest_dcc.errors import ConfigError, InventoryError
from pytest_dcc.reference import boxed
from pytest_dcc.reference.dcc import ReferenceDcc
from pytest_dcc.reference.inventory import Inventory, User, load_inventory_file
from pytest_dcc.reference.server import (
    Deliveries,
    ResponsePoster,
    check_delivery_settings,
    check_response_url,
    is_loopback,
    make_app,
)
from pytest_dcc.reference.setup import attach_user_certificates
from pytest_dcc.spec import DCC_EUI
from pytest_dcc.spec.releases import RELEASES, release


def _port(text: str) -> int:
    """A TCP port: 1-65535 (0 picks a free one); anything else is a one-line usage error."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a TCP port number (1-65535), given: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be a TCP port number (1-65535), given: {port}")
    return port


LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default, unless it has none or its help already says what happens without it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default is None or "default" in text:
            return text
        return super()._get_help_string(action) or text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pytest-dcc", description="pytest-dcc tools")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run the reference DCC as an HTTP(S) server",
        formatter_class=_DefaultsFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (--test-control needs loopback)")
    serve.add_argument("--port", type=_port, default=8079, help="TCP port (DCC Boxed's is 8079)")
    serve.add_argument("--release", default="latest", help=f"SEC release: {', '.join([*RELEASES, 'latest'])}")
    serve.add_argument(
        "--inventory",
        type=Path,
        help="inventory file (YAML or JSON) to seed the SMI with (default: DCC Boxed's test users and one premises "
        "on the DUIS templates' EUIs, when the SMI is empty)",
    )
    serve.add_argument(
        "--db", type=Path, help="SQLite file for the SMI (default: in memory); reused as it is when it exists"
    )
    serve.add_argument(
        "--reseed", action="store_true", help="load --inventory even into a --db that already holds an inventory"
    )
    serve.add_argument(
        "--pki",
        type=Path,
        help="test PKI folder (created if absent, reused if present) or a folder of keys laid out as DCC Boxed ships "
        "them, read in place (default, without --signing-key: <state folder>/pki, shared with the suite; the state "
        "folder is $PYTEST_DCC_STATE or ~/.cache/pytest-dcc)",
    )
    serve.add_argument("--signing-key", type=Path, help="the DCC's response-signing key (PEM or DER)")
    serve.add_argument("--signing-cert", type=Path, help="the DCC's response-signing certificate")
    serve.add_argument("--user-cert", type=Path, action="append", default=[], help="a user's XML-signing certificate")
    serve.add_argument(
        "--response-url",
        help="the users' Receive Response Service address for asynchronous responses (default: none; the suite "
        "registers its receiver through test control)",
    )
    serve.add_argument(
        "--delivery-attempts", type=int, default=5, help="tries per asynchronous response before it is marked failed"
    )
    serve.add_argument(
        "--delivery-backoff", type=float, default=0.5, help="seconds before the first retry; doubles each time"
    )
    serve.add_argument("--delivery-backoff-max", type=float, default=30.0, help="longest wait between retries")
    serve.add_argument("--delivery-timeout", type=float, default=10.0, help="seconds per delivery attempt")
    serve.add_argument("--xsd", type=Path, help="validate requests against an official DUIS XSD (file or folder)")
    serve.add_argument("--no-verify-signatures", action="store_true", help="do not check request signatures")
    serve.add_argument("--tls-cert", type=Path, help="serve HTTPS with this certificate (chain) ...")
    serve.add_argument("--tls-key", type=Path, help="... and this key")
    serve.add_argument("--client-ca", type=Path, help="require client certificates issued by this CA (mTLS)")
    serve.add_argument(
        "--test-control",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the test-control API (loopback clients only); default: on when --host is a loopback address",
    )
    serve.add_argument("--log-level", default="info", choices=LOG_LEVELS, help="how much the server logs")
    return parser


def _check_port_free(host: str, port: int) -> None:
    """A port already in use is a one-line error before anything is started or logged as listening."""
    import socket

    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ConfigError(f"--host {host}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise ConfigError(f"--port {port}: cannot listen on {host}:{port} ({exc.strerror or exc})") from None


def pki_folder(args: argparse.Namespace) -> Path:
    """The key folder in use, as an absolute path."""
    return Path(args.pki).expanduser().resolve()


def build_from_args(args: argparse.Namespace) -> tuple[ReferenceDcc, TestPki | None]:
    """The reference DCC the ``serve`` arguments describe; :class:`ConfigError` names a bad argument."""
    try:
        chosen = release(args.release)
    except ValueError as exc:
        raise ConfigError(f"--release: {exc}") from None
    if args.test_control is None:
        args.test_control = is_loopback(args.host)
    if args.test_control and not is_loopback(args.host):
        raise ConfigError(f"--test-control listens on loopback only; --host {args.host} is not a loopback address")
    if bool(args.signing_key) != bool(args.signing_cert):
        raise ConfigError("--signing-key and --signing-cert go together")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ConfigError("--tls-cert and --tls-key go together")
    if args.client_ca and not args.tls_cert:
        raise ConfigError("--client-ca needs --tls-cert and --tls-key")
    try:
        check_response_url(args.response_url)
    except ValueError as exc:
        raise ConfigError(f"--response-url: {exc}") from None
    try:
        check_delivery_settings(
            args.delivery_attempts, args.delivery_timeout, args.delivery_backoff, args.delivery_backoff_max
        )
    except ValueError as exc:
        given = (args.delivery_attempts, args.delivery_timeout, args.delivery_backoff, args.delivery_backoff_max)
        raise ConfigError(
            f"--delivery-attempts/--delivery-timeout/--delivery-backoff/--delivery-backoff-max: {exc}; given {given}"
        ) from None
    if not args.pki and not args.signing_key:
        args.pki = default_state_dir() / "pki"
    try:
        data = load_inventory_file(args.inventory) if args.inventory else boxed.default_estate()
    except InventoryError as exc:
        raise ConfigError(f"--inventory: {exc}") from None
    users = [str(u["eui"]) for u in data.get("users", []) if isinstance(u, dict) and "eui" in u]
    pki = load_or_create_pki(args.pki, users) if args.pki else None
    if args.signing_key:
        identity = SigningIdentity.from_files(args.signing_key, args.signing_cert)
    else:
        assert pki is not None
        identity = pki.identity(DCC_EUI)
    schema = load_schema(args.xsd) if args.xsd else None
    dcc = ReferenceDcc(
        identity=identity,
        release=chosen,
        inventory=Inventory(args.db),
        verify_signatures=not args.no_verify_signatures,
        schema=schema,
    )
    if pki is not None:
        dcc.on_seed = lambda d: attach_user_certificates(d, pki)
    # A restart on the same --db (after a crash, say) keeps what the DCC did; loading the file again would put
    # every device back as the file has it.
    kept = dcc.inventory.device_count() > 0 or bool(dcc.inventory.users())
    # The default estate is for an empty SMI only; a file given is loaded on top with --reseed.
    if kept and not (args.inventory and args.reseed):
        if args.inventory:
            logging.getLogger("pytest_dcc").warning(
                "%s already holds an inventory; --inventory %s not loaded (add --reseed to load it on top)",
                args.db,
                args.inventory,
            )
    else:
        try:
            dcc.seed(data)
        except InventoryError as exc:
            raise ConfigError(f"--inventory {args.inventory}: {exc}") from None
    for path in args.user_cert:
        cert = load_certificate(path)
        eui = certificate_eui(cert)
        user = dcc.inventory.user(eui) if eui else None
        if user is None:
            raise ConfigError(f"--user-cert {path}: names user {eui}, who is not in the inventory")
        der = cert.public_bytes(serialization.Encoding.DER)
        dcc.inventory.put_user(User(user.eui, user.role, user.status, der))
    return dcc, pki


def serve(args: argparse.Namespace) -> int:
    """Run the server until SIGTERM / SIGINT."""
    import uvicorn

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _check_port_free(args.host, args.port)
    dcc, pki = build_from_args(args)

    def make_poster(url: str) -> ResponsePoster:
        return ResponsePoster(
            url,
            on_delivered=dcc.delivered,
            on_failed=dcc.delivery_failed,
            attempts=args.delivery_attempts,
            backoff_s=args.delivery_backoff,
            backoff_max_s=args.delivery_backoff_max,
            timeout_s=args.delivery_timeout,
        )

    deliveries = Deliveries(dcc, make_poster)
    try:
        deliveries.set_url(args.response_url)
    except ValueError as exc:
        raise ConfigError(f"--response-url: {exc}") from None
    tls: dict[str, object] = {}
    if args.tls_cert:
        tls = {"ssl_certfile": str(args.tls_cert), "ssl_keyfile": str(args.tls_key)}
        if args.client_ca:
            tls |= {"ssl_ca_certs": str(args.client_ca), "ssl_cert_reqs": ssl.CERT_REQUIRED}
    config = uvicorn.Config(
        make_app(dcc, test_control=args.test_control, deliveries=deliveries),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        lifespan="off",
        **tls,  # type: ignore[arg-type]
    )
    scheme = "https" if tls else "http"
    logger = logging.getLogger("pytest_dcc")
    if pki is not None:
        logger.info("keys: %s (the suite's --dcc-pki; its default when neither is given keys)", pki_folder(args))
    logger.info(
        "inventory: %d users, %d devices%s",
        len(dcc.inventory.users()),
        dcc.inventory.device_count(),
        "" if args.inventory or args.db else " (DCC Boxed's test users and one premises: --inventory to change)",
    )
    logger.info(
        "asynchronous responses go to %s",
        args.response_url or "no address yet (the suite registers its receiver through test control)"
        if args.test_control
        else args.response_url or "no address: they stay in the outbox (give --response-url)",
    )
    logger.info(
        "reference DCC (%s, DUIS %s) on %s://%s:%s%s",
        dcc.release.name,
        dcc.release.schema_version,
        scheme,
        args.host,
        args.port,
        " with test control" if args.test_control else "",
    )
    # uvicorn stops on SIGTERM / SIGINT (no new connections, running requests finish), then re-raises the signal
    # to the handler that was there before; a no-op handler here turns that into a normal exit with status 0.
    stopped: list[int] = []
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda signum, frame: stopped.append(signum))
    try:
        uvicorn.Server(config).run()
    finally:
        deliveries.close()
        dcc.inventory.close()
    logging.getLogger("pytest_dcc").info("reference DCC stopped%s", " on a signal" if stopped else "")
    return 0


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

    html = "--no-html" not in args
    args = [a for a in args if a != "--no-html"]
    report_dir = Path(_option_value(args, "--dcc-report-dir") or "reports")
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
        document = skeleton(args.endpoint, args.pki, args.user, query, release=args.release)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pytest-dcc`` script."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args)
    except ConfigError as exc:
        print(f"pytest-dcc: error: {exc}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())

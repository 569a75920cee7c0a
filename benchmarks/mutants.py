"""Detection power of the suite, measured from outside as well as inside (issues 7 and 14).

Families, each run through the whole bundled suite in process and over HTTP:

* ``reference``: the reference DCC's own code broken one way at a time (white box, ``qa/mutants/reference.py``);
* ``black-box``: a mutating proxy (``qa/mutants/``) between the suite and a correct endpoint
  rewrites answers, skips checks, drops effects or applies what was refused, re-signing with the endpoint's key,
  one wrong behaviour at a time, derived from each side of each registry rule;
* ``green``: endpoints that are correct but different (other unpublished codes of the same set, the other CHISM
  table 3 column, declared codes and column, HTTP 400 for bad signatures, an MP081 DCC before November 2020): they
  must stay green.

Every mutant is a ``qa.mutants.Mutant``, one catalogue per family (``qa.mutants.catalogue``), and the rule for
"caught" is ``qa.mutants.caught`` (tests/test_detection.py applies the same): at least one scenario of a clause the
mutant owns FAILs, no FAIL lands on a clause it does not own, and every ERROR is one it declares (an
ArrangementError; a transport mutant is caught by ERRORs naming its cause and no FAIL). A green endpoint, and the
unmodified reference, must give no FAIL and no ERROR (a false alarm otherwise).

    .venv/bin/python benchmarks/mutants.py [--family reference|black-box|green|all] [--mode in-process|http|both]
                                           [--only NAME ...] [--list]

Prints one row per mutant and mode, then caught / total per family and the false alarms; exit 1 below 100 % or
with any false alarm.

In process the mutants patch the process that runs the suite (this file is loaded as a pytest plugin, ``-p
mutants``, with ``DCC_MUTANT`` naming the mutant). Over HTTP a reference mutant patches ``pytest-dcc serve``
(``python benchmarks/mutants.py serve NAME <serve arguments>``); a black-box or green one is a real HTTP proxy in
this process in front of an unmodified ``pytest-dcc serve``. Nothing in the package (``pytest_dcc``) knows about
the mutants: they live in ``qa``, outside the wheel.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from qa.mutants import FAMILIES, Mutant, catalogue
from qa.mutants import judge as judge_run

HERE = Path(__file__).resolve().parent


def _proxied(mutant: Mutant) -> None:
    """In process: the mutating proxy in front of every reference DCC the suite builds (its inner release too)."""
    from pytest_dcc.plugin import fixtures
    from qa.mutants import attach

    original = fixtures.build_reference

    def build(pki: Any, **kwargs: Any) -> Any:
        if mutant.inner is not None:
            kwargs["release"] = mutant.inner
        dcc = original(pki, **kwargs)
        attach(dcc, mutant, pki)
        return dcc

    fixtures.build_reference = build  # type: ignore[assignment]


def apply(mutant: Mutant) -> None:
    """Make this process run ``mutant``: a reference one patches the reference DCC's code, a black-box or green one
    puts the mutating proxy in front of every reference DCC the suite builds."""
    if mutant.patch is not None:
        mutant.patch()
    else:
        _proxied(mutant)


def _mutants() -> dict[str, Mutant]:
    """Every mutant of every family (``qa.mutants.catalogue``), by name."""
    return catalogue()


# -- entry points: the pytest plugin (in-process runs) and the server (HTTP runs) -------------------------------

if os.environ.get("DCC_MUTANT") and __name__ != "__main__":  # loaded with -p mutants
    apply(_mutants()[os.environ["DCC_MUTANT"]])


def _serve(name: str, args: list[str]) -> int:
    if name != "none":
        apply(_mutants()[name])
    from pytest_dcc.cli import main

    return main(["serve", *args])


# -- the runner ---------------------------------------------------------------------------------------------------


def _suite(mutant: str, release: str, report_dir: Path, extra: list[str], env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, "-m", "pytest", "--pyargs", "pytest_dcc.suite", f"--dcc-release={release}"]
    command += [f"--dcc-report-dir={report_dir}", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *extra]
    subprocess.run(command, env=env, cwd=report_dir, capture_output=True, check=False, timeout=300)
    verdicts = report_dir / "verdicts.json"
    if not verdicts.exists():
        return {"scenarios": [], "error": f"no verdicts.json for {mutant}"}
    return dict(json.loads(verdicts.read_text()))


def _statement(report_dir: Path, release: str, extra: dict[str, Any]) -> list[str]:
    """``--dcc-statement`` for a run whose mutation declares statement entries (the bundled example plus them)."""
    if not extra:
        return []
    import yaml

    base = yaml.safe_load((HERE.parent / "fixtures" / "statements" / "reference-latest.yaml").read_text())
    base.update({"release": release, **extra})
    path = report_dir / "statement.yaml"
    path.write_text(yaml.safe_dump(base))
    return [f"--dcc-statement={path}"]


def run_one(mutant: Mutant | None, mode: str, workdir: Path) -> dict[str, Any]:
    """Run the bundled suite against ``mutant`` (None: the unmodified reference) in ``mode``."""
    from pytest_dcc.transport.receiver import free_port
    from qa.serve import ServeProcess

    name = mutant.name if mutant else "none"
    release = mutant.claimed if mutant else "latest"
    mutation = mutant if mutant is not None and mutant.patch is None else None  # through the proxy
    report_dir = workdir / f"{name}-{mode}"
    report_dir.mkdir(parents=True, exist_ok=True)
    statement = _statement(report_dir, release, dict(mutation.statement) if mutation is not None else {})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    if mode == "in-process":
        extra = ["-p", "mutants", "--dcc-timeout=3"] if mutant else []
        return _suite(name, release, report_dir, [*extra, *statement], {**env, "DCC_MUTANT": name if mutant else ""})
    pki, receiver_port = report_dir / "pki", free_port()
    inner = (mutation.inner or release) if mutation is not None else release
    if mutation is None:
        serve_args = ["--pki", str(pki), "--test-control", "--release", release, "--log-level", "warning"]
        serve_args += ["--response-url", f"http://127.0.0.1:{receiver_port}/", "--delivery-backoff", "0.05"]
        server = ServeProcess(serve_args, report_dir / "serve.log", command=[str(HERE / "mutants.py"), "serve", name])
        with server:
            extra = [f"--dcc-endpoint={server.url}", f"--dcc-pki={pki}", f"--dcc-receiver-port={receiver_port}"]
            return _suite(name, release, report_dir, [*extra, "--dcc-timeout=3", *statement], env)
    return _run_proxied(mutation, release, inner, report_dir, pki, receiver_port, statement, env)


def _run_proxied(
    mutation: Any,
    release: str,
    inner: str,
    report_dir: Path,
    pki_dir: Path,
    receiver_port: int,
    statement: list[str],
    env: dict[str, str],
) -> dict[str, Any]:
    """Over HTTP: an unmodified ``pytest-dcc serve`` behind a real mutating proxy on loopback."""
    from pytest_dcc.duis.pki import load_or_create_pki
    from pytest_dcc.spec import DCC_EUI
    from pytest_dcc.transport.receiver import ServerThread, free_port
    from qa.mutants import HttpControl, HttpUpstream, MutatingEndpoint, proxy_app
    from qa.serve import ServeProcess

    proxy_port = free_port()
    serve_args = ["--pki", str(pki_dir), "--test-control", "--release", inner, "--log-level", "warning"]
    serve_args += ["--response-url", f"http://127.0.0.1:{proxy_port}/deliver", "--delivery-backoff", "0.05"]
    # One state folder for the server, the proxy and the suite: the server's test-control token is there, and the
    # proxy offers it under its own port too (the suite finds a loopback endpoint's token by its port).
    env = {**env, "PYTEST_DCC_STATE": str(report_dir / "state")}
    with ServeProcess(serve_args, report_dir / "serve.log", env=env) as server:
        pki = load_or_create_pki(pki_dir)
        from pytest_dcc.duis.pki import read_pki
        from pytest_dcc.errors import ConfigError
        from pytest_dcc.spec.releases import release as release_named

        def user(eui: str) -> Any:
            for folder_copy in (pki, None):  # the suite adds its users to the folder after the proxy started
                try:
                    return (folder_copy or read_pki(pki_dir)).identity(eui)
                except ConfigError:
                    continue
            return None  # a user the PKI does not hold: the changed request goes on as it is

        from pytest_dcc.duis.control_token import read_token, write_token

        token = read_token([report_dir / "state"], server.url)
        if token is not None:
            write_token(report_dir / "state", proxy_port, token)
        upstream, control = HttpUpstream(server.url), HttpControl(server.url, token)
        proxy = MutatingEndpoint(
            upstream,
            mutation,
            dcc=pki.identity(DCC_EUI),
            users=user,
            control=control,
            schema_version=release_named(inner).schema_version,
        )
        app = proxy_app(proxy, server.url, f"http://127.0.0.1:{receiver_port}/", token)
        thread = ServerThread(app, port=proxy_port).start()
        try:
            extra = [f"--dcc-endpoint={thread.url}", f"--dcc-pki={pki_dir}", f"--dcc-receiver-port={receiver_port}"]
            return _suite(mutation.name, release, report_dir, [*extra, "--dcc-timeout=3", *statement], env)
        finally:
            thread.stop()
            app.state.client.close()
            upstream.close()
            control.close()


def judge(mutant: Mutant | None, document: dict[str, Any]) -> tuple[bool, str]:
    """Whether the run caught ``mutant`` (or, for None and the green family, stayed clean), and how: the one rule,
    ``qa.mutants.judge``, on the run's scenarios."""
    scenarios = document.get("scenarios", [])
    if not scenarios:
        return False, document.get("error", "the suite did not run")
    judgement = judge_run(mutant, scenarios)
    return judgement.ok, judgement.detail


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "serve":
        return _serve(sys.argv[2], sys.argv[3:])
    parser = argparse.ArgumentParser(description="detection power of the bundled suite")
    parser.add_argument("--family", choices=[*FAMILIES, "all"], nargs="+", default=["all"])
    parser.add_argument("--mode", choices=["in-process", "http", "both"], default="both")
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    mutants = _mutants()
    if args.list:
        for m in mutants.values():
            print(
                f"{m.family:9} {m.name:42} {m.claimed:8} "
                f"{', '.join(sorted(m.owners)) or m.error_cause or '-'}: {m.what}"
            )
        return 0
    unknown = set(args.only) - set(mutants)
    if unknown:
        parser.error(f"unknown mutants {sorted(unknown)}")
    chosen = [mutants[n] for n in args.only] if args.only else list(mutants.values())
    if "all" not in args.family:
        chosen = [m for m in chosen if m.family in args.family]
    modes = ["in-process", "http"] if args.mode == "both" else [args.mode]
    started = time.monotonic()
    caught: dict[str, int] = dict.fromkeys(FAMILIES, 0)
    total: dict[str, int] = dict.fromkeys(FAMILIES, 0)
    baseline_ok = True
    with tempfile.TemporaryDirectory(prefix="dcc-mutants-") as scratch:
        workdir = Path(scratch)
        for mode in modes:
            ok, detail = judge(None, run_one(None, mode, workdir))
            baseline_ok &= ok
            print(f"{'(unmodified reference)':52} {mode:10} {'clean' if ok else 'NOT CLEAN'}: {detail}", flush=True)
            for mutant in chosen:
                ok, detail = judge(mutant, run_one(mutant, mode, workdir))
                caught[mutant.family] += ok
                total[mutant.family] += 1
                word = (
                    ("green" if ok else "FALSE ALARM") if mutant.family == "green" else ("caught" if ok else "MISSED")
                )
                print(f"{mutant.family:9} {mutant.name:42} {mode:10} {word}: {detail}", flush=True)
    for family in FAMILIES:
        if total[family]:
            if family == "green":
                alarms = total[family] - caught[family]
                print(f"{family}: {caught[family]}/{total[family]} stayed green; false alarms: {alarms} (goal 0)")
            else:
                score = 100.0 * caught[family] / total[family]
                print(f"{family}: caught {caught[family]}/{total[family]} = {score:.0f} % (goal 100 %)")
    print(f"unmodified reference {'clean' if baseline_ok else 'NOT clean'}; {time.monotonic() - started:.0f}s")
    return 0 if all(caught[f] == total[f] for f in FAMILIES) and baseline_ok else 1


if __name__ == "__main__":
    sys.exit(main())

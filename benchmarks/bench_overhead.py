"""Suite overhead: the bundled suite in process ÷ a bare pytest module making the same reference calls (issue 7).

1. Record: the suite runs once in process with this file loaded as a plugin (``-p bench_overhead``, with
   ``DCC_RECORD`` naming a file); every call the suite makes on the reference DCC (``handle`` with the request
   bytes, and the driver's reset, seed, set_status, set_fault, execute_locally, renew_device_certificates,
   device_view) is kept per scenario.
2. Time, alternately, ``--rounds`` times each, keeping the best wall time:
   - the suite: ``pytest --pyargs pytest_dcc.suite`` with verdicts, allure results and JUnit XML, as
     ``dcc-conformance`` runs it;
   - the bare module: plain pytest (pytest-dcc, pytest-bdd and allure plugins off), one test per recorded
     scenario, doing the same DUIS work without the machinery: sign each request again with the user's key,
     ``handle`` it, judge the answer with the same ResponseJudge, deliver device responses to a ResponseInbox,
     and make the same driver calls.

    .venv/bin/python benchmarks/bench_overhead.py [--rounds 3]

Goal: suite / bare <= 1.5. Exit status 1 when it is missed.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _timing import steady_env, timed  # noqa: E402

from pytest_dcc.duis.estates import BOXED_SUPPLIER  # noqa: E402

GOAL = 1.5
USER = BOXED_SUPPLIER

# -- recording (loaded by pytest with -p bench_overhead) ---------------------------------------------------------

if os.environ.get("DCC_RECORD") and __name__ != "__main__":
    import pytest

    from pytest_dcc.reference.dcc import ReferenceDcc

    _calls: dict[str, list[tuple[str, tuple[Any, ...]]]] = {}
    _current = [""]

    def _recording(name: str) -> None:
        original = getattr(ReferenceDcc, name)

        def wrapper(self: Any, *args: Any) -> Any:
            _calls.setdefault(_current[0], []).append((name, args))
            return original(self, *args)

        setattr(ReferenceDcc, name, wrapper)

    for _name in ("handle", "reset", "seed", "set_status", "set_fault", "execute_locally",
                  "renew_device_certificates", "device_view"):  # fmt: skip
        _recording(_name)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(item: pytest.Item) -> None:
        _current[0] = item.nodeid

    def pytest_sessionfinish(session: pytest.Session) -> None:
        calls = [(nodeid, [(n, _plain(a)) for n, a in ops]) for nodeid, ops in _calls.items() if nodeid]
        Path(os.environ["DCC_RECORD"]).write_bytes(pickle.dumps(calls))


def _plain(args: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(dict(a) if hasattr(a, "items") else a for a in args)


# -- the bare module ------------------------------------------------------------------------------------------

BARE_MODULE = """
import os, pickle
import pytest
from lxml import etree
from pytest_dcc.duis.estates import BOXED_SUPPLIER
from pytest_dcc.duis.pki import read_pki
from pytest_dcc.duis.schema import load_schema
from pytest_dcc.duis.signing import sign
from pytest_dcc.duis.xmlsafe import parse
from pytest_dcc.reference.setup import build_reference
from pytest_dcc.transport.admission import ResponseJudge
from pytest_dcc.transport.receiver import ResponseInbox
from pytest_dcc.errors import TransportError

RECORDED = pickle.loads(open(os.environ["DCC_RECORDED"], "rb").read())
PKI = read_pki(__import__("pathlib").Path(os.environ["DCC_PKI"]))
JUDGE = ResponseJudge(load_schema(None), PKI.dsp_trust())
DCC = build_reference(PKI, release="latest")
INBOX = ResponseInbox(JUDGE)

def _deliver(raw):
    try:
        INBOX.deliver(raw)
    except TransportError:
        pass

DCC.set_response_sink(_deliver)


@pytest.mark.parametrize("ops", [ops for _, ops in RECORDED], ids=[n for n, _ in RECORDED])
def test_scenario(ops):
    for name, args in ops:
        if name != "handle":
            getattr(DCC, name)(*args)
            continue
        method, path, headers, body = args
        root = parse(body).getroot()
        sign(root, PKI.identity(_originator(root)))  # the signing work the suite does, on the same document
        reply = DCC.handle(method, path, headers, etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
        if reply.status == 200:
            JUDGE.judge(reply.body, content_type=reply.headers.get("content-type"))


def _originator(root):
    text = root.findtext("{http://www.dccinterface.co.uk/ServiceUserGateway}Header/"
                         "{http://www.dccinterface.co.uk/ServiceUserGateway}RequestID") or ""
    return text.split(":")[0]
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dcc-overhead-") as scratch:
        folder = Path(scratch)
        # Steady state, as in a user's CI: bytecode (and pytest's rewritten bytecode) cached after the first run.
        env = steady_env(PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
        pki = folder / "pki"
        # Plugins that are neither side's (hypothesis comes with the test extras) stay out of both runs.
        common = ["-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest"]
        suite = [sys.executable, "-m", "pytest", "--pyargs", "pytest_dcc.suite", *common]
        suite += [f"--dcc-pki={pki}", f"--dcc-report-dir={folder / 'reports'}"]
        recorded = folder / "recorded.pickle"
        timed([*suite, "-p", "bench_overhead"], folder, {**env, "DCC_RECORD": str(recorded)})
        calls = pickle.loads(recorded.read_bytes())
        requests = sum(1 for _, ops in calls for name, _ in ops if name == "handle")
        (folder / "test_bare.py").write_text(BARE_MODULE, encoding="utf-8")
        bare = [sys.executable, "-m", "pytest", "test_bare.py", *common, "-p", "no:pytest_dcc"]
        bare += ["-p", "no:allure_pytest_bdd", "-p", "no:pytest-bdd"]
        bare_env = {**env, "DCC_RECORDED": str(recorded), "DCC_PKI": str(pki)}
        full = [*suite, f"--alluredir={folder / 'allure'}", f"--junitxml={folder / 'junit.xml'}"]
        best = {"suite": float("inf"), "no-allure": float("inf"), "bare": float("inf")}
        for _ in range(args.rounds + 1):  # the first round writes the bytecode caches
            best["suite"] = min(best["suite"], timed(full, folder, env))
            best["no-allure"] = min(best["no-allure"], timed(suite, folder, env))
            best["bare"] = min(best["bare"], timed(bare, folder, bare_env))
    ratio = best["suite"] / best["bare"]
    print(f"recorded: {len(calls)} scenarios, {requests} Service Requests to the reference DCC")
    print(f"suite (pytest-bdd, allure results, JUnit, verdicts): {best['suite']:6.2f} s")
    print(f"suite without allure and JUnit (verdicts only)      : {best['no-allure']:6.2f} s")
    print(f"bare pytest module, same calls and judging          : {best['bare']:6.2f} s")
    print(f"ratio suite / bare: {ratio:.2f}x (goal <= {GOAL}x) -> {'OK' if ratio <= GOAL else 'OVER'}")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())

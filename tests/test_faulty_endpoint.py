"""The whole suite against a fault-injection endpoint: every fault is an ERROR naming its cause, never PASS or
FAIL, and the run finishes with its reports.

The endpoint is a real uvicorn server on loopback in front of a reference DCC. Test control and /health pass
through untouched, so arrangement works and only the DUIS answers (or the asynchronous deliveries) are broken.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from pytest_dcc._resources import features_dir
from pytest_dcc.duis.pki import TestPki, load_or_create_pki
from pytest_dcc.duis.signing import sign
from pytest_dcc.duis.xmlsafe import parse
from pytest_dcc.reference.server import Deliveries, make_app
from pytest_dcc.reference.setup import build_reference
from pytest_dcc.spec import DCC_EUI, SERVICE_PATHS
from pytest_dcc.transport.receiver import ServerThread, free_port
from tests.reference_harness import ED, GS, IS, OU

pytestmark = pytest.mark.slow

SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
TIMEOUT_S = 2.0  # generous: a loaded 2-core machine must not turn a signature fault into a timeout
#: How long the ``slow`` endpoint holds each DUIS answer: past every --dcc-timeout the suite is given (the run's
#: TIMEOUT_S, then 0.5 s), and no longer (the server's shutdown waits for the last held answer).
SLOW_S = TIMEOUT_S + 0.5
FEATURES = [
    features_dir() / "clauses" / "join-unjoin.feature",
    features_dir() / "clauses" / "chf-install-no-wan.feature",
]


@dataclass
class FaultyEndpoint:
    """A reference DCC behind one fault; ``mode`` picks it."""

    mode: str
    pki: TestPki
    stranger: TestPki
    receiver_url: str

    def deliver(self, raw: bytes) -> None:
        """The DCC's asynchronous responses, posted to the suite's receiver: in ``duplicate-async`` followed by a
        second, different response under the same identity (signed by the DCC); in ``redelivered-async`` by an
        identical copy at once and another, signed again, a second later (at-least-once delivery: no fault)."""
        self._post(raw)
        if self.mode == "duplicate-async":
            root = parse(raw).getroot()
            node = root.find(f"{SR}Header/{SR}ResponseDateTime")
            assert node is not None and node.text
            node.text = "2031-01-01T00:00:00.000Z"
            sign(root, self.pki.identity(DCC_EUI))
            self._post(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
        elif self.mode == "redelivered-async":
            self._post(raw)
            again = parse(raw).getroot()
            sign(again, self.pki.identity(DCC_EUI))
            later = etree.tostring(again, xml_declaration=True, encoding="UTF-8")
            threading.Timer(1.0, self._post, (later,)).start()

    def _post(self, raw: bytes) -> None:
        # The suite's run may be over and its receiver gone: nothing to prove then.
        with contextlib.suppress(httpx.HTTPError):
            httpx.post(self.receiver_url, content=raw, headers={"content-type": "application/xml"}, timeout=5)

    def break_answer(self, status: int, body: bytes, headers: dict[str, str]) -> Response:
        mode = self.mode
        if mode == "html-502":
            return Response(b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>", 502, media_type="text/html")
        if mode == "html-200":
            return Response(b"<html><body>Please log in</body></html>", 200, media_type="text/html")
        if mode == "http-500":
            return Response(b"Internal Server Error", 500, media_type="text/plain")
        if mode == "truncated":
            return Response(body[: len(body) // 2], status, headers=headers)
        if status == 200 and mode in {"unsigned", "foreign-signed", "tampered", "wrong-correlation"}:
            root = parse(body).getroot()
            if mode == "unsigned":
                for signature in root.findall(f"{DS}Signature"):
                    root.remove(signature)
            elif mode == "foreign-signed":
                sign(root, self.stranger.identity(DCC_EUI))
            elif mode == "tampered":  # signed by the DCC, then changed
                node = root.find(f"{SR}Header/{SR}ResponseDateTime")
                assert node is not None and node.text
                # the seconds, changed in place (a replace() of "12" would hit the month of a December date first)
                node.text = f"{node.text[:17]}{(int(node.text[17:19]) + 1) % 60:02d}{node.text[19:]}"
            else:  # a well-signed answer for another request
                node = root.find(f"{SR}Header/{SR}RequestID")
                assert node is not None and node.text
                originator, target, counter = node.text.split(":")
                node.text = f"{originator}:{target}:{int(counter) + 1}"
                sign(root, self.pki.identity(DCC_EUI))
            body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        return Response(body, status, headers=headers)

    def app(self, dcc: object) -> Starlette:
        async def duis(request: Request) -> Response:
            body = await request.body()
            if self.mode == "slow":
                await asyncio.sleep(SLOW_S)
            reply = await asyncio.to_thread(dcc.handle, "POST", request.url.path, dict(request.headers), body)  # type: ignore[attr-defined]
            return self.break_answer(reply.status, reply.body, dict(reply.headers))

        routes: list[Route | Mount] = [Route(path, duis, methods=["POST"]) for path in SERVICE_PATHS.values()]
        # The suite registers its receiver through test control: the faulty delivery goes on, to that address.
        deliveries = Deliveries(dcc, make_poster=lambda url: _Relay(url, self))  # type: ignore[arg-type]
        routes.append(Mount("/", app=make_app(dcc, test_control=True, deliveries=deliveries)))  # type: ignore[arg-type]
        return Starlette(routes=routes)


@dataclass
class _Relay:
    """The faulty endpoint's delivery, to the address the suite registered."""

    url: str
    endpoint: FaultyEndpoint

    def __call__(self, raw: bytes) -> None:
        self.endpoint.receiver_url = self.url
        self.endpoint.deliver(raw)

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pki")
    load_or_create_pki(folder, [IS, GS, OU, ED])
    return folder


@pytest.fixture(scope="module")
def stranger() -> TestPki:
    return TestPki.generate()


def _run(pytester: pytest.Pytester, endpoint: str, pki_dir: Path, receiver_port: int, *extra: str) -> pytest.RunResult:
    pytester.makepyfile(
        test_suite="from pytest_bdd import scenarios\n" + "".join(f"scenarios({str(f)!r})\n" for f in FEATURES)
    )
    return pytester.runpytest_subprocess(
        f"--dcc-endpoint={endpoint}",
        f"--dcc-pki={pki_dir}",
        f"--dcc-receiver-port={receiver_port}",
        f"--dcc-timeout={TIMEOUT_S}",
        "-p",
        "no:cacheprovider",
        *extra,
    )


def _expected_scenarios() -> int:
    from pytest_dcc.plugin.certification import bundled_scenarios

    counts = bundled_scenarios()
    return sum(n for (path, _), n in counts.items() if any(str(f).endswith(path) for f in FEATURES))


EXPECTED_SCENARIOS = _expected_scenarios()

FAULTS = {
    # mode: (the cause every ERROR must name, extra suite options)
    "slow": ("EndpointTimeoutError", ("--dcc-timeout=0.5",)),  # the last --dcc-timeout given counts
    "truncated": ("ResponseFormatError", ()),
    "html-502": ("HttpStatusError", ()),
    "html-200": ("ResponseFormatError", ()),
    "http-500": ("HttpStatusError", ()),
    "unsigned": ("ResponseSignatureError", ("--dcc-signature-policy=require",)),
    "foreign-signed": ("ResponseSignatureError", ()),
    "tampered": ("ResponseSignatureError", ()),
    "wrong-correlation": ("CorrelationError", ()),
    "duplicate-async": ("DuplicateResponseError", ()),
}


@pytest.fixture
def faulty(request: pytest.FixtureRequest, pki_dir: Path, stranger: TestPki) -> Iterator[tuple[str, int]]:
    receiver_port = free_port()
    endpoint = FaultyEndpoint(
        request.param, load_or_create_pki(pki_dir), stranger, f"http://127.0.0.1:{receiver_port}/"
    )
    dcc = build_reference(endpoint.pki)
    dcc.set_response_sink(endpoint.deliver)
    with ServerThread(endpoint.app(dcc)) as server:
        yield server.url, receiver_port


@pytest.mark.slow
@pytest.mark.parametrize("faulty", sorted(FAULTS), indirect=True)
def test_each_fault_is_an_error_with_its_cause_never_pass_or_fail(
    pytester: pytest.Pytester, pki_dir: Path, faulty: tuple[str, int], request: pytest.FixtureRequest
) -> None:
    mode = request.node.callspec.params["faulty"]
    cause, extra = FAULTS[mode]
    url, receiver_port = faulty
    result = _run(pytester, url, pki_dir, receiver_port, *extra)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()[-3000:]  # finished, not interrupted
    document = json.loads((pytester.path / "reports" / "verdicts.json").read_text())
    verdicts = [(s["verdict"], s["message"], s["name"]) for s in document["scenarios"]]
    assert len(verdicts) == EXPECTED_SCENARIOS  # every scenario (outline rows included) has a verdict: to the end
    assert {v[0] for v in verdicts} <= {"ERROR", "NOT_APPLICABLE", "PASS"}
    errors = [v for v in verdicts if v[0] == "ERROR"]
    assert all(cause in message for _, message, _ in errors), errors
    applicable = [v for v in verdicts if v[0] != "NOT_APPLICABLE"]
    if mode == "duplicate-async":  # only the join scenarios have device responses to duplicate
        assert errors and all("join" in name.lower() for _, _, name in errors), verdicts
        remote = [(v, name) for v, _, name in applicable if "local delivery" not in name]  # no device response
        assert all("join" not in name.lower() for verdict, name in remote if verdict == "PASS")
    else:
        assert errors and len(errors) == len(applicable), verdicts


@pytest.mark.slow
def test_a_refused_connection_is_one_message_every_scenario_an_error(pytester: pytest.Pytester, pki_dir: Path) -> None:
    """Unreachable at session start: said once (naming the URL and the cause), every scenario that needs the
    endpoint is an ERROR in the reports, no traceback, a screenful of output; the suite's self-checks apart."""
    url = f"http://127.0.0.1:{free_port()}"
    pytester.makepyfile(
        test_suite="from pytest_bdd import scenarios\n"
        + "".join(f"scenarios({str(f)!r})\n" for f in [*FEATURES, features_dir() / "wire" / "request-building.feature"])
    )
    result = pytester.runpytest_subprocess(
        f"--dcc-endpoint={url}",
        f"--dcc-pki={pki_dir}",
        f"--dcc-timeout={TIMEOUT_S}",
        "-p",
        "no:cacheprovider",
        "--junitxml=reports/junit.xml",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    document = json.loads((pytester.path / "reports" / "verdicts.json").read_text())
    endpoint = [s for s in document["scenarios"] if not s["self_check"]]
    assert {s["verdict"] for s in endpoint} <= {"ERROR", "NOT_APPLICABLE"} and "ERROR" in out
    errors = [s for s in endpoint if s["verdict"] == "ERROR"]
    assert errors and all(url in s["message"] and "Connection refused" in s["message"] for s in errors)
    assert all("SessionCheckError" in s["message"] and "EndpointUnreachableError" in s["message"] for s in errors)
    assert out.count("Connection refused") == 1 and "Traceback" not in out and len(out.splitlines()) <= 40, out
    assert f"{len(errors)} scenario(s) recorded as ERROR" in out
    self_checks = document["run"]["self_check_totals"]
    assert self_checks == {"PASS": sum(1 for s in document["scenarios"] if s["self_check"])} and self_checks["PASS"]
    assert "self-checks of the suite's own requests" in out and "verdicts on the endpoint" in out
    assert document["run"]["endpoint_totals"]["ERROR"] == len(errors)
    junit = (pytester.path / "reports" / "junit.xml").read_text()
    assert junit.count("SessionCheckError") >= len(errors)  # the JUnit XML records each as an error too


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["none", "redelivered-async"])
def test_the_fault_modes_leave_a_correct_endpoint_passing(
    pytester: pytest.Pytester, pki_dir: Path, stranger: TestPki, mode: str
) -> None:
    """The same endpoint with no fault passes: the ERRORs above come from the faults, not from the harness. So does
    one that delivers each response again, identically, at once and a second later (at-least-once delivery)."""
    receiver_port = free_port()
    endpoint = FaultyEndpoint(mode, load_or_create_pki(pki_dir), stranger, f"http://127.0.0.1:{receiver_port}/")
    dcc = build_reference(endpoint.pki)
    dcc.set_response_sink(endpoint.deliver)
    with ServerThread(endpoint.app(dcc)) as server:
        result = _run(pytester, server.url, pki_dir, receiver_port)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    document = json.loads((pytester.path / "reports" / "verdicts.json").read_text())
    assert {s["verdict"] for s in document["scenarios"]} == {"PASS", "NOT_APPLICABLE"}

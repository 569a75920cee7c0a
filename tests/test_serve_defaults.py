"""`pytest-dcc serve` with no arguments is a DCC Boxed stand-in the suite's defaults match, and the asynchronous
path is checked at session start: registered through test control, probed without it, a mismatch one ERROR."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pytest_dcc.duis.estates import SERVED_LANES
from pytest_dcc.reference.boxed import NETWORK_OPERATOR, OTHER_USER, SUPPLIER
from pytest_dcc.transport.receiver import ServerThread, free_port
from qa.serve import ServeProcess
from tests.conftest import port_free

#: These tests bind DCC Boxed's fixed ports: one at a time, whichever worker runs them (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fixed_ports")

BIN = Path(sys.executable).parent


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        with contextlib.suppress(httpx.HTTPError):
            reply = httpx.get(url + "/health", timeout=2)
            if reply.status_code == 200:
                return dict(reply.json())
        time.sleep(0.1)
    raise AssertionError(f"pytest-dcc serve did not start:\n{log.read_text()}")


@contextlib.contextmanager
def _serve_without_arguments(state: Path, log: Path) -> Iterator[dict[str, object]]:
    """`pytest-dcc serve`, nothing else: DCC Boxed's port 8079."""
    if not port_free(8079, within_s=15):  # a server of an earlier test may still be on its way out
        pytest.fail("port 8079 (DCC Boxed's) is taken on this machine; the no-argument server needs it")
    env = {**os.environ, "PYTEST_DCC_STATE": str(state)}
    with log.open("wb") as out:
        process = subprocess.Popen([str(BIN / "pytest-dcc"), "serve"], stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        yield _wait_healthy("http://127.0.0.1:8079", process, log)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.slow
def test_serve_with_no_arguments_is_the_whole_command_for_the_suite(tmp_path: Path) -> None:
    """The server's keys in the state folder (printed), DCC Boxed's users and premises, test control on loopback;
    `dcc-conformance --dcc-endpoint http://127.0.0.1:8079` alone assesses every clause, without an ERROR, and puts
    the server's delivery address back when it is done."""
    state, work = tmp_path / "state", tmp_path / "work"
    work.mkdir()
    with _serve_without_arguments(state, tmp_path / "serve.log") as health:
        assert health["test_control"] is True and health["response_url"] is None
        assert health["devices"] == 6 * SERVED_LANES  # the estate, once per lane
        log = (tmp_path / "serve.log").read_text()
        assert f"keys: {state / 'pki'}" in log and (state / "pki").is_dir()
        for eui in (SUPPLIER, NETWORK_OPERATOR, OTHER_USER):  # DCC Boxed's users, each with its key
            assert (state / "pki" / f"{eui.replace('-', '')}.key").is_file()
        run = subprocess.run(
            [str(BIN / "dcc-conformance"), "--dcc-endpoint", "http://127.0.0.1:8079", "--no-html"],
            cwd=work, env={**os.environ, "PYTEST_DCC_STATE": str(state)},
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        after = httpx.get("http://127.0.0.1:8079/health", timeout=5).json()
    assert after["response_url"] is None  # the registration was undone
    document = json.loads((work / "reports" / "verdicts.json").read_text())
    assert set(document["run"]["endpoint_totals"]) == {"PASS", "NOT_APPLICABLE"}
    assessed = {c for c, entry in document["clauses"].items() if entry["verdict"] == "PASS"}
    assert len(assessed) == len(document["clauses"]) - 1  # all but the one the release rules out (DP178)
    assert not (work / "pki").exists()  # no keys written where the user runs the suite


@pytest.mark.slow
def test_the_dcc_boxed_stand_in_without_test_control_is_judged_over_duis_with_the_suites_defaults(
    tmp_path: Path,
) -> None:
    """No statement, no test control: the suite assumes the default estate (DCC Boxed's users, the templates'
    devices) and the server's address is its receiver's: no FAIL, no ERROR, some clauses assessed."""
    state = tmp_path / "state"
    receiver = free_port()
    env = {**os.environ, "PYTEST_DCC_STATE": str(state)}
    args = ["--no-test-control", "--response-url", f"http://127.0.0.1:{receiver}/smartdcc/duis", "--release", "2024-06"]
    with ServeProcess(args, tmp_path / "serve.log", env=env) as server:
        run = subprocess.run(
            [str(BIN / "dcc-conformance"), "--dcc-endpoint", server.url, "--dcc-receiver-port", str(receiver),
             "--dcc-release", "2024-06", "--no-html"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:]
    document = json.loads((tmp_path / "reports" / "verdicts.json").read_text())
    assert set(document["run"]["endpoint_totals"]) == {"PASS", "NOT_APPLICABLE"}
    assessed = [c for c, entry in document["clauses"].items() if entry["verdict"] == "PASS"]
    assert len(assessed) >= 6, document["clauses"]


def _not_found_app() -> Starlette:
    async def nothing(request: Request) -> Response:
        return Response(b"not here", 404)

    return Starlette(routes=[Route("/{rest:path}", nothing, methods=["POST", "GET"])])


@pytest.mark.slow
@pytest.mark.parametrize("where", ["404", "nobody", "other-port"])
def test_a_delivery_address_that_misses_the_receiver_fails_at_session_start(tmp_path: Path, where: str) -> None:
    """Without test control: the address the endpoint names answers 404, or nobody listens there, or it is not
    the suite's receiver: one line naming both addresses, every scenario an ERROR, the run over at once."""
    state = tmp_path / "state"
    env = {**os.environ, "PYTEST_DCC_STATE": str(state)}
    with contextlib.ExitStack() as stack:
        if where == "404":
            wrong = stack.enter_context(ServerThread(_not_found_app())).url + "/duis"
        else:
            wrong = f"http://127.0.0.1:{free_port()}/"
        receiver = free_port()
        serve = ServeProcess(["--no-test-control", "--response-url", wrong], tmp_path / "serve.log", env=env)
        server = stack.enter_context(serve)
        if where == "other-port":  # something of the suite's kind is there, but not this run's receiver
            from pytest_dcc.transport.receiver import ResponseReceiver

            other = ResponseReceiver(None, port=int(wrong.rsplit(":", 1)[1].strip("/")))  # type: ignore[arg-type]
            stack.enter_context(other)
        start = time.monotonic()
        run = subprocess.run(
            [str(BIN / "dcc-conformance"), "--dcc-endpoint", server.url, "--dcc-receiver-port", str(receiver),
             "--no-html"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        elapsed = time.monotonic() - start
    assert run.returncode == 1
    lines = [line for line in run.stdout.splitlines() if "asynchronous responses cannot reach the suite" in line]
    assert len(lines) == 1, run.stdout[-4000:]
    assert wrong in lines[0] and f"http://127.0.0.1:{receiver}/" in lines[0]
    assert {"404": "answered HTTP 404", "nobody": "cannot be reached", "other-port": "is not this run's receiver"}[
        where
    ] in lines[0]
    document = json.loads((tmp_path / "reports" / "verdicts.json").read_text())
    endpoint = [s for s in document["scenarios"] if not s["self_check"]]
    assert {s["verdict"] for s in endpoint} <= {"ERROR", "NOT_APPLICABLE"}
    assert all("SessionCheckError" in s["message"] for s in endpoint if s["verdict"] == "ERROR")
    assert len(run.stdout.splitlines()) <= 40 and elapsed < 120, run.stdout


def test_the_receiver_takes_any_path_and_notes_probes() -> None:
    from pytest_dcc.transport.receiver import ResponseReceiver

    with ResponseReceiver(None) as receiver:  # type: ignore[arg-type]
        for path in ("/", "/smartdcc/duis"):
            reply = httpx.post(receiver.url + path, content=b"", headers={"X-Pytest-Dcc-Probe": f"t{len(path)}"})
            assert reply.status_code == 204
        assert set(receiver.inbox.probes) == {"t1", "t14"}


def test_deliveries_register_check_and_say_where_in_health(tmp_path: Path) -> None:
    from pytest_dcc.duis.pki import TestPki
    from pytest_dcc.reference.server import Deliveries, make_app
    from pytest_dcc.reference.setup import build_reference
    from pytest_dcc.transport.receiver import ResponseReceiver

    dcc = build_reference(TestPki.generate())
    deliveries = Deliveries(dcc)
    with (
        ServerThread(make_app(dcc, test_control=True, deliveries=deliveries)) as server,
        ResponseReceiver(
            None  # type: ignore[arg-type]
        ) as receiver,
    ):
        assert httpx.get(server.url + "/health").json()["response_url"] is None
        control = server.url + "/test-control"
        assert httpx.post(control + "/response-url", json={"url": receiver.response_url}).json() == {"previous": None}
        assert httpx.get(server.url + "/health").json()["response_url"] == receiver.response_url
        outcome = httpx.post(control + "/delivery-check", json={"token": "abc"}).json()
        assert (
            outcome == {"url": receiver.response_url, "status": 204, "error": None} and "abc" in receiver.inbox.probes
        )
        assert httpx.post(control + "/response-url", json={"url": "ftp://x"}).status_code == 400
        assert httpx.post(control + "/delivery-check", json={}).status_code == 400
        previous = httpx.post(control + "/response-url", json={"url": None}).json()
        assert previous == {"previous": receiver.response_url}
        assert httpx.post(control + "/delivery-check", json={"token": "x"}).json()["status"] is None
    deliveries.close()

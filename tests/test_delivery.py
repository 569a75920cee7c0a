"""Asynchronous delivery from the reference DCC to a user's receiver that is slow, down or failing: retried with
backoff, bounded, never holding up Service Requests, and what could not be delivered is kept and reported."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from pytest_dcc.reference.server import ResponsePoster, make_app
from pytest_dcc.reference.setup import build_reference
from pytest_dcc.transport.receiver import ServerThread, free_port
from tests.reference_harness import CAD, ESME, Harness, shared_pki


@dataclass
class Receiver:
    """A scripted receiver: answers each POST from ``script`` in turn (an int status, or "hang" until released)."""

    script: list[object] = field(default_factory=list)
    received: list[bytes] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    hanging: threading.Event = field(default_factory=threading.Event)

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            import asyncio

            body = await request.body()
            step = self.script.pop(0) if self.script else 204
            if step == "hang":
                self.hanging.set()
                await asyncio.to_thread(self.release.wait, 30)
                return Response(status_code=204)
            if step == 204:
                self.received.append(body)
                return Response(status_code=204)
            return PlainTextResponse("scripted", status_code=int(step))  # type: ignore[call-overload]

        return Starlette(routes=[Route("/", receive, methods=["POST"])])


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, ServerThread]]:
    script = Receiver()
    with ServerThread(script.app()) as server:
        yield script, server
    script.release.set()


def _dcc_with_poster(url: str, **options: object) -> tuple[Harness, ResponsePoster]:
    h = Harness()
    settings = {"attempts": 4, "backoff_s": 0.05, "timeout_s": 2.0, **options}
    poster = ResponsePoster(url, on_delivered=h.dcc.delivered, on_failed=h.dcc.delivery_failed, **settings)  # type: ignore[arg-type]
    h.dcc.set_response_sink(poster)
    return h, poster


def _join(h: Harness) -> str:
    exchange = h.request("8.7.2", target=ESME, other_device_id=CAD)
    assert exchange.code == "I99"
    return str(exchange.request.request_id)


def test_a_failing_receiver_is_retried_with_doubling_backoff_until_it_accepts(
    receiver: tuple[Receiver, ServerThread],
) -> None:
    script, server = receiver
    script.script = [500, 503, 204]
    h, poster = _dcc_with_poster(server.url + "/")
    try:
        _join(h)
        assert poster.drain(timeout_s=30)
        assert len(script.received) == 1
        attempts = [(attempt, outcome.split(":")[0], delay) for _, attempt, outcome, delay in poster.attempt_log]
        assert attempts == [(1, "HTTP 500", 0.05), (2, "HTTP 503", 0.1), (3, "delivered", None)]
        assert h.dcc.inventory.outbox() == []  # delivered: gone from the outbox
        assert poster.stats == {"delivered": 1, "retried": 2, "failed": 0}
    finally:
        poster.close()


def test_a_receiver_that_is_down_is_tried_a_bounded_number_of_times_then_reported(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/"
    h, poster = _dcc_with_poster(dead, attempts=3, backoff_s=0.01)
    try:
        request_id = _join(h)
        assert poster.drain(timeout_s=30)
        assert [a for _, a, _, _ in poster.attempt_log] == [1, 2, 3]
        [row] = h.dcc.inventory.outbox()
        assert row["state"] == "failed" and row["attempts"] == 3 and row["request_id"] == request_id
        assert "ConnectError" in row["last_error"]
        assert h.dcc.undelivered == [bytes(row["body"])]  # kept, not dropped
        # ... and reported over HTTP: /health counts it, test control lists it with the reason.
        with ServerThread(make_app(h.dcc, test_control=True)) as server:
            assert httpx.get(server.url + "/health").json()["outbox"] == {"pending": 0, "failed": 1}
            [listed] = httpx.get(server.url + "/test-control/outbox").json()
            assert listed["request_id"] == request_id and "ConnectError" in listed["last_error"]
    finally:
        poster.close()


def test_a_response_the_receiver_refuses_with_4xx_is_not_retried(receiver: tuple[Receiver, ServerThread]) -> None:
    script, server = receiver
    script.script = [400]
    h, poster = _dcc_with_poster(server.url + "/")
    try:
        _join(h)
        assert poster.drain(timeout_s=30)
        assert [(a, d) for _, a, _, d in poster.attempt_log] == [(1, None)]
        assert h.dcc.inventory.outbox_counts() == {"pending": 0, "failed": 1}
    finally:
        poster.close()


def test_a_hanging_receiver_holds_up_neither_requests_nor_other_deliveries(
    receiver: tuple[Receiver, ServerThread],
) -> None:
    script, server = receiver
    script.script = ["hang"]  # the first delivery hangs until released; the rest are accepted
    h, poster = _dcc_with_poster(server.url + "/", timeout_s=30.0)
    try:
        _join(h)
        assert script.hanging.wait(30)
        # While that delivery hangs, the DCC answers at once and the next device response is delivered.
        assert h.request("8.2", device_id=ESME).code == "I0"
        unjoin = h.request("8.8.2", target=ESME, other_device_id=CAD)
        assert unjoin.code == "I99"
        pause = threading.Event()
        for _ in range(300):  # until the poster has recorded the second delivery (bounded; not a timing check)
            if poster.stats["delivered"] and poster.pending() == 1:
                break
            pause.wait(0.1)
        assert len(script.received) == 1 and str(unjoin.request.request_id).encode() in script.received[0]
        assert poster.pending() == 1  # the hanging one
        script.release.set()
        assert poster.drain(timeout_s=30)
        assert h.dcc.inventory.outbox() == []
    finally:
        script.release.set()
        poster.close()


def test_a_slow_receiver_times_out_each_attempt_and_is_retried(receiver: tuple[Receiver, ServerThread]) -> None:
    script, server = receiver
    script.script = ["hang", 204]
    h, poster = _dcc_with_poster(server.url + "/", timeout_s=0.5)
    try:
        _join(h)
        assert poster.drain(timeout_s=30)
        outcomes = [outcome.split(":")[0] for _, _, outcome, _ in poster.attempt_log]
        assert outcomes == ["ReadTimeout", "delivered"]
    finally:
        script.release.set()
        poster.close()


def test_responses_left_in_the_outbox_are_delivered_when_the_dcc_starts_again(tmp_path: Path) -> None:
    db = tmp_path / "smi.sqlite"
    h = Harness(db=db, sink=False)  # no sink yet: responses stay in the outbox
    first = h.dcc
    exchange = h.request("8.7.2", target=ESME, other_device_id=CAD)
    assert exchange.code == "I99"
    assert first.inventory.outbox_counts() == {"pending": 1, "failed": 0}
    first.inventory.close()  # the server stops (or dies) before delivering
    again = build_reference(shared_pki(), db=db)
    got: list[bytes] = []
    again.set_response_sink(got.append)
    assert len(got) == 1 and str(exchange.request.request_id).encode() in got[0]
    assert again.inventory.outbox() == []

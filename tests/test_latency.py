"""Latency the reference can simulate (``serve --latency`` / ``--device-latency``, test control), so users rehearse
timeouts against realistic timings; and the suite's waits are woken by what they wait for, never a fixed sleep."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pytest_dcc.commands.serve import build_from_args
from pytest_dcc.commands.serve import parser as _parser
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.errors import ConfigError
from pytest_dcc.reference.deliveries import Deliveries, Latency, check_latency
from pytest_dcc.reference.server import make_app
from pytest_dcc.transport.client import DuisClient
from pytest_dcc.transport.http import HttpTransport
from pytest_dcc.transport.receiver import ResponseInbox, ResponseReceiver, ServerThread
from tests.reference_harness import CAD, ESME, IS, Harness


@pytest.fixture
def served() -> Iterator[tuple[ServerThread, Harness, Deliveries, ResponseReceiver]]:
    h = Harness()
    deliveries = Deliveries(h.dcc, latency=Latency())
    with (
        ServerThread(make_app(h.dcc, test_control=True, deliveries=deliveries)) as server,
        ResponseReceiver(h.judge) as receiver,
    ):
        deliveries.set_url(receiver.response_url)
        yield server, h, deliveries, receiver
        deliveries.close()


def _round_trip(server: ServerThread, h: Harness, receiver: ResponseReceiver) -> tuple[float, float]:
    """Seconds from sending an 8.7.2 until its synchronous answer, and until its device response."""
    with HttpTransport(server.url, h.judge) as transport:
        client = DuisClient.of_user(h.builder(IS), transport, h.pki.identity(IS), receiver.inbox)
        start = time.monotonic()
        join = client.request("8.7.2", target=ESME, other_device_id=CAD)
        answered = time.monotonic()
        assert join.code == "I99"
        assert client.wait_for_device_response(join.request, 10).response.code == "I0"
        return answered - start, time.monotonic() - start


@pytest.mark.slow
def test_answers_and_device_responses_take_the_latency_set(
    served: tuple[ServerThread, Harness, Deliveries, ResponseReceiver],
) -> None:
    server, h, deliveries, receiver = served
    deliveries.latency.set(answer_s=0.4, device_s=0.8)
    answer_s, device_s = _round_trip(server, h, receiver)
    # The device latency starts when the request is processed, after the answer latency: 0.4 + 0.8 at least.
    assert answer_s >= 0.4 and device_s >= 1.2
    deliveries.latency.set(answer_s=0, device_s=0)
    assert deliveries.poster is not None and deliveries.poster.delay_s() == 0.0
    assert _round_trip(server, h, receiver)[1] > 0  # and it still answers and delivers


def test_latency_is_set_through_test_control_and_shown_by_health(
    served: tuple[ServerThread, Harness, Deliveries, ResponseReceiver],
) -> None:
    server, h, deliveries, receiver = served
    with httpx.Client(base_url=server.url) as http:
        changed = http.post("/test-control/latency", json={"answer_s": 0.3, "device_s": 1.5})
        assert changed.json() == {"previous": {"answer_s": 0.0, "device_s": 0.0}}
        assert http.get("/health").json()["latency"] == {"answer_s": 0.3, "device_s": 1.5}
        for bad in ({"answer_s": -1}, {"device_s": 61}, {"device_s": "slow"}, {"seconds": 1}, {}, [1]):
            refused = http.post("/test-control/latency", json=bad)
            assert refused.status_code == 400, bad
        assert http.get("/health").json()["latency"] == {"answer_s": 0.3, "device_s": 1.5}  # nothing half-set
        assert http.post("/test-control/latency", json={"answer_s": 0.3, "device_s": -1}).status_code == 400
        assert deliveries.latency == Latency(0.3, 1.5)
        with HttpTransport(server.url, h.judge) as transport:
            start = time.monotonic()
            client = DuisClient.of_user(h.builder(IS), transport, h.pki.identity(IS), receiver.inbox)
            assert client.request("8.2", **sample_values("8.2")).code == "I0"
            assert time.monotonic() - start >= 0.3


def test_serve_checks_the_latency_options(tmp_path: Path) -> None:
    args = _parser().parse_args(["serve", "--latency", "0.05", "--device-latency", "0.5", "--pki", str(tmp_path)])
    assert (args.latency, args.device_latency) == (0.05, 0.5)
    build_from_args(args)
    for option, value in (("--latency", "-0.1"), ("--device-latency", "61")):
        bad = _parser().parse_args(["serve", option, value, "--pki", str(tmp_path)])
        with pytest.raises(ConfigError, match=f"^{option}: a latency is a number of seconds in \\[0, 60\\]"):
            build_from_args(bad)
    assert check_latency(0) == 0.0
    with pytest.raises(ValueError, match="True"):
        check_latency(True)


def test_a_probe_wait_is_woken_by_the_probe_not_a_poll() -> None:
    inbox = ResponseInbox(Harness().judge)
    threading.Timer(0.2, inbox.note_probe, args=("token",)).start()
    start = time.monotonic()
    assert inbox.wait_for_probe("token", 5.0)
    assert time.monotonic() - start < 4.0  # woken by the probe, not by the 5 s timeout
    assert not inbox.wait_for_probe("other", 0.1)

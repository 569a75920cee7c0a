"""Asynchronous responses on their way to the user: the Receive Response Service address (:class:`Deliveries`,
changeable at run time and checked by a probe), the poster that delivers the outbox with retries
(:class:`ResponsePoster`), and the checks of their settings."""

from __future__ import annotations

import heapq
import ipaddress
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import httpx

from pytest_dcc.reference.dcc import ReferenceDcc
from pytest_dcc.reporting.redaction import redact_url
from pytest_dcc.spec import PROBE_HEADER

log = logging.getLogger("pytest_dcc.reference.server")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names a loopback interface."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_delivery_settings(attempts: int, timeout_s: float, backoff_s: float, backoff_max_s: float) -> None:
    """:class:`ValueError` unless the delivery settings make sense (``serve`` checks them before it starts)."""
    if attempts < 1 or timeout_s <= 0 or not 0 <= backoff_s <= backoff_max_s:
        raise ValueError("attempts must be >= 1, timeout > 0 and 0 <= backoff <= backoff max")


def check_response_url(url: str | None) -> None:
    """:class:`ValueError` unless ``url`` (``None``: no address) is an http(s) URL with a host."""
    if url is None:
        return
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"a Receive Response Service address is an http(s) URL, given: {url!r}")


class ResponsePoster:
    """Delivers asynchronous responses to the user's Receive Response Service URL (a :class:`DeliveryQueue`).

    ``workers`` threads POST in the background, so a slow or dead receiver never holds up Service Requests. A
    connection failure, a timeout, HTTP 408, 429 or 5xx is retried after ``backoff_s``, doubling up to
    ``backoff_max_s``, at most ``attempts`` times in all; while one response waits for its retry the others go
    on. Another 4xx (the receiver refused the response itself) is not retried. Each outcome goes back to the DCC:
    ``on_delivered(id)`` removes the response from the outbox, ``on_failed(id, attempts, reason)`` keeps it there
    marked failed, listed by ``/health`` and ``GET /test-control/outbox``. Nothing is dropped silently: what is
    still waiting when the server stops stays in the outbox and is delivered when it starts again.
    """

    def __init__(
        self,
        url: str,
        *,
        on_delivered: Callable[[int], None],
        on_failed: Callable[[int, int, str], None],
        verify: Any = True,
        cert: Any = None,
        timeout_s: float = 10.0,
        attempts: int = 5,
        backoff_s: float = 0.5,
        backoff_max_s: float = 30.0,
        workers: int = 4,
        delay_s: Callable[[], float] = lambda: 0.0,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        check_delivery_settings(attempts, timeout_s, backoff_s, backoff_max_s)
        self.url = url
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.on_delivered = on_delivered
        self.on_failed = on_failed
        #: Seconds a response waits before its first attempt (the simulated device latency, read per response).
        self.delay_s = delay_s
        #: Counters for /health and the stress figures: delivered, retried (attempts after the first), failed.
        self.stats = {"delivered": 0, "retried": 0, "failed": 0}
        #: The last 1000 attempts: (item id, attempt number, outcome, seconds until the retry or None).
        self.attempt_log: deque[tuple[int, int, str, float | None]] = deque(maxlen=1000)
        self._heap: list[tuple[float, int, int, bytes]] = []  # (due, item id, attempts made, body)
        self._busy = 0
        self._closed = False
        self._cond = threading.Condition()
        self._client = httpx.Client(timeout=timeout_s, verify=verify, cert=cert)
        self._threads = [
            threading.Thread(target=self._run, name=f"pytest-dcc-response-poster-{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, item_id: int, raw: bytes) -> None:
        """Queue outbox item ``item_id`` for delivery, after the device latency (now, by default)."""
        due = time.monotonic() + max(0.0, self.delay_s())
        with self._cond:
            heapq.heappush(self._heap, (due, item_id, 0, raw))
            self._cond.notify()

    def pending(self) -> int:
        """Responses queued, waiting for a retry or being posted."""
        with self._cond:
            return len(self._heap) + self._busy

    def _next(self) -> tuple[int, int, bytes] | None:
        with self._cond:
            while not self._closed:
                if self._heap and self._heap[0][0] <= time.monotonic():
                    _, item_id, made, raw = heapq.heappop(self._heap)
                    self._busy += 1
                    return item_id, made, raw
                self._cond.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
            return None

    def _run(self) -> None:
        while (job := self._next()) is not None:
            item_id, made, raw = job
            attempt = made + 1
            outcome, retry = self._post(raw)
            delay = min(self.backoff_s * 2 ** (attempt - 1), self.backoff_max_s) if retry else None
            if delay is not None and attempt >= self.attempts:
                delay = None
            kind = "delivered" if outcome == "delivered" else "retried" if delay is not None else "failed"
            with self._cond:
                self.attempt_log.append((item_id, attempt, outcome, delay))
                self.stats[kind] += 1
                if delay is not None:
                    heapq.heappush(self._heap, (time.monotonic() + delay, item_id, attempt, raw))
                    self._cond.notify()
            try:
                if kind == "delivered":
                    self.on_delivered(item_id)
                elif kind == "retried":
                    log.info("response %s: attempt %d failed (%s); retrying in %.2fs", item_id, attempt, outcome, delay)
                else:
                    self.on_failed(item_id, attempt, outcome)
            except Exception:  # the outcome could not be recorded; the item stays in the outbox
                log.exception("recording the delivery outcome of response %s failed", item_id)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _post(self, raw: bytes) -> tuple[str, bool]:
        """One attempt: ("delivered", False) or (what went wrong, whether to retry)."""
        try:
            reply = self._client.post(self.url, content=raw, headers={"content-type": "application/xml"})
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}", True
        if reply.status_code < 300:
            return "delivered", False
        status = reply.status_code
        return f"HTTP {status}: {reply.text[:200]}", status >= 500 or status in {408, 429}

    def drain(self, timeout_s: float | None = None) -> bool:
        """Wait until nothing is queued or being posted; False if ``timeout_s`` passed first."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            while self._heap or self._busy:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop: posts under way finish; what waits for a retry stays in the DCC's outbox (pending)."""
        with self._cond:
            self._closed = True
            waiting = len(self._heap)
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=timeout_s)
        self._client.close()
        if waiting:
            log.warning("%d asynchronous response(s) still waiting for delivery stay in the outbox", waiting)


#: The longest latency that can be simulated, in seconds.
MAX_LATENCY_S: Final = 60.0


def check_latency(seconds: float) -> float:
    """``seconds`` as a latency (a number in [0, 60]), or :class:`ValueError` saying what it must be."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= MAX_LATENCY_S:
        raise ValueError(f"a latency is a number of seconds in [0, {MAX_LATENCY_S:g}], given: {seconds!r}")
    return float(seconds)


@dataclass
class Latency:
    """The timings the reference simulates, changeable at run time: ``answer_s`` before each synchronous answer,
    ``device_s`` before each device response is delivered (as DCC test systems answer in seconds, not at once)."""

    answer_s: float = 0.0
    device_s: float = 0.0

    def set(self, *, answer_s: float | None = None, device_s: float | None = None) -> dict[str, float]:
        """Change either (each checked before either changes); answers the values before."""
        previous = {"answer_s": self.answer_s, "device_s": self.device_s}
        checked = [check_latency(v) if v is not None else None for v in (answer_s, device_s)]
        if checked[0] is not None:
            self.answer_s = checked[0]
        if checked[1] is not None:
            self.device_s = checked[1]
        return previous


class Deliveries:
    """The users' Receive Response Service address: where asynchronous responses go, set at start
    (``--response-url``) and changed at run time through test control. ``make_poster(url)`` builds the
    :class:`ResponsePoster` for an address (the delivery settings of ``serve``); every poster waits
    ``latency.device_s`` before a response's first attempt."""

    def __init__(
        self,
        dcc: ReferenceDcc,
        make_poster: Callable[[str], ResponsePoster] | None = None,
        latency: Latency | None = None,
    ) -> None:
        self.dcc = dcc
        self.latency = latency or Latency()
        self.make_poster = make_poster or (
            lambda url: ResponsePoster(url, on_delivered=dcc.delivered, on_failed=dcc.delivery_failed)
        )
        self.poster: ResponsePoster | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str | None:
        """The address in use, or ``None`` (responses stay in the outbox, or go to a sink with no address)."""
        sink = self.poster or self.dcc.response_sink
        return getattr(sink, "url", None)

    def health(self) -> dict[str, Any]:
        """What ``/health`` says of deliveries: the latency simulated, and ``response_url`` (``None``: responses
        stay in the outbox), left out when responses go to a sink in this process that has no address to tell."""
        latency = {"latency": {"answer_s": self.latency.answer_s, "device_s": self.latency.device_s}}
        sink = self.poster or self.dcc.response_sink
        if sink is not None and getattr(sink, "url", None) is None:
            return latency
        return {"response_url": redact_url(self.url) if self.url else None, **latency}  # no credentials shown

    def set_url(self, url: str | None) -> str | None:
        """Deliver to ``url`` from now on (``None``: keep responses in the outbox); answers the address before."""
        check_response_url(url)
        with self._lock:
            previous, old = self.url, self.poster
            self.poster = self.make_poster(url) if url is not None else None
            if self.poster is not None:
                self.poster.delay_s = lambda: self.latency.device_s
            self.dcc.set_response_sink(self.poster)
        if old is not None:
            old.close()
        if url != previous:
            log.info("asynchronous responses now go to %s", redact_url(url) if url else "the outbox (no address)")
        return previous

    def check(self, token: str) -> dict[str, Any]:
        """POST an empty probe to the address: what answered, or why nothing did."""
        url = self.url
        if url is None:
            return {"url": None, "status": None, "error": "no Receive Response Service address is set"}
        try:
            with httpx.Client(timeout=5.0) as client:
                reply = client.post(url, content=b"", headers={PROBE_HEADER: token})
        except httpx.HTTPError as exc:
            return {"url": url, "status": None, "error": f"{type(exc).__name__}: {exc}"}
        return {"url": url, "status": reply.status_code, "error": None}

    def close(self) -> None:
        """Stop delivering (what is still queued stays in the outbox)."""
        if self.poster is not None:
            self.poster.close()


__all__ = [
    "MAX_LATENCY_S",
    "Deliveries",
    "Latency",
    "ResponsePoster",
    "check_delivery_settings",
    "check_latency",
    "check_response_url",
    "is_loopback",
]

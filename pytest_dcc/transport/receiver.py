"""The asynchronous response receiver: where a DCC delivers device responses and alerts to the user.

:class:`ResponseInbox` judges each delivered ``sr:Response`` and keeps it, correlated by RequestID, for
:meth:`ResponseInbox.wait_for`. :class:`ResponseReceiver` puts an inbox behind a real HTTP(S) endpoint (uvicorn on
a background thread) that answers 204 to a response it accepted and 400, with the reason, to anything else.
In process, the reference DCC's response sink feeds an inbox directly.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from lxml import etree

from pytest_dcc.duis.endpoint import read_body
from pytest_dcc.duis.ids import RequestID
from pytest_dcc.duis.xmlsafe import DEFAULT_MAX_BYTES
from pytest_dcc.errors import (
    BodyTooLargeError,
    DuplicateResponseError,
    ResponseFormatError,
    ResponseTimeoutError,
    TransportError,
)
from pytest_dcc.spec import NS_DS, PROBE_HEADER
from pytest_dcc.transport.admission import Judged, ResponseJudge

if TYPE_CHECKING:  # the HTTP stack is imported when a server is made: an in-process run never needs it
    from starlette.applications import Starlette


#: How many bytes of a refused delivery are kept (for the report's preview); the rest is dropped at once.
REJECTED_KEEP_BYTES: Final = 4096
#: How many characters of the reason a refused delivery keeps.
REJECTED_REASON_CHARS: Final = 2000
#: The :attr:`Rejected.cause` of a delivery refused for its size while it streamed (HTTP 413).
TOO_LARGE: Final = "too-large"
#: How many refused deliveries an inbox keeps (the latest; :attr:`ResponseInbox.rejected_total` counts them all).
REJECTED_KEEP: Final = 100
#: Second copies of accepted responses kept (each with its first REJECTED_KEEP_BYTES bytes only); all are counted.
DUPLICATES_KEEP: Final = 100
#: The longest delivery-probe token noted, and how many are kept (the suite's own are short and few).
PROBE_TOKEN_CHARS: Final = 200
PROBES_KEEP: Final = 64
_DS_SIGNATURE: Final = f"{{{NS_DS}}}Signature"


@dataclass(frozen=True, slots=True)
class Rejected:
    """A delivery the inbox refused, and why (kept so a test can report what a broken endpoint sent): its first
    :data:`REJECTED_KEEP_BYTES` bytes, never the whole of it, and its size."""

    raw: bytes
    reason: str
    cause: str
    #: The size of the whole delivery (``raw`` is a prefix of it when smaller).
    size: int = 0

    @classmethod
    def of(cls, raw: bytes, reason: str, cause: str, size: int | None = None) -> Rejected:
        """What is kept of the delivery ``raw`` (of ``size`` bytes when ``raw`` is already a prefix)."""
        return cls(
            bytes(raw[:REJECTED_KEEP_BYTES]), reason[:REJECTED_REASON_CHARS], cause, len(raw) if size is None else size
        )

    @property
    def truncated(self) -> bool:
        """Whether ``raw`` is only the start of the delivery."""
        return self.size > len(self.raw)

    def preview(self, limit: int = 200) -> str:
        """The start of the delivery as text, for a report."""
        text = self.raw[:limit].decode("utf-8", "replace")
        return text + ("..." if self.size > limit else "")


@dataclass
class ResponseInbox:
    """Thread-safe store of asynchronous responses, judged on arrival and waited for by RequestID."""

    judge: ResponseJudge
    accepted: list[Judged] = field(default_factory=list)
    #: The latest :data:`REJECTED_KEEP` refused deliveries (each a bounded prefix: :class:`Rejected`).
    rejected: deque[Rejected] = field(default_factory=lambda: deque(maxlen=REJECTED_KEEP))
    #: Every refused delivery, those no longer kept included.
    rejected_total: int = 0
    #: Second, different responses under the identity of one already accepted (same RequestID and ResponseID, other
    #: signed content): an endpoint that answered one request twice, differently.
    duplicates: list[Judged] = field(default_factory=list)
    #: Identical re-deliveries of a response already accepted (same identity, same signed content): what
    #: at-least-once delivery gives when an acknowledgement is lost. One response; counted and reported, no error.
    redelivered: dict[RequestID | None, int] = field(default_factory=dict)
    #: How long after a response :meth:`check_no_duplicates` waits for a second one right behind it (0 in process,
    #: where delivery happens before the request returns; the HTTP receiver sets it). The wait ends the moment
    #: another delivery for the same request comes.
    settle_s: float = 0.0
    #: Tokens of the delivery probes that reached this inbox (``X-Pytest-Dcc-Probe``; not DUIS, never judged).
    probes: dict[str, None] = field(default_factory=dict)  # in arrival order, bounded
    #: Second and later copies counted in all (:attr:`duplicates` keeps the first :data:`DUPLICATES_KEEP`).
    duplicates_total: int = 0
    #: Why no asynchronous response can arrive (the endpoint has no address to deliver to): a wait for one is
    #: then an ERROR at once, with this reason, instead of a timeout.
    undeliverable: str | None = None
    #: RequestID -> (deliveries of responses to it so far, when the last came): what the settle waits on.
    _arrivals: dict[RequestID | None, tuple[int, float]] = field(default_factory=dict)
    _seen: dict[tuple[object, ...], bytes] = field(default_factory=dict)  # identity -> digest of signed content
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def __repr__(self) -> str:
        return f"ResponseInbox(accepted={len(self.accepted)}, rejected={len(self.rejected)})"

    def deliver(self, raw: bytes, content_type: str | None = "application/xml") -> Judged:
        """Judge and store one delivery; raises the judge's :class:`TransportError` after recording it."""
        try:
            judged = self.judge.judge_delivery(raw, content_type=content_type)
        except TransportError as exc:
            self.note_rejected(Rejected.of(raw, str(exc), exc.cause))
            raise
        except Exception as exc:  # a backstop: whatever a hostile delivery does, it is recorded and refused
            error = ResponseFormatError(f"asynchronous response cannot be read: {type(exc).__name__}: {exc}")
            self.note_rejected(Rejected.of(raw, str(error), error.cause))
            raise error from None
        with self._cond:
            rid = judged.response.request_id
            self._arrivals[rid] = (self._arrivals.get(rid, (0, 0.0))[0] + 1, time.monotonic())
            content = _content(judged)
            key = _identity(judged, content)
            if self._seen.get(key) == content:  # the same response again: at-least-once delivery
                rid = judged.response.request_id
                if rid in self.redelivered or len(self.redelivered) < DUPLICATES_KEEP:
                    self.redelivered[rid] = self.redelivered.get(rid, 0) + 1
            elif key in self._seen:
                self.duplicates_total += 1
                if len(self.duplicates) < DUPLICATES_KEEP:  # evidence of a second delivery, not its whole bytes
                    self.duplicates.append(dataclasses.replace(judged, raw=judged.raw[:REJECTED_KEEP_BYTES]))
            else:
                self._seen[key] = content
                self.accepted.append(judged)
            self._cond.notify_all()
        return judged

    def note_rejected(self, rejected: Rejected) -> None:
        """Record a refused delivery (the oldest kept is dropped past :data:`REJECTED_KEEP`)."""
        with self._cond:
            self.rejected.append(rejected)
            self.rejected_total += 1
            self._cond.notify_all()

    def note_probe(self, token: str) -> None:
        """A delivery probe carrying ``token`` reached this inbox (tokens of at most :data:`PROBE_TOKEN_CHARS`
        characters; only the latest :data:`PROBES_KEEP` are kept, so a flood of probes cannot fill memory)."""
        if len(token) > PROBE_TOKEN_CHARS:
            return
        with self._cond:
            self.probes[token] = None
            while len(self.probes) > PROBES_KEEP:
                self.probes.pop(next(iter(self.probes)))
            self._cond.notify_all()

    def wait_for_probe(self, token: str, timeout_s: float) -> bool:
        """Whether the probe carrying ``token`` arrives within ``timeout_s`` (woken by its arrival, not polled)."""
        with self._cond:
            return self._cond.wait_for(lambda: token in self.probes, timeout=timeout_s)

    def redeliveries_of(self, request_id: RequestID) -> int:
        """How many identical extra copies of responses to ``request_id`` arrived (at-least-once delivery)."""
        with self._cond:
            return self.redelivered.get(request_id, 0)

    def duplicates_of(self, request_id: RequestID) -> list[Judged]:
        """Extra copies received of responses to ``request_id``."""
        with self._cond:
            return [j for j in self.duplicates if j.response.request_id == request_id]

    def check_no_duplicates(self, request_ids: list[RequestID], max_wait_s: float = 2.0) -> None:
        """Raise :class:`DuplicateResponseError` if a second, different response to any of ``request_ids`` arrived
        (an identical re-delivery is no error: :meth:`redeliveries_of`). Where a response to one of them came less
        than :attr:`settle_s` ago, a second one may be right behind it: the check waits for it until then (at most
        ``max_wait_s``), and is woken the moment another delivery for one of them comes. Responses that came
        earlier, or none, cost no wait."""
        wanted = set(request_ids)
        deadline = time.monotonic() + max_wait_s
        with self._cond:
            before = self._arrived(wanted)
            while True:
                count, last = self._arrived(wanted)
                remaining = min(last + self.settle_s, deadline) - time.monotonic()
                if count > before[0] or remaining <= 0:
                    break
                self._cond.wait(remaining)
        for request_id in request_ids:
            if copies := self.duplicates_of(request_id):
                raise DuplicateResponseError(_duplicate_message(request_id, copies))

    def _arrived(self, request_ids: set[RequestID]) -> tuple[int, float]:
        """(deliveries of responses to ``request_ids`` so far, when the last came; 0 for none); the lock held."""
        arrivals = [self._arrivals[r] for r in request_ids if r in self._arrivals]
        return sum(n for n, _ in arrivals), max((t for _, t in arrivals), default=0.0)

    def for_request(self, request_id: RequestID) -> list[Judged]:
        """Every accepted response that names ``request_id``."""
        with self._cond:
            return [j for j in self.accepted if j.response.request_id == request_id]

    def wait_for(
        self,
        request_id: RequestID,
        timeout_s: float,
        *,
        count: int = 1,
        predicate: Callable[[Judged], bool] | None = None,
    ) -> list[Judged]:
        """Wait until ``count`` accepted responses name ``request_id`` (and satisfy ``predicate``).

        :raises ResponseTimeoutError: not enough arrived in time; the message lists what did arrive, including
            deliveries that were refused (a broken endpoint's answer is reported, never silently lost).
        """
        deadline = time.monotonic() + timeout_s
        if self.undeliverable is not None:
            raise ResponseTimeoutError(f"no asynchronous response for {request_id} can arrive: {self.undeliverable}")

        def matching() -> list[Judged]:
            return [
                j
                for j in self.accepted
                if j.response.request_id == request_id and not j.is_alert and (predicate is None or predicate(j))
            ]

        with self._cond:
            while len(found := matching()) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ResponseTimeoutError(self._timeout_message(request_id, timeout_s, len(found), count))
                self._cond.wait(remaining)
        if copies := self.duplicates_of(request_id):
            raise DuplicateResponseError(_duplicate_message(request_id, copies))
        return found

    def _timeout_message(self, request_id: RequestID, timeout_s: float, got: int, wanted: int) -> str:
        others = [str(j.response.request_id) for j in self.accepted if j.response.request_id != request_id]
        refused = [f"{r.cause}: {(r.reason.splitlines() or [''])[0]}" for r in self.rejected]
        if (dropped := self.rejected_total - len(self.rejected)) > 0:
            refused.insert(0, f"{dropped} earlier ones not kept")
        return (
            f"{got} of {wanted} asynchronous response(s) for {request_id} arrived within {timeout_s:g}s; "
            f"other responses: {others or 'none'}; refused deliveries: {refused or 'none'}"
        )

    def clear(self) -> None:
        """Forget everything received."""
        with self._cond:
            self.accepted.clear()
            self.rejected.clear()
            self.rejected_total = 0
            self.duplicates.clear()
            self.redelivered.clear()
            self._seen.clear()
            self._arrivals.clear()


def _identity(judged: Judged, content: bytes) -> tuple[object, ...]:
    """What makes two deliveries one response: the RequestID and ResponseID (a DCC device response has one); a
    response without ResponseID is the one response to its request. An alert is no response: each distinct alert
    is its own (its signed content)."""
    response = judged.response
    if judged.is_alert:
        return ("alert", response.request_id, content)
    return (response.request_id, response.response_id)


def _duplicate_message(request_id: RequestID, copies: list[Judged]) -> str:
    ids = sorted({str(c.response.response_id) for c in copies})
    return (
        f"{len(copies) + 1} different asynchronous responses to {request_id} arrived under one identity (ResponseID "
        f"{', '.join(ids)}): a response re-delivered must be the same response (identical signed content)"
    )


def _content(judged: Judged) -> bytes:
    """The digest of what the DSP signed, without the signature itself (re-signing the same response gives another
    ECDSA value): the root's attributes and the canonical form of each child but ``ds:Signature``."""
    digest = hashlib.sha256(repr(sorted(judged.root.attrib.items())).encode())
    for child in judged.root:
        if isinstance(child.tag, str) and child.tag != _DS_SIGNATURE:
            digest.update(etree.tostring(child, method="c14n", exclusive=True, with_comments=False))
    return digest.digest()


def make_receiver_app(inbox: ResponseInbox, path: str = "/") -> Starlette:
    """A Starlette app that accepts ``sr:Response`` POSTs into ``inbox`` (204 / 400) at ``path`` and at any other
    path (a Receive Response Service address is whatever the DCC was configured with: DCC Boxed's example is
    ``/smartdcc/duis``). An empty POST with ``X-Pytest-Dcc-Probe: T`` is a delivery probe: 204, ``T`` noted.
    A body over the judge's size limit is refused while it streams (413, recorded as refused), never buffered."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    # A probe-only receiver (tests of the delivery check) may have no judge: the default limit then.
    limit = getattr(inbox.judge, "max_bytes", DEFAULT_MAX_BYTES)

    async def receive(request: Request) -> Response:
        try:
            body = await read_body(request, limit)
        except BodyTooLargeError as exc:
            inbox.note_rejected(Rejected.of(b"", f"delivery {exc}", TOO_LARGE, exc.seen))
            return PlainTextResponse(f"{TOO_LARGE}: delivery {exc}", status_code=413, headers={"connection": "close"})
        token = request.headers.get(PROBE_HEADER)
        if token is not None and not body:
            inbox.note_probe(token)
            return Response(status_code=204)
        try:
            await asyncio.to_thread(inbox.deliver, body, request.headers.get("content-type"))
        except TransportError as exc:
            return PlainTextResponse(f"{exc.cause}: {exc}", status_code=400)
        return Response(status_code=204)

    routes = [Route(path, receive, methods=["POST"])]
    if path != "/{rest:path}":
        routes.append(Route("/{rest:path}", receive, methods=["POST"]))
    return Starlette(routes=routes)


def free_port(host: str = "127.0.0.1") -> int:
    """An unused TCP port on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ServerThread:
    """Runs a uvicorn server for ``app`` on a daemon thread; ``start`` waits until it listens."""

    def __init__(
        self, app: Any, host: str = "127.0.0.1", port: int = 0, ssl_context: dict[str, Any] | None = None
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.tls = bool(ssl_context)
        import uvicorn

        config = uvicorn.Config(
            app, host=host, port=self.port, log_level="warning", lifespan="off", **(ssl_context or {})
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name=f"pytest-dcc-server-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> ServerThread:
        """Start and wait until the server accepts connections; :class:`OSError` (before any thread is started)
        when the address cannot be listened on."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self.host, self.port))
            except OSError as exc:
                raise OSError(exc.errno, f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}") from None
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.host}:{self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ask the server to exit and wait for the thread."""
        self.server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ResponseReceiver(ServerThread):
    """An HTTP(S) receiver for asynchronous DUIS responses, backed by :attr:`inbox`.

    :param tls: uvicorn TLS settings (``ssl_certfile``, ``ssl_keyfile``, ``ssl_ca_certs``, ``ssl_cert_reqs``)
        for an HTTPS receiver, mutual TLS included.
    """

    def __init__(
        self,
        judge: ResponseJudge,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = "/",
        tls: dict[str, Any] | None = None,
    ) -> None:
        self.inbox = ResponseInbox(judge, settle_s=0.1)
        self.path = path
        super().__init__(make_receiver_app(self.inbox, path), host, port, tls)

    @property
    def response_url(self) -> str:
        """The URL to configure as the DCC's "Receive Response Service address" (a wildcard listening address is
        named by loopback: the URL a DCC on this machine reaches)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}{self.path}"


def require_client_cert_tls(certfile: str, keyfile: str, client_ca: str) -> dict[str, Any]:
    """uvicorn TLS settings for a receiver that requires a client certificate signed by ``client_ca``."""
    return {
        "ssl_certfile": certfile,
        "ssl_keyfile": keyfile,
        "ssl_ca_certs": client_ca,
        "ssl_cert_reqs": ssl.CERT_REQUIRED,
    }


__all__ = [
    "REJECTED_KEEP",
    "REJECTED_KEEP_BYTES",
    "REJECTED_REASON_CHARS",
    "TOO_LARGE",
    "Rejected",
    "ResponseInbox",
    "ResponseReceiver",
    "ServerThread",
    "free_port",
    "make_receiver_app",
    "require_client_cert_tls",
]

"""The user side of DUIS in one object: build, sign, send, and wait for asynchronous responses."""

from __future__ import annotations

from typing import Any

from pytest_dcc.duis.build import DuisRequest, RequestBuilder
from pytest_dcc.duis.signing import SigningIdentity, sign
from pytest_dcc.transport import Exchange, Transport
from pytest_dcc.transport.admission import Judged
from pytest_dcc.transport.receiver import ResponseInbox


class DuisClient:
    """Signs each request with ``identity`` (when given) and sends it through ``transport``."""

    def __init__(
        self,
        builder: RequestBuilder,
        transport: Transport,
        identity: SigningIdentity | None,
        inbox: ResponseInbox | None = None,
    ) -> None:
        self.builder = builder
        self.transport = transport
        self.identity = identity
        self.inbox = inbox

    def serialise(self, request: DuisRequest) -> bytes:
        """The bytes that go on the wire: signed in the DCC Boxed profile when an identity is set."""
        if self.identity is not None:
            sign(request.root, self.identity)
        return request.to_bytes()

    def send(self, request: DuisRequest) -> Exchange:
        """Sign and send ``request``; returns the judged exchange or raises a TransportError."""
        return self.transport.send(request, self.serialise(request))

    def request(self, srv: str, **values: Any) -> Exchange:
        """Build, sign and send SRV ``srv`` (see :meth:`RequestBuilder.request`)."""
        return self.send(self.builder.request(srv, **values))

    def wait_for_device_response(self, request: DuisRequest, timeout_s: float) -> Judged:
        """The first asynchronous response to ``request`` (ResponseTimeoutError if none arrives in time)."""
        if self.inbox is None:
            raise RuntimeError("this client has no response receiver")
        return self.inbox.wait_for(request.request_id, timeout_s)[0]


__all__ = ["DuisClient"]

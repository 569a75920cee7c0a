"""Transports: put a signed DUIS request on the wire and bring back a judged response plus the raw evidence.

``InProcessTransport`` calls a :class:`~pytest_dcc.duis.endpoint.DuisEndpoint` (the reference DCC) directly;
``HttpTransport`` speaks HTTP(S) with httpx to any endpoint. Both hand the answer to the same
:class:`~pytest_dcc.transport.admission.ResponseJudge`, so an endpoint is judged the same way whichever way it is
reached.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol, Self

from pytest_dcc.duis.build import DuisRequest
from pytest_dcc.transport.admission import Judged, ResponseJudge, SignaturePolicy


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request/answer round trip: what was sent, what came back, and how it was judged."""

    request: DuisRequest
    request_bytes: bytes
    url: str
    http_status: int
    headers: Mapping[str, str]
    elapsed_s: float
    judged: Judged
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def response_bytes(self) -> bytes:
        """The raw answer as received."""
        return self.judged.raw

    @property
    def code(self) -> str:
        """The DUIS ResponseCode of the answer."""
        return self.judged.response.code


class Transport(Protocol):
    """Sends signed request bytes for a :class:`DuisRequest` and returns the judged :class:`Exchange`."""

    judge: ResponseJudge

    def send(self, request: DuisRequest, body: bytes) -> Exchange:
        """Send ``body`` (the signed serialisation of ``request``) to the path its CV requires."""
        ...

    def send_to(self, request: DuisRequest, body: bytes, path: str) -> Exchange:
        """As :meth:`send`, to an explicit URL path (for wrong-URL scenarios)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class ClosingTransport:
    """A transport base that is its own context manager (``with HttpTransport(...) as t``)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release by default."""


def clock() -> float:
    """The monotonic clock a transport times an exchange with."""
    return time.perf_counter()


__all__ = ["ClosingTransport", "Exchange", "Judged", "ResponseJudge", "SignaturePolicy", "Transport", "clock"]

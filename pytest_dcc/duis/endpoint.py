"""The in-process endpoint contract: what the reference DCC offers the suite's in-process transport.

It is HTTP-shaped on purpose (method, path, headers, body in; status, headers, body out), so the suite judges the
in-process reference DCC with exactly the code it uses for an endpoint over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class HttpReply:
    """An HTTP-shaped answer: status, headers (lower-case names) and body bytes."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


#: Receives each asynchronous ``sr:Response`` (device responses, alerts) the endpoint sends to the user.
ResponseSink = Callable[[bytes], None]


@runtime_checkable
class DuisEndpoint(Protocol):
    """A DUIS endpoint callable in process."""

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        """Answer one HTTP request to ``path`` (``/api/v1/serviceD`` ...)."""
        ...

    def set_response_sink(self, sink: ResponseSink | None) -> None:
        """Where to deliver asynchronous responses (instead of POSTing them to a URL)."""
        ...


__all__ = ["DuisEndpoint", "HttpReply", "ResponseSink"]

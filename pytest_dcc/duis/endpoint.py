"""The in-process endpoint contract: what the reference DCC offers the suite's in-process transport.

It is HTTP-shaped on purpose (method, path, headers, body in; status, headers, body out), so the suite judges the
in-process reference DCC with exactly the code it uses for an endpoint over HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from pytest_dcc.errors import BodyTooLargeError


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


class StreamedRequest(Protocol):
    """What :func:`read_body` needs of an HTTP request (a Starlette ``Request`` is one)."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    def stream(self) -> AsyncIterator[bytes]: ...


async def read_body(request: StreamedRequest, limit: int) -> bytes:
    """The body of ``request``, read chunk by chunk and refused as soon as it passes ``limit`` bytes: a declared
    ``Content-Length`` over the limit is refused before anything is read, and a body that streams past the limit is
    dropped there, so at most ``limit`` plus one chunk is ever held (never the whole of a huge body).

    :raises BodyTooLargeError: the body is (or says it is) over ``limit``; answer HTTP 413.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise BodyTooLargeError(limit, 0)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(limit, size)
        chunks.append(chunk)
    return b"".join(chunks)


__all__ = ["DuisEndpoint", "HttpReply", "ResponseSink", "StreamedRequest", "read_body"]

"""The one Receive Response Service address of a parallel run.

An endpoint delivers every asynchronous response to one address, but with ``pytest -n N --dcc-endpoint URL``
each pytest-xdist worker waits for its own. The controller process therefore listens on the suite's receiver
address (``--dcc-receiver-host``/``--dcc-receiver-port``) with a :class:`ResponseFanout`, and every worker's own
receiver (a free port) registers in a folder the controller names, with the devices and the users its lane has
to itself. Each delivery is relayed, as it came, to the worker whose lane holds the device its RequestID targets
(else whose own user sent it); a delivery that names no lane's device or user (a probe, a response too broken to
read) goes to every worker, each of which judges it alike and waits only for the RequestIDs it sent. The
endpoint gets the (first) worker's answer: 204, or 400 with the reason; 503 while no worker has registered yet (a
DCC retries that).
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_dcc.duis.endpoint import read_body
from pytest_dcc.duis.ids import Eui
from pytest_dcc.duis.xmlsafe import parse
from pytest_dcc.errors import BodyTooLargeError, DccError
from pytest_dcc.spec import NS_SR, PROBE_HEADER
from pytest_dcc.transport.receiver import ServerThread

#: The largest delivery relayed (a DUIS response is far smaller).
MAX_DELIVERY_BYTES: Final = 8 << 20
#: Headers relayed to the workers.
RELAYED_HEADERS: Final = ("content-type", PROBE_HEADER.lower())


@dataclass(frozen=True)
class Worker:
    """One worker's receiver and what its lane has to itself (the EUIs a delivery is routed by)."""

    url: str
    devices: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()


def register_worker(
    folder: Path, worker: str, url: str, devices: Iterable[str] = (), users: Iterable[str] = ()
) -> Path:
    """Make ``url`` (a worker's receiver) one the fan-out relays to, for ``devices`` and ``users``; answers the
    registration file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{worker}.json"
    tmp = folder / f".{worker}.{os.getpid()}.tmp"
    document = {"url": url, "devices": sorted(map(str, devices)), "users": sorted(map(str, users))}
    tmp.write_text(json.dumps(document), encoding="utf-8")
    os.replace(tmp, path)
    return path


def registered(folder: Path) -> list[Worker]:
    """The workers registered in ``folder``, in worker order (a file being written is skipped)."""
    try:
        paths = sorted(folder.glob("*.json"))
    except OSError:
        return []
    workers = []
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            workers.append(Worker(str(data["url"]), frozenset(data["devices"]), frozenset(data["users"])))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return workers


def route(body: bytes, workers: list[Worker]) -> list[Worker]:
    """The workers a delivery goes to: the one whose lane holds the target of its RequestID, else the one whose own
    user sent it, else all of them."""
    request_id = _request_id(body)
    if request_id is not None:
        originator, target = request_id
        for key in ("devices", "users"):
            owners = [w for w in workers if (target if key == "devices" else originator) in getattr(w, key)]
            if owners:
                return owners
    return workers


def _request_id(body: bytes) -> tuple[str, str] | None:
    """(originator, target) of a response's ``Header/RequestID``, or ``None`` when it cannot be read."""
    if not body:
        return None
    try:
        root = parse(body, max_bytes=MAX_DELIVERY_BYTES, what="asynchronous response").getroot()
    except DccError:
        return None
    text = root.findtext(f"{{{NS_SR}}}Header/{{{NS_SR}}}RequestID")
    parts = (text or "").strip().split(":")
    if len(parts) != 3:
        return None
    try:
        return str(Eui(parts[0])), str(Eui(parts[1]))
    except DccError:
        return None


def make_fanout_app(folder: Path) -> Any:
    """The Starlette app relaying every POST (any path) to every receiver registered in ``folder``."""
    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    # Built once: a client's default TLS context loads the CA bundle, about 30 ms of CPU per delivery otherwise.
    tls = ssl.create_default_context()

    async def relay(request: Request) -> Response:
        try:  # refused while streaming: never buffered past the limit
            body = await read_body(request, MAX_DELIVERY_BYTES)
        except BodyTooLargeError as exc:
            return PlainTextResponse(f"delivery too large: {exc}", status_code=413)
        workers = registered(folder)
        if not workers:
            return PlainTextResponse("no worker of the parallel run has registered its receiver yet", status_code=503)
        urls = [w.url for w in await asyncio.to_thread(route, body, workers)]  # parsing stays off the loop
        headers = {k: v for k, v in request.headers.items() if k.lower() in RELAYED_HEADERS}
        async with httpx.AsyncClient(timeout=30.0, verify=tls) as client:
            replies = await asyncio.gather(*(client.post(u, content=body, headers=headers) for u in urls),
                                           return_exceptions=True)  # fmt: skip
        answered = [r for r in replies if isinstance(r, httpx.Response)]
        if not answered:
            return PlainTextResponse(f"no worker's receiver answered: {replies[0]}", status_code=502)
        first = answered[0]
        return Response(first.content, status_code=first.status_code, media_type=first.headers.get("content-type"))

    return Starlette(routes=[Route("/{rest:path}", relay, methods=["POST"])])


class ResponseFanout(ServerThread):
    """The relay on ``host:port`` (the address the endpoint delivers to) for the workers registered in
    ``folder``."""

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.folder = folder
        super().__init__(make_fanout_app(folder), host, port)

    @property
    def response_url(self) -> str:
        """The address to give the endpoint (a wildcard listening address named by loopback)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host
        return f"http://{host}:{self.port}/"


__all__ = [
    "MAX_DELIVERY_BYTES",
    "ResponseFanout",
    "Worker",
    "make_fanout_app",
    "register_worker",
    "registered",
    "route",
]

"""The one Receive Response Service address of a parallel run.

An endpoint delivers every asynchronous response to one address, but with ``pytest -n N --dcc-endpoint URL``
each pytest-xdist worker waits for its own. The controller process therefore listens on the suite's receiver
address (``--dcc-receiver-host``/``--dcc-receiver-port``) with a :class:`ResponseFanout`, and every worker's own
receiver (a free port) registers in a folder the controller names. Each delivery, probes included, is relayed as
it came to every registered worker; each worker's inbox judges it and keeps it (a worker waits only for the
RequestIDs it sent, so the others' copies are never waited for). The endpoint gets the first worker's answer
(every worker judges alike: 204, or 400 with the reason), or 503 while no worker has registered yet (a DCC retries
that).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Final

from pytest_dcc.spec import PROBE_HEADER
from pytest_dcc.transport.receiver import ServerThread

#: The largest delivery relayed (a DUIS response is far smaller).
MAX_DELIVERY_BYTES: Final = 8 << 20
#: Headers relayed to the workers.
RELAYED_HEADERS: Final = ("content-type", PROBE_HEADER.lower())


def register_worker(folder: Path, worker: str, url: str) -> Path:
    """Make ``url`` (a worker's receiver) one the fan-out relays to; answers the registration file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{worker}.url"
    tmp = folder / f".{worker}.{os.getpid()}.tmp"
    tmp.write_text(url, encoding="utf-8")
    os.replace(tmp, path)
    return path


def registered(folder: Path) -> list[str]:
    """The workers' receiver URLs registered in ``folder``, in worker order."""
    try:
        paths = sorted(folder.glob("*.url"))
    except OSError:
        return []
    urls = []
    for path in paths:
        try:
            urls.append(path.read_text(encoding="utf-8").strip())
        except OSError:
            continue
    return [u for u in urls if u]


def make_fanout_app(folder: Path) -> Any:
    """The Starlette app relaying every POST (any path) to every receiver registered in ``folder``."""
    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    client = httpx.AsyncClient(timeout=30.0)

    async def relay(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_DELIVERY_BYTES:
            return PlainTextResponse("delivery too large", status_code=413)
        urls = registered(folder)
        if not urls:
            return PlainTextResponse("no worker of the parallel run has registered its receiver yet", status_code=503)
        headers = {k: v for k, v in request.headers.items() if k.lower() in RELAYED_HEADERS}
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


__all__ = ["MAX_DELIVERY_BYTES", "ResponseFanout", "make_fanout_app", "register_worker", "registered"]

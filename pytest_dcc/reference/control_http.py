"""The test-control API over HTTP (``/test-control/...``, for the local user only): the calls of
:class:`pytest_dcc.reference.control.TestControl`, the delivery address and its check, the outbox. Errors are
mapped by type: :class:`NotFoundError` 404, a missing field or a bad value 400.

Who may call it (:func:`guarded`, every route, GET included), checked in this order before the body is read:

* a loopback client (403), asking for the server by a loopback name on the port it serves: ``Host`` is
  ``127.0.0.1:PORT``, ``localhost:PORT`` or ``[::1]:PORT`` (403; a page of another site that DNS rebinding
  pointed at the loopback address still sends its own name);
* no browser context: any ``Origin`` header (``null`` included) is refused, and ``Sec-Fetch-Site`` other than
  ``none`` or ``same-origin`` (403). The suite's client sends neither; a browser sends ``Origin`` with every
  cross-origin POST and every CORS request, and the reference serves no page of its own origin;
* the server's token, when it has one (``pytest-dcc serve`` always does): ``Authorization: Bearer <token>``,
  compared in constant time (401; :mod:`pytest_dcc.duis.control_token`);
* a body only as JSON: with a body, ``Content-Type`` must be ``application/json`` (415: the CORS "simple" types
  ``text/plain``, form and multipart, and none at all, are refused); read while streaming and refused at
  :data:`MAX_CONTROL_BYTES` (413, before it is buffered).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from pytest_dcc.duis.control_api import ROUTES
from pytest_dcc.duis.control_token import TOKEN_HEADER, TOKEN_SCHEME, token_matches
from pytest_dcc.duis.endpoint import read_body
from pytest_dcc.errors import BodyTooLargeError, InventoryError, NotFoundError
from pytest_dcc.reference.dcc import ReferenceDcc
from pytest_dcc.reference.deliveries import Deliveries, is_loopback

#: The largest test-control body read.
MAX_CONTROL_BYTES: Final = 8 << 20
Handler = Callable[[Request, Any], Any]


class ControlApi:
    """The routes of the test-control API for one reference DCC."""

    def __init__(self, dcc: ReferenceDcc, deliveries: Deliveries, token: str | None = None) -> None:
        self.dcc = dcc
        self.deliveries = deliveries
        #: The server's test-control token (``pytest-dcc serve`` always has one); ``None``: a server a test starts
        #: in its own process, where the other checks of :func:`refusal` still hold.
        self.token = token

    def routes(self) -> list[Route]:
        """The API's routes (:data:`pytest_dcc.duis.control_api.ROUTES`, the table the suite's driver reads too),
        each guarded."""
        handlers: dict[str, Handler] = {
            "response-url": self.response_url,
            "delivery-check": self.delivery_check,
            "latency": self.latency,
            "outbox": self.outbox,
            "reset": self.reset,
            "seed": self.seed,
            "device-view": self.device,
            "device-views": self.devices,
            "set-status": self.status,
            "joins": self.joins,
            "faults": self.faults,
            "renew-certificates": self.certificates,
            "execute-locally": self.execute,
            "local-alert": self.alert,
        }
        return [Route(r.template, guarded(handlers[r.name], self.token), methods=[r.method]) for r in ROUTES]

    def reset(self, request: Request, data: Any) -> None:
        """No body (or ``{}``): forget everything. ``{"devices": [...], "uprns": [low, high]}``: one lane's share."""
        if data:
            if not isinstance(data, dict):
                raise ValueError('a lane reset is {"devices": [EUI, ...], "uprns": [low, high]}')
            self.dcc.reset_lane(data)
        else:
            self.dcc.reset()

    def seed(self, request: Request, data: Any) -> None:
        if not isinstance(data, dict):
            raise ValueError("an inventory document is a JSON object with devices/users/coverage")
        self.dcc.seed(data)

    def device(self, request: Request, data: Any) -> Any:
        return self.dcc.device_view(request.path_params["eui"])

    def devices(self, request: Request, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError('a device-views query is {"devices": [EUI-64, ...], "smki": true|false}')
        return self.dcc.device_views(data)

    def status(self, request: Request, data: Any) -> None:
        self.dcc.set_status(request.path_params["eui"], str(data["status"]))

    def joins(self, request: Request, data: Any) -> None:
        self.dcc.set_join(
            request.path_params["eui"],
            str(data["other"]),
            smi=bool(data.get("smi", True)),
            device=bool(data.get("device", True)),
            remove=bool(data.get("remove", False)),
        )

    def faults(self, request: Request, data: Any) -> None:
        self.dcc.set_fault(request.path_params["eui"], str(data["fault"]), int(data.get("times", 1)))

    def certificates(self, request: Request, data: Any) -> Any:
        return self.dcc.renew_device_certificates(request.path_params["eui"])

    def execute(self, request: Request, data: Any) -> Any:
        response = self.dcc.execute_locally(request.path_params["request_id"])
        return {"gbcs_response": base64.b64encode(response).decode()}

    def alert(self, request: Request, data: Any) -> Any:
        response = self.dcc.collect_alert(request.path_params["eui"])
        return {"gbcs_alert": base64.b64encode(response).decode()}

    def outbox(self, request: Request, data: Any) -> Any:
        keys = ("id", "request_id", "state", "attempts", "last_error")
        return [{k: row[k] for k in keys} for row in self.dcc.inventory.outbox()]

    def response_url(self, request: Request, data: Any) -> Any:
        url = data.get("url") if isinstance(data, dict) else None
        if url is not None and not isinstance(url, str):
            raise ValueError('give {"url": URL} or {"url": null}')
        return {"previous": self.deliveries.set_url(url)}

    def latency(self, request: Request, data: Any) -> Any:
        """``{"answer_s": S, "device_s": S}`` (either): the simulated latency from now on; answers the values before."""
        if not isinstance(data, dict) or not set(data) <= {"answer_s", "device_s"} or not data:
            raise ValueError('give {"answer_s": S} and/or {"device_s": S}, seconds in [0, 60]')
        return {"previous": self.deliveries.latency.set(answer_s=data.get("answer_s"), device_s=data.get("device_s"))}

    def delivery_check(self, request: Request, data: Any) -> Any:
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token or len(token) > 200:
            raise ValueError('give {"token": T}, a string of 1 to 200 characters')
        return self.deliveries.check(token)


#: The names a loopback server is asked for by the local user (with the port it serves).
LOOPBACK_NAMES: Final = frozenset({"127.0.0.1", "localhost", "[::1]"})
#: ``Sec-Fetch-Site`` values of a request no other site's page made.
_OWN_FETCH_SITES: Final = frozenset({"none", "same-origin"})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def _host_refusal(request: Request) -> str | None:
    """Why the ``Host`` header does not name this server on loopback, else ``None``."""
    server = request.scope.get("server")
    host = request.headers.get("host", "")
    if not server or len(server) < 2:
        return "test control cannot tell the port it serves"
    port = int(server[1])
    name, colon, given = host.rpartition(":") if not host.endswith("]") else (host, "", "")
    if not colon:
        name, given = host, str(_DEFAULT_PORTS.get(request.url.scheme, -1))
    if name.lower() in LOOPBACK_NAMES and given == str(port):
        return None
    return (
        f"test control answers requests for 127.0.0.1:{port}, localhost:{port} or [::1]:{port} only; "
        f"Host {host[:100]!r} refused (a page of another site, e.g. after DNS rebinding?)"
    )


def _browser_refusal(request: Request) -> str | None:
    """Why the request looks made by a web page (cross-origin), else ``None``."""
    origin = request.headers.get("origin")
    if origin is not None:
        return f"test control refuses requests with an Origin (a web page's); Origin {origin[:100]!r} refused"
    site = request.headers.get("sec-fetch-site")
    if site is not None and site.lower() not in _OWN_FETCH_SITES:
        return f"test control refuses cross-site requests; Sec-Fetch-Site {site[:40]!r} refused"
    return None


def _body_refusal(request: Request) -> str | None:
    """Why the body may not be read as test-control JSON, else ``None`` (no body, or ``application/json``)."""
    length = request.headers.get("content-length")
    has_body = "transfer-encoding" in request.headers or (length is not None and length.strip() not in ("", "0"))
    kind = request.headers.get("content-type")
    media = kind.split(";", 1)[0].strip().lower() if kind is not None else None
    if media == "application/json" or (media is None and not has_body):
        return None
    return f"test control takes a JSON body only (Content-Type: application/json); {kind or 'no Content-Type'} refused"


def refusal(request: Request, token: str | None) -> Response | None:
    """The answer that refuses ``request`` before its body is read (403, 401, 415), or ``None`` to go on."""
    client = request.client.host if request.client else ""
    if not is_loopback(client):
        return PlainTextResponse("test control answers loopback clients only", status_code=403)
    reason = _host_refusal(request) or _browser_refusal(request)
    if reason is not None:
        return PlainTextResponse(reason, status_code=403)
    if token is not None and not token_matches(request.headers.get(TOKEN_HEADER), token):
        return PlainTextResponse(
            "test control needs this server's token (Authorization: Bearer <token>, from the file pytest-dcc serve "
            "wrote and named at start: <state folder>/test-control-<port>.token)",
            status_code=401,
            headers={"www-authenticate": f'{TOKEN_SCHEME} realm="pytest-dcc test control"'},
        )
    reason = _body_refusal(request)
    return PlainTextResponse(reason, status_code=415) if reason is not None else None


def guarded(handler: Handler, token: str | None = None) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` for the local user only (:func:`refusal`; ``token``: the server's, required when given), its
    JSON body read within the limit while streaming, its errors mapped by type."""

    async def endpoint(request: Request) -> Response:
        refused = refusal(request, token)
        if refused is not None:
            return refused
        try:
            raw = await read_body(request, MAX_CONTROL_BYTES)
        except BodyTooLargeError as exc:
            return PlainTextResponse(f"test-control body too large: {exc}", status_code=413)
        try:
            data = json.loads(raw) if raw else {}
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:  # [ x 100,000 recurses
            return PlainTextResponse(f"body is not JSON: {exc}", status_code=400)
        try:
            result = await asyncio.to_thread(handler, request, data)
        except NotFoundError as exc:
            return PlainTextResponse(str(exc), status_code=404)
        except KeyError as exc:  # a field the call needs is missing from its body
            return PlainTextResponse(f"missing field {exc}", status_code=400)
        except (InventoryError, ValueError, TypeError) as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return JSONResponse(result if result is not None else {"ok": True})

    return endpoint


__all__ = ["LOOPBACK_NAMES", "MAX_CONTROL_BYTES", "ControlApi", "guarded", "refusal"]

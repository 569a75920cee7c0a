"""The test-control API over HTTP (``/test-control/...``, loopback clients only): the calls of
:class:`pytest_dcc.reference.control.TestControl`, the delivery address and its check, the outbox. Errors are
mapped by type: :class:`NotFoundError` 404, a missing field or a bad value 400."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from pytest_dcc.errors import InventoryError, NotFoundError
from pytest_dcc.reference.dcc import ReferenceDcc
from pytest_dcc.reference.deliveries import Deliveries, is_loopback

#: The largest test-control body read.
MAX_CONTROL_BYTES: Final = 8 << 20
Handler = Callable[[Request, Any], Any]


class ControlApi:
    """The routes of the test-control API for one reference DCC."""

    def __init__(self, dcc: ReferenceDcc, deliveries: Deliveries) -> None:
        self.dcc = dcc
        self.deliveries = deliveries

    def routes(self) -> list[Route]:
        post, get = ["POST"], ["GET"]
        table: list[tuple[str, Handler, list[str]]] = [
            ("/test-control/response-url", self.response_url, post),
            ("/test-control/delivery-check", self.delivery_check, post),
            ("/test-control/latency", self.latency, post),
            ("/test-control/outbox", self.outbox, get),
            ("/test-control/reset", self.reset, post),
            ("/test-control/inventory", self.seed, post),
            ("/test-control/devices/{eui}", self.device, get),
            ("/test-control/devices/{eui}/status", self.status, post),
            ("/test-control/devices/{eui}/joins", self.joins, post),
            ("/test-control/devices/{eui}/faults", self.faults, post),
            ("/test-control/devices/{eui}/certificates", self.certificates, post),
            ("/test-control/local-commands/{request_id}/execute", self.execute, post),
            ("/test-control/devices/{eui}/alert", self.alert, post),
        ]
        return [Route(path, guarded(handler), methods=methods) for path, handler, methods in table]

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


def guarded(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` for loopback clients only, its JSON body read within the limit, its errors mapped by type."""

    async def endpoint(request: Request) -> Response:
        client = request.client.host if request.client else ""
        if not is_loopback(client):
            return PlainTextResponse("test control answers loopback clients only", status_code=403)
        raw = await request.body()
        if len(raw) > MAX_CONTROL_BYTES:
            return PlainTextResponse("test-control body too large", status_code=413)
        try:
            data = json.loads(raw) if raw else {}
        except json.JSONDecodeError as exc:
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


__all__ = ["MAX_CONTROL_BYTES", "ControlApi", "guarded"]

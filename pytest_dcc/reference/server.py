"""The reference DCC over HTTP(S): ``/api/v1/serviceD|S|T`` like DCC Boxed, a health endpoint, the SMKI
certificate search, and (only with ``test_control`` and only on loopback) the test-control API.

Test-control API (JSON; documented in docs/reference-dcc.md):

=======================================  ==================================================================
``POST /test-control/reset``             forget everything
``POST /test-control/inventory``         seed: body is an inventory document (devices, users, coverage)
``GET  /test-control/devices/{eui}``     both views of a device (SMI and the simulated device)
``POST /test-control/devices/{eui}/status``        ``{"status": "Pending"}``: set the SMI status
``POST /test-control/devices/{eui}/joins``         ``{"other": EUI, "smi": bool, "device": bool}``
``POST /test-control/devices/{eui}/faults``        ``{"fault": "lose-next-response"|"reject-rejoin", "times": n}``
``POST /test-control/devices/{eui}/certificates``  new device security certificates; answers the serials
``POST /test-control/local-commands/{request_id}/execute``  run a locally delivered command on its device;
                                                   answers ``{"gbcs_response": base64}``
=======================================  ==================================================================
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import logging
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from pytest_dcc.reference.dcc import ReferenceDcc
from pytest_dcc.reference.inventory import InventoryError
from pytest_dcc.spec import SERVICE_PATHS

log = logging.getLogger("pytest_dcc.reference.server")
MAX_CONTROL_BYTES = 8 << 20


def is_loopback(host: str) -> bool:
    """Whether ``host`` names a loopback interface."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ResponsePoster:
    """Delivers asynchronous responses to the user's Receive Response Service URL from a background thread, in
    order; failures are logged and kept in :attr:`failed` (a user whose receiver is down loses nothing silently)."""

    def __init__(self, url: str, *, verify: Any = True, cert: Any = None, timeout_s: float = 10.0) -> None:
        self.url = url
        self.failed: list[tuple[bytes, str]] = []
        self._queue: queue.Queue[bytes | None] = queue.Queue()
        self._client = httpx.Client(timeout=timeout_s, verify=verify, cert=cert)
        self._thread = threading.Thread(target=self._run, name="pytest-dcc-response-poster", daemon=True)
        self._thread.start()

    def __call__(self, item: bytes) -> None:
        self._queue.put(item)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                reply = self._client.post(self.url, content=item, headers={"content-type": "application/xml"})
                if reply.status_code >= 300:
                    self.failed.append((item, f"HTTP {reply.status_code}: {reply.text[:200]}"))
                    log.warning("response receiver answered HTTP %s", reply.status_code)
            except httpx.HTTPError as exc:
                self.failed.append((item, f"{type(exc).__name__}: {exc}"))
                log.warning("cannot deliver a response to %s: %s", self.url, exc)
            finally:
                self._queue.task_done()

    def drain(self) -> None:
        """Wait until everything queued has been attempted."""
        self._queue.join()

    def close(self) -> None:
        """Finish the queue and stop."""
        self._queue.put(None)
        self._thread.join(timeout=10)
        self._client.close()


def make_app(dcc: ReferenceDcc, *, test_control: bool = False) -> Starlette:
    """The Starlette application serving ``dcc``."""

    async def service(request: Request) -> Response:
        body = await request.body()
        reply = await asyncio.to_thread(dcc.handle, request.method, request.url.path, dict(request.headers), body)
        return Response(reply.body, status_code=reply.status, headers=dict(reply.headers))

    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "release": dcc.release.name,
                "schema_version": dcc.release.schema_version,
                "devices": dcc.inventory.device_count(),
                "test_control": test_control,
            }
        )

    async def certificate_search(request: Request) -> Response:
        subject = request.query_params.get("subject")
        serial = request.query_params.get("serial")
        if subject is None and serial is None:
            return PlainTextResponse("give subject=EUI-64 and/or serial=N", status_code=400)
        try:
            found = dcc.inventory.smki_search(subject=subject, serial=serial)
        except ValueError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        if not found:
            return PlainTextResponse("no certificate matches", status_code=404)
        for entry in found:
            entry["certificate"] = base64.b64encode(entry["certificate"]).decode()
        return JSONResponse(found)

    routes = [Route(path, service, methods=["POST", "GET", "PUT", "DELETE"]) for path in SERVICE_PATHS.values()]
    routes += [Route("/health", health), Route("/smki/certificates", certificate_search)]
    if test_control:
        routes += control_routes(dcc)
    return Starlette(routes=routes)


def control_routes(dcc: ReferenceDcc) -> list[Route]:
    """The test-control API's routes."""

    def guarded(handler: Callable[[Request, Any], Any]) -> Callable[[Request], Awaitable[Response]]:
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
            except KeyError as exc:
                return PlainTextResponse(str(exc.args[0] if exc.args else exc), status_code=404)
            except (InventoryError, ValueError, TypeError) as exc:
                return PlainTextResponse(str(exc), status_code=400)
            return JSONResponse(result if result is not None else {"ok": True})

        return endpoint

    def reset(request: Request, data: Any) -> None:
        dcc.reset()

    def seed(request: Request, data: Any) -> None:
        if not isinstance(data, dict):
            raise ValueError("an inventory document is a JSON object with devices/users/coverage")
        dcc.seed(data)

    def device(request: Request, data: Any) -> Any:
        return dcc.device_view(request.path_params["eui"])

    def status(request: Request, data: Any) -> None:
        dcc.set_status(request.path_params["eui"], str(data["status"]))

    def joins(request: Request, data: Any) -> None:
        eui = request.path_params["eui"]
        with dcc.inventory.lock:
            if data.get("remove"):
                dcc.inventory.remove_join(
                    eui, str(data["other"]), smi=bool(data.get("smi", True)), on_device=bool(data.get("device", True))
                )
            else:
                dcc.inventory.add_join(
                    eui, str(data["other"]), smi=bool(data.get("smi", True)), on_device=bool(data.get("device", True))
                )

    def faults(request: Request, data: Any) -> None:
        dcc.set_fault(request.path_params["eui"], str(data["fault"]), int(data.get("times", 1)))

    def certificates(request: Request, data: Any) -> Any:
        return dcc.renew_device_certificates(request.path_params["eui"])

    def execute(request: Request, data: Any) -> Any:
        response = dcc.execute_locally(request.path_params["request_id"])
        return {"gbcs_response": base64.b64encode(response).decode()}

    post = ["POST"]
    return [
        Route("/test-control/reset", guarded(reset), methods=post),
        Route("/test-control/inventory", guarded(seed), methods=post),
        Route("/test-control/devices/{eui}", guarded(device), methods=["GET"]),
        Route("/test-control/devices/{eui}/status", guarded(status), methods=post),
        Route("/test-control/devices/{eui}/joins", guarded(joins), methods=post),
        Route("/test-control/devices/{eui}/faults", guarded(faults), methods=post),
        Route("/test-control/devices/{eui}/certificates", guarded(certificates), methods=post),
        Route("/test-control/local-commands/{request_id}/execute", guarded(execute), methods=post),
    ]


__all__ = ["ResponsePoster", "control_routes", "is_loopback", "make_app"]

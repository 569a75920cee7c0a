"""The reference DCC over HTTP(S): ``/api/v1/serviceD|S|T`` like DCC Boxed, a health endpoint, the SMKI
certificate search, and (only with ``test_control`` and only on loopback) the test-control API.

Test-control API (JSON; documented in docs/reference-dcc.md):

=======================================  ==================================================================
``POST /test-control/reset``             forget everything
``POST /test-control/inventory``         seed: body is an inventory document (devices, users, coverage)
``GET  /test-control/devices/{eui}``     both views of a device (SMI and the simulated device)
``POST /test-control/device-views``      ``{"devices": [EUI, ...], "smki": bool}``: 1 to 64 devices' views (and SMKI
                                         entries) at once, ``{"view": null}`` for an unknown one
``POST /test-control/devices/{eui}/status``        ``{"status": "Pending"}``: set the SMI status
``POST /test-control/devices/{eui}/joins``         ``{"other": EUI, "smi": bool, "device": bool}``
``POST /test-control/devices/{eui}/faults``        ``{"fault": "lose-next-response"|"reject-rejoin", "times": n}``
``POST /test-control/devices/{eui}/certificates``  new device security certificates; answers the serials
``POST /test-control/local-commands/{request_id}/execute``  run a locally delivered command on its device;
                                                   answers ``{"gbcs_response": base64}``
``GET  /test-control/outbox``            asynchronous responses not delivered yet or given up on, with the reason
``POST /test-control/response-url``      ``{"url": URL | null}``: the users' Receive Response Service address from
                                         now on (the suite registers its receiver); answers ``{"previous": URL}``
``POST /test-control/delivery-check``    ``{"token": T}``: POST an empty probe (header ``X-Pytest-Dcc-Probe: T``)
                                         to that address; answers ``{"url", "status", "error"}``
``POST /test-control/latency``           ``{"answer_s": S, "device_s": S}`` (either): the simulated latency from now
                                         on (``serve --latency`` / ``--device-latency``); answers ``{"previous"}``
=======================================  ==================================================================
"""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from pytest_dcc.duis.endpoint import read_body
from pytest_dcc.duis.ids import Eui
from pytest_dcc.errors import BodyTooLargeError
from pytest_dcc.reference.control_http import ControlApi
from pytest_dcc.reference.dcc import ReferenceDcc
from pytest_dcc.reference.deliveries import (
    Deliveries,
    ResponsePoster,
    check_delivery_settings,
    check_response_url,
    is_loopback,
)
from pytest_dcc.spec import SERVICE_PATHS

log = logging.getLogger("pytest_dcc.reference.server")

#: A request body up to this size is handled on the event loop (real DUIS requests are a few kilobytes; the hop to
#: a thread costs about 20 % of the throughput); a larger one in a worker thread, so that the worst document within
#: the size and structure limits (parsed, refused or verified in a fraction of a second) never holds ``/health``.
INLINE_MAX_BYTES: Final = 64 * 1024


def _health(dcc: ReferenceDcc, deliveries: Deliveries, *, test_control: bool) -> dict[str, Any]:
    return {
        "status": "ok",
        "release": dcc.release.name,
        "schema_version": dcc.release.schema_version,
        "devices": dcc.inventory.device_count(),
        "test_control": test_control,
        **deliveries.health(),
        "outbox": dcc.inventory.outbox_counts(),
    }


def _certificate_search(dcc: ReferenceDcc, request: Request) -> Response:
    """``GET /smki/certificates?subject=EUI&serial=N``: the SMKI repository entries that match."""
    subject = request.query_params.get("subject")
    serial = request.query_params.get("serial")
    if subject is None and serial is None:
        return PlainTextResponse("give subject=EUI-64 and/or serial=N", status_code=400)
    try:
        found = dcc.inventory.smki_search(subject=Eui(subject) if subject is not None else None, serial=serial)
    except ValueError as exc:
        return PlainTextResponse(str(exc), status_code=400)
    if not found:
        return PlainTextResponse("no certificate matches", status_code=404)
    for entry in found:
        entry["certificate"] = base64.b64encode(entry["certificate"]).decode()
    return JSONResponse(found)


def make_app(
    dcc: ReferenceDcc,
    *,
    test_control: bool = False,
    offload: bool = False,
    deliveries: Deliveries | None = None,
    control_token: str | None = None,
) -> Starlette:
    """The Starlette application serving ``dcc``.

    A Service Request is handled on the event loop: the work is CPU-bound and one request at a time holds the
    inventory anyway, so handing it to a thread only added latency (about 20 % of the throughput). ``offload=True``
    runs each in a worker thread instead, for a response sink that calls back into this same server (it would
    wait for the loop it blocks).

    ``control_token``: the token every test-control request must carry (``pytest-dcc serve`` always gives one);
    without it, test control is for a server a test starts in its own process (loopback, Host, no Origin, JSON).
    """

    deliveries = deliveries or Deliveries(dcc)

    async def service(request: Request) -> Response:
        if deliveries.latency.answer_s:  # the simulated answer time; other requests go on meanwhile
            await asyncio.sleep(deliveries.latency.answer_s)
        try:
            body = await read_body(request, dcc.max_bytes)
        except BodyTooLargeError as exc:
            return PlainTextResponse(f"request {exc}", status_code=413, headers={"connection": "close"})
        arguments = (request.method, request.url.path, request.headers, body)
        if offload or len(body) > INLINE_MAX_BYTES:
            reply = await asyncio.to_thread(dcc.handle, *arguments)
        else:
            reply = dcc.handle(*arguments)
        return Response(reply.body, status_code=reply.status, headers=dict(reply.headers))

    async def health(request: Request) -> Response:
        return JSONResponse(_health(dcc, deliveries, test_control=test_control))

    async def certificate_search(request: Request) -> Response:
        return _certificate_search(dcc, request)

    routes = [Route(path, service, methods=["POST", "GET", "PUT", "DELETE"]) for path in SERVICE_PATHS.values()]
    routes += [Route("/health", health), Route("/smki/certificates", certificate_search)]
    if test_control:
        routes += ControlApi(dcc, deliveries, control_token).routes()
    app = Starlette(routes=routes)
    app.state.deliveries = deliveries
    return app


__all__ = [
    "INLINE_MAX_BYTES",
    "Deliveries",
    "ResponsePoster",
    "check_delivery_settings",
    "check_response_url",
    "is_loopback",
    "make_app",
]

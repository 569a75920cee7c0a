"""The mutating proxy over HTTP, in front of any endpoint: the DUIS services through the mutation, its
asynchronous responses through the delivery hook, everything else passed through. Imports the web stack, so only a
proxy over HTTP loads it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, Final

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pytest_dcc.reference.control_http import refusal
from pytest_dcc.spec import PROBE_HEADER, SERVICE_PATHS
from qa.mutants.endpoint import MutatingEndpoint

_HOP_HEADERS: Final = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})
#: What a passed-through request keeps: its body's type, and what the upstream's test control judges it by.
_PASSED_HEADERS: Final = frozenset({"content-type", "authorization", "origin", "sec-fetch-site"})


class ProxyRoutes:
    """The proxy's handlers: ``receiver`` is where asynchronous responses go on to (changed by a registration);
    ``token``: the upstream's test-control token, which a registration must carry as the upstream's calls do."""

    def __init__(
        self, proxy: MutatingEndpoint, upstream: str, receiver: str, client: httpx.Client, token: str | None = None
    ) -> None:
        self.proxy, self.upstream, self.default, self.client = proxy, upstream.rstrip("/"), receiver, client
        self.receiver = receiver
        self.token = token

    async def register(self, request: Request) -> Response:
        """``/test-control/response-url``: the suite's receiver from now on (the upstream keeps the proxy's)."""
        refused = refusal(request, self.token)
        if refused is not None:
            return refused
        try:
            url = json.loads(await request.body() or b"{}").get("url")
        except (ValueError, AttributeError):
            return Response(b'give {"url": URL}', 400)
        previous, self.receiver = self.receiver, url or self.default
        return Response(json.dumps({"previous": previous}).encode(), 200, media_type="application/json")

    async def duis(self, request: Request) -> Response:
        body = await request.body()
        reply = await asyncio.to_thread(self.proxy.handle, "POST", request.url.path, dict(request.headers), body)
        headers = {k: v for k, v in reply.headers.items() if k.lower() not in _HOP_HEADERS}
        return Response(reply.body, reply.status, headers=headers)

    async def deliver(self, request: Request) -> Response:
        """``/deliver``: an upstream's asynchronous response through the delivery hook (a probe passed as it is)."""
        raw = await request.body()
        token = request.headers.get(PROBE_HEADER)
        if token is not None and not raw:  # a delivery probe, not a response: passed on as it is
            try:
                headers = {PROBE_HEADER: token}
                reply = await asyncio.to_thread(self.client.post, self.receiver, content=b"", headers=headers)
            except httpx.HTTPError:
                return Response(b"receiver unreachable", 502)
            return Response(status_code=reply.status_code)
        out = await asyncio.to_thread(self.proxy.on_delivery, raw)
        if out is not None and self.proxy.mutation.deliver_after_s is not None:
            await asyncio.sleep(self.proxy.mutation.deliver_after_s)
        if out is not None:
            try:
                await asyncio.to_thread(self._post, out)
            except httpx.HTTPError:
                return Response(b"receiver unreachable", 502)
            again = self.proxy.mutation.redeliver_after_s
            if again is not None:  # at-least-once delivery, as in process: a copy at once, another signed later
                await asyncio.to_thread(self.proxy.redeliver, self._post_quietly, out, again)
        return Response(status_code=204)

    def _post(self, out: bytes) -> None:
        self.client.post(self.receiver, content=out, headers={"content-type": "application/xml"})

    def _post_quietly(self, out: bytes) -> None:
        """A copy: the receiver may refuse it or be gone (the run over); that is the suite's to report, not ours."""
        with contextlib.suppress(httpx.HTTPError):
            self._post(out)

    async def passthrough(self, request: Request) -> Response:
        body = await request.body()
        reply = await asyncio.to_thread(
            self.client.request,
            request.method,
            self.upstream + request.url.path,
            params=dict(request.query_params),
            content=body,
            headers={k: v for k, v in request.headers.items() if k.lower() in _PASSED_HEADERS},
        )
        return Response(reply.content, reply.status_code, media_type=reply.headers.get("content-type"))


def proxy_app(proxy: MutatingEndpoint, upstream: str, receiver: str, control_token: str | None = None) -> Any:
    """A Starlette app: the DUIS services through ``proxy``; ``/deliver`` takes the upstream's asynchronous
    responses (its ``--response-url``) through the delivery hook on to ``receiver`` (delivery probes untouched);
    a receiver the suite registers through test control (``/test-control/response-url``) replaces ``receiver``
    here, the upstream keeps delivering to the proxy; everything else (health, test control, the SMKI search) is
    passed to ``upstream`` untouched (test control with the caller's token, Origin and content type, which the
    upstream judges; a registration here is held to the same rules with ``control_token``, the upstream's).
    Close ``app.state.client`` when done."""
    client = httpx.Client(timeout=30.0)
    handlers = ProxyRoutes(proxy, upstream, receiver, client, control_token)
    routes = [Route(path, handlers.duis, methods=["POST"]) for path in SERVICE_PATHS.values()]
    routes.append(Route("/deliver", handlers.deliver, methods=["POST"]))
    routes.append(Route("/test-control/response-url", handlers.register, methods=["POST"]))
    routes.append(Route("/{rest:path}", handlers.passthrough, methods=["GET", "POST", "PUT", "DELETE"]))
    app = Starlette(routes=routes)
    app.state.client = client
    return app


__all__ = ["ProxyRoutes", "proxy_app"]

"""Wiring: a mutation in process, and as an HTTP proxy in front of any endpoint."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from pytest_dcc.duis.endpoint import HttpReply, ResponseSink
from pytest_dcc.duis.signing import SigningIdentity
from pytest_dcc.errors import DccError
from pytest_dcc.spec import NS_SR
from qa.mutants.endpoint import MutatingEndpoint
from qa.mutants.mutant import Mutant

_SR: Final = f"{{{NS_SR}}}"


@dataclass
class _Inner:
    handle: Callable[[str, str, Mapping[str, str], bytes], HttpReply]
    set_response_sink: Callable[[ResponseSink | None], None]


def attach(dcc: Any, mutation: Mutant, pki: Any) -> MutatingEndpoint:
    """Put ``mutation`` in front of the in-process reference DCC ``dcc`` (its ``handle`` and response sink), with
    the DCC's own key and the PKI's user keys; its test control is the DCC's own methods."""
    from pytest_dcc.spec import DCC_EUI

    def user(eui: str) -> SigningIdentity | None:
        try:
            return pki.identity(eui)  # type: ignore[no-any-return]
        except (KeyError, DccError):
            return None

    proxy = MutatingEndpoint(
        _Inner(dcc.handle, dcc.set_response_sink),
        mutation,
        dcc=pki.identity(DCC_EUI),
        users=user,
        control=dcc,
        schema_version=dcc.release.schema_version,
    )
    dcc.handle = proxy.handle
    dcc.set_response_sink = proxy.set_response_sink
    return proxy


class HttpUpstream:
    """A DUIS endpoint over HTTP, as a :class:`DuisEndpoint` (its asynchronous responses come to the proxy's
    ``/deliver``)."""

    def __init__(self, base_url: str, timeout_s: float = 30.0) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(timeout=timeout_s)

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        forwarded = {k: v for k, v in headers.items() if k.lower() in ("content-type", "accept")}
        reply = self.client.request(method, self.base_url + path, content=body, headers=forwarded)
        return HttpReply(reply.status_code, reply.content, {k.lower(): v for k, v in reply.headers.items()})

    def set_response_sink(self, sink: ResponseSink | None) -> None:
        return None

    def close(self) -> None:
        self.client.close()


class HttpControl:
    """The test-control API of ``pytest-dcc serve --test-control``, for mutations that change state; ``token``: the
    server's test-control token (``pytest_dcc.duis.control_token.read_token``)."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        import httpx

        from pytest_dcc.duis.control_token import authorization

        self.base_url = base_url.rstrip("/") + "/test-control"
        self.client = httpx.Client(timeout=30.0, headers=authorization(token))

    def _post(self, path: str, data: Mapping[str, Any]) -> None:
        self.client.post(self.base_url + path, json=dict(data)).raise_for_status()

    def set_status(self, eui: str, status: str) -> None:
        self._post(f"/devices/{eui}/status", {"status": status})

    def set_join(self, eui: str, other: str, *, smi: bool, device: bool, remove: bool = False) -> None:
        self._post(f"/devices/{eui}/joins", {"other": other, "smi": smi, "device": device, "remove": remove})

    def device_view(self, eui: str) -> dict[str, Any]:
        reply = self.client.get(f"{self.base_url}/devices/{eui}")
        if reply.status_code == 404:
            raise KeyError(eui)
        reply.raise_for_status()
        return dict(reply.json())

    def close(self) -> None:
        self.client.close()


#: Headers that describe the upstream's own message, not the (possibly rewritten) answer the proxy sends.
__all__ = ["HttpControl", "HttpUpstream", "attach"]

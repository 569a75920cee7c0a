"""The driver of ``pytest-dcc serve --test-control``: its JSON test-control API over HTTP(S), each call with the
server's token (``Authorization: Bearer``, read from the state folder: :mod:`pytest_dcc.duis.control_token`)."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import httpx

from pytest_dcc.drivers import Capability, InventoryDocument, LaneScope, NoDriver, one_by_one
from pytest_dcc.drivers.records import DeviceSnapshot, DeviceView, SmkiEntry
from pytest_dcc.duis.control_api import MAX_VIEW_DEVICES, ROUTE, ROUTE_CAPABILITIES
from pytest_dcc.duis.control_token import authorization, read_token, token_file
from pytest_dcc.errors import DriverContractError, EndpointUnreachableError, HttpStatusError


class TestControlDriver(NoDriver):
    """Test control of a reference DCC server at ``base_url`` (its DUIS base URL)."""

    __test__ = False
    name = "reference DCC test-control API"
    #: What the API's routes provide (:data:`pytest_dcc.duis.control_api.ROUTES`), and the SMKI search the server
    #: offers beside them.
    capabilities = frozenset(c for c in Capability if c.value in ROUTE_CAPABILITIES) | {Capability.SMKI}

    def __init__(self, base_url: str, client: httpx.Client, token: str | None = None, *, where: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.headers = authorization(token)
        self.where = where  # the token files looked for, named when the server refuses the token
        self.batched = True  # whether the server serves device-views (one of an older release may not)

    @classmethod
    def probe(cls, base_url: str, client: httpx.Client, state_dirs: Iterable[Path] = ()) -> TestControlDriver | None:
        """The driver when ``base_url`` serves the test-control API, else ``None``; its token is the newest
        ``test-control-<port>.token`` of ``state_dirs`` (the suite's state folder: ``--dcc-state-dir``, whose
        default is the folder ``pytest-dcc serve`` writes to), read only for a loopback ``base_url``."""
        try:
            reply = client.get(base_url.rstrip("/") + "/health")
        except httpx.TransportError as exc:
            raise EndpointUnreachableError(f"cannot reach {base_url}: {type(exc).__name__}: {exc}") from None
        if reply.status_code != 200:
            return None
        try:
            enabled = bool(reply.json().get("test_control"))
        except ValueError:
            return None
        if not enabled:
            return None
        folders = list(state_dirs)
        port = httpx.URL(base_url).port or (443 if base_url.startswith("https:") else 80)
        where = " or ".join(str(token_file(folder, port)) for folder in folders)
        return cls(base_url, client, read_token(folders, base_url), where=where)

    def _call(self, route: str, body: Any = None, **params: str) -> Any:
        method, url = ROUTE[route].method, ROUTE[route].url(self.base_url, **params)
        try:
            reply = self.client.request(method, url, json=body, headers=self.headers)
        except httpx.HTTPError as exc:
            raise EndpointUnreachableError(f"test control {url}: {type(exc).__name__}: {exc}") from None
        if reply.status_code == 401:
            found = "refused the token of" if self.headers else "needs a token; none found at"
            raise HttpStatusError(
                f"test control {method} {url}: HTTP 401: the server {found} {self.where or 'no state folder'} "
                "(give the suite the state folder pytest-dcc serve wrote it to: --dcc-state-dir or "
                "$PYTEST_DCC_STATE)",
                401,
            )
        if reply.status_code >= 300:
            raise HttpStatusError(
                f"test control {method} {url}: HTTP {reply.status_code}: {reply.text[:300]}", reply.status_code
            )
        return reply.json()

    def reset(self) -> None:
        self._call("reset")

    def reset_lane(self, scope: LaneScope) -> None:
        self._call("reset", dict(scope))

    def register_receiver(self, url: str | None) -> str | None:
        """Make ``url`` the users' Receive Response Service address; answers the one before."""
        previous = self._call("response-url", {"url": url}).get("previous")
        return str(previous) if previous is not None else None

    def delivery_check(self, token: str) -> dict[str, Any]:
        """Have the endpoint POST a delivery probe carrying ``token`` to that address: ``url``, ``status``,
        ``error``."""
        return dict(self._call("delivery-check", {"token": token}))

    def seed(self, document: InventoryDocument) -> None:
        self._call("seed", dict(document))

    def device_view(self, eui: str) -> DeviceView:
        try:
            return DeviceView.from_json(self._call("device-view", eui=eui))
        except HttpStatusError as exc:
            if exc.status == 404:
                raise LookupError(f"device {eui} is not in the endpoint's inventory") from None
            raise

    def device_views(self, euis: Sequence[str], *, smki: bool) -> list[DeviceSnapshot | None]:
        """The optional batched "device-view" (and "smki"): one ``device-views`` call per
        :data:`~pytest_dcc.duis.control_api.MAX_VIEW_DEVICES` devices; a server without that route (404, 405) is
        read device by device from then on."""
        answers: list[DeviceSnapshot | None] = []
        for start in range(0, len(euis), MAX_VIEW_DEVICES):
            chunk = list(euis[start : start + MAX_VIEW_DEVICES])
            if not self.batched:
                answers += one_by_one(self, chunk, smki=smki)
                continue
            try:
                reply = self._call("device-views", {"devices": chunk, "smki": smki})
            except HttpStatusError as exc:
                if exc.status not in (404, 405):
                    raise
                self.batched = False
                answers += one_by_one(self, chunk, smki=smki)
                continue
            found = reply.get("devices") if isinstance(reply, dict) else None
            if not isinstance(found, list) or len(found) != len(chunk):
                raise DriverContractError(f"test control: device-views of {len(chunk)} devices gave {reply!r:.200}")
            answers += [DeviceSnapshot.from_json(answer) for answer in found]
        return answers

    def set_status(self, eui: str, status: str) -> None:
        self._call("set-status", {"status": status}, eui=eui)

    def set_join(self, eui: str, other: str, *, smi: bool, device: bool, remove: bool = False) -> None:
        body = {"other": other, "smi": smi, "device": device, "remove": remove}
        self._call("joins", body, eui=eui)

    def set_fault(self, eui: str, fault: str, times: int = 1) -> None:
        self._call("faults", {"fault": fault, "times": times}, eui=eui)

    def renew_certificates(self, eui: str) -> dict[str, str]:
        return dict(self._call("renew-certificates", eui=eui))

    def execute_locally(self, request_id: str) -> bytes:
        answer = self._call("execute-locally", request_id=request_id)
        return base64.b64decode(answer["gbcs_response"])

    def collect_alert(self, eui: str) -> bytes:
        try:
            answer = self._call("local-alert", eui=eui)
        except HttpStatusError as exc:
            if exc.status == 404:
                raise LookupError(f"device {eui} is not in the endpoint's inventory") from None
            raise
        return base64.b64decode(answer["gbcs_alert"])

    def smki(self, subject: str) -> list[SmkiEntry]:
        try:
            reply = self.client.get(self.base_url + "/smki/certificates", params={"subject": subject})
        except httpx.HTTPError as exc:
            raise EndpointUnreachableError(f"SMKI search: {type(exc).__name__}: {exc}") from None
        if reply.status_code == 404:
            return []
        if reply.status_code != 200:
            raise HttpStatusError(f"SMKI search: HTTP {reply.status_code}: {reply.text[:300]}", reply.status_code)
        return SmkiEntry.many(reply.json())


__all__ = ["TestControlDriver"]

"""What every service works with: the request context, a device's answer, and the small readers of a body."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Protocol

from lxml import etree

from pytest_dcc.duis import replies
from pytest_dcc.duis.gbcs import GbcsMessage
from pytest_dcc.duis.ids import Eui, RequestID
from pytest_dcc.errors import Refusal
from pytest_dcc.reference.checks import check_supplier
from pytest_dcc.reference.inventory import Device, Inventory
from pytest_dcc.spec import NS_SR, RESPONSE_CODES, ServiceVariant
from pytest_dcc.spec.releases import Release

SR: Final = f"{{{NS_SR}}}"
RESULT_OK: Final = 0x00
RESULT_REJECTED: Final = 0x01


@dataclass
class RequestContext:
    """One Service Request as the pipeline has read it, and what a service answers it with. ``role`` is the role
    the user sends it in (set once the user is authorised)."""

    root: etree._Element
    path: str
    request_id: RequestID
    cv: int
    srv: ServiceVariant
    body: etree._Element
    inventory: Inventory
    release: Release
    clock: Callable[[], datetime]
    role: str = ""
    #: Asynchronous responses the request causes, delivered once its transaction commits.
    outbox: list[bytes] = field(default_factory=list)

    def reply(self, code: str, payload: etree._Element | None = None) -> etree._Element:
        """The synchronous response (unsigned: the pipeline signs every answer)."""
        version = self.release.schema_version
        if code not in RESPONSE_CODES[version]:
            raise AssertionError(f"{code} is not a DUIS {version} code")  # a reference DCC bug
        return replies.build_response(
            schema_version=version,
            code=code,
            srv=self.srv.srv,
            service_reference=self.srv.service_reference,
            request_id=self.request_id,
            payload=payload,
            when=self.clock(),
        )

    def text(self, name: str) -> str | None:
        """The stripped text of the body's child ``name`` (None when absent)."""
        return text(self.body, name)


@dataclass(frozen=True, slots=True)
class Result:
    """A device's answer to one command: the GBCS response, whether it reached the DSP, and what it says."""

    message: GbcsMessage
    lost: bool

    @property
    def ok(self) -> bool:
        """The device carried the command out."""
        return bool(self.message.content) and self.message.content[0] == RESULT_OK

    @property
    def data(self) -> dict[str, Any]:
        """The data the device returned (JSON after the result byte)."""
        return dict(json.loads(self.message.content[1:] or b"{}"))


class DeviceService(Protocol):
    """A family of device Service Requests (a module: :mod:`.join`, :mod:`.credentials`, ...)."""

    SRVS: frozenset[str]
    CLAUSES: tuple[str, ...]

    def validate(self, ctx: RequestContext, device: Device) -> None:
        """The DSP's SR-specific validation before the command goes out (raises ``Refusal``)."""

    def execute(self, inv: Inventory, srv: str, rid: RequestID, device: Device, body: etree._Element) -> Outcome:
        """The simulated device carries the command out: its own state only."""
        ...

    def apply(
        self, inv: Inventory, srv: str, device: Device, body: etree._Element, result: Result, *, via_local: bool
    ) -> None:
        """The DSP processes the device's (successful) response: the SMI / SMKI repository only."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a device made of a command: carried out or refused, and the data it returns."""

    ok: bool = True
    data: dict[str, Any] = field(default_factory=dict)


class NonDeviceService(Protocol):
    """A family of non-device Service Requests (a module: :mod:`.inventory`, :mod:`.ch_status`, ...)."""

    SRVS: frozenset[str]
    CLAUSES: tuple[str, ...]

    def handle(self, ctx: RequestContext) -> etree._Element:
        """Process the request against the SMI and answer it (raises ``Refusal``)."""
        ...


def text(node: etree._Element, name: str) -> str | None:
    """The stripped text of ``node``'s child ``name`` (None when absent)."""
    value = node.findtext(f"{SR}{name}")
    return value.strip() if value is not None else None


def named_device(ctx: RequestContext, eui: str | None) -> Device:
    """The device a non-device request names: in the SMI (E19) and the user's to address (E4)."""
    device = ctx.inventory.device(Eui(eui or ""))
    if device is None:
        raise Refusal("E19", f"device {eui} is not in the Smart Metering Inventory")
    check_supplier(ctx.request_id.originator, ctx.role, device)
    return device


def other_device(body: etree._Element) -> Eui:
    """The ``OtherDeviceID`` of a Join or Unjoin body, normalised."""
    return Eui(body.findtext(f"{SR}OtherDeviceID") or "")


__all__ = [
    "RESULT_OK",
    "RESULT_REJECTED",
    "SR",
    "DeviceService",
    "NonDeviceService",
    "Outcome",
    "RequestContext",
    "Result",
    "named_device",
    "other_device",
    "text",
]

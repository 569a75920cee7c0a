"""Device Service Requests: which service handles an SRV, the GBCS command the DCC sends, the simulated device's
answer, and the DSP's processing of that answer.

:func:`execute` changes only the device's own state (the ``sim_*`` tables); :func:`on_response` is the DSP
processing a device response that reached it (delivered remotely, or returned by the user through SR 8.13) and
changes only the SMI. Callers go through this module's functions, never a service's directly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from lxml import etree

from pytest_dcc.duis.gbcs import CRA_ALERT, CRA_COMMAND, CRA_RESPONSE, MESSAGE_CODES, GbcsMessage
from pytest_dcc.duis.ids import RequestID
from pytest_dcc.reference.inventory import FAULT_LOSE_RESPONSE, Device, Inventory
from pytest_dcc.reference.services import credentials, generic, join, tariff
from pytest_dcc.reference.services.base import RESULT_OK, RESULT_REJECTED, DeviceService, RequestContext, Result

#: SRV -> the service that carries it out (the specific families first; every other simulated SRV is generic).
SERVICES: Final[Mapping[str, DeviceService]] = MappingProxyType(
    {srv: service for service in (generic, tariff, credentials, join) for srv in service.SRVS}
)
#: The SRVs the simulated devices know.
SIMULATED_SRVS: Final = frozenset(MESSAGE_CODES)
#: The alert code a simulated device raises for the hand-held terminal (GBCS 0x8F84, "Failed Authentication or
#: Authorisation not covered by other codes"); the reference DCC does not interpret alert codes.
LOCAL_ALERT_CODE: Final = 0x8F84


def validate(ctx: RequestContext, device: Device) -> None:
    """The SR-specific validation before a command goes to the device (raises ``Refusal``)."""
    SERVICES[ctx.srv.srv].validate(ctx, device)


def command(srv: str, rid: RequestID, device: Device, body: etree._Element) -> GbcsMessage:
    """The GBCS command the DCC transforms the request into (a pre-command for critical SRs)."""
    digest = hashlib.sha256(etree.tostring(body, method="c14n")).digest()
    return GbcsMessage(
        cra=CRA_COMMAND,
        counter=rid.counter,
        originator=rid.originator,
        recipient=device.eui,
        message_code=MESSAGE_CODES[srv],
        content=digest,
    )


def execute(inv: Inventory, srv: str, rid: RequestID, device: Device, body: etree._Element) -> Result:
    """The device carries out the command and answers; only the device's own state changes. An armed
    ``lose-next-response`` fault loses the answer on its way to the DSP."""
    lost = inv.take_fault(device.eui, FAULT_LOSE_RESPONSE)
    outcome = SERVICES[srv].execute(inv, srv, rid, device, body)
    data = json.dumps(outcome.data).encode() if outcome.data else b""
    content = bytes([RESULT_OK if outcome.ok else RESULT_REJECTED]) + data
    message = GbcsMessage(
        cra=CRA_RESPONSE,
        counter=rid.counter,
        originator=device.eui,
        recipient=rid.originator,
        message_code=MESSAGE_CODES[srv],
        content=content,
        signature=hashlib.sha512(content + rid.counter.to_bytes(8, "big")).digest(),  # 64 bytes, stands in for ECDSA
    )
    return Result(message, lost)


def alert(device: Device, counter: int) -> GbcsMessage:
    """The Device Alert ``device`` raises, as an engineer's hand-held terminal collects it (for SR 8.13): CRA flag
    03, the device as originator, its supplier (else the device itself) as recipient, no device state changed."""
    content = bytes([RESULT_OK])
    return GbcsMessage(
        cra=CRA_ALERT,
        counter=counter,
        originator=device.eui,
        recipient=device.supplier or device.eui,
        message_code=LOCAL_ALERT_CODE,
        content=content,
        signature=hashlib.sha512(content + counter.to_bytes(8, "big")).digest(),  # 64 bytes, stands in for ECDSA
    )


def on_response(
    inv: Inventory, srv: str, device: Device, body: etree._Element, result: Result, *, via_local: bool
) -> None:
    """The DSP processes a device response that reached it: a refusal changes nothing, a success is the
    service's to apply."""
    if result.ok:
        SERVICES[srv].apply(inv, srv, device, body, result, via_local=via_local)


__all__ = ["LOCAL_ALERT_CODE", "SERVICES", "SIMULATED_SRVS", "alert", "command", "execute", "on_response", "validate"]

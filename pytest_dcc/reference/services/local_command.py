"""SR 8.13 Return Local Command Response: a device's response to a command delivered locally, returned by the user.

Clauses: MP081-DUIS-3.8.112.2 (OriginalRequestID mandatory for a response, not for a Device Alert; the DCC
processes responses to the SRVs of :data:`pytest_dcc.spec.LOCAL_RESPONSE_SRVS` and refuses others with E081302; a
returned response has its effect on the DCC's records) and MP081-ORGCERT-TRACKING (the Organisation Certificates
of a locally delivered 6.15.1 / 6.21 are tracked from this response, through :func:`devices.on_response`).
"""

from __future__ import annotations

import base64
from typing import Final

from lxml import etree

from pytest_dcc.duis.gbcs import CRA_ALERT, SRVS_BY_MESSAGE_CODE, GbcsMessage, parse_general_signing
from pytest_dcc.duis.ids import RequestID
from pytest_dcc.errors import GbcsError, Refusal
from pytest_dcc.reference.services import devices
from pytest_dcc.reference.services.base import RequestContext, Result
from pytest_dcc.spec import LOCAL_RESPONSE_SRVS

CLAUSES: Final = ("MP081-DUIS-3.8.112.2", "MP081-ORGCERT-TRACKING")
SRVS: Final = frozenset({"8.13"})


def handle(ctx: RequestContext) -> etree._Element:
    inv = ctx.inventory
    raw = base64.b64decode("".join((ctx.text("DeviceGBCSResponse") or "").split()))
    try:
        message = parse_general_signing(raw)
    except GbcsError as exc:
        raise Refusal("E081303", f"DeviceGBCSResponse is not a GBCS response: {exc}") from None
    original_text = ctx.text("OriginalRequestID")
    if original_text is None:
        if message.cra == CRA_ALERT:  # a Device Alert needs no OriginalRequestID
            return ctx.reply("I99")
        raise Refusal("E081301", "OriginalRequestID is required unless the payload is a Device Alert")
    original = RequestID.parse(original_text)
    command = inv.local_command(str(original))
    if command is None:
        raise Refusal("E081301", f"no command for local delivery was issued for {original}")
    if original.originator != ctx.request_id.originator:
        raise Refusal("E4", f"{original} was issued to {original.originator}, not {ctx.request_id.originator}")
    srv = command["srv"]
    if srv not in LOCAL_RESPONSE_SRVS:
        raise Refusal("E081302", f"responses to SRV {srv} are not among those the DCC needs through 8.13")
    check_correlation(message, original, srv)
    device = inv.device(command["target"])
    if device is None:
        raise Refusal("E19", f"device {command['target']} is no longer in the Smart Metering Inventory")
    devices.on_response(
        inv, srv, device, etree.fromstring(command["body"]), Result(message, lost=False), via_local=True
    )
    inv.mark_local_command(str(original), returned=True)
    return ctx.reply("I99")


def check_correlation(message: GbcsMessage, original: RequestID, srv: str) -> None:
    """E081303 unless the GBCS response answers the original request: counter, system titles, message code."""
    expected = (
        ("originator counter", message.counter, original.counter),
        ("originator system title", message.originator, original.target),
        ("recipient system title", message.recipient, original.originator),
    )
    for what, got, want in expected:
        if got != want:
            raise Refusal("E081303", f"GBCS {what} {got} does not match OriginalRequestID {original} ({want})")
    if SRVS_BY_MESSAGE_CODE.get(message.message_code) != srv:
        raise Refusal("E081303", f"GBCS message code 0x{message.message_code:04X} is not a response to SRV {srv}")


__all__ = ["CLAUSES", "SRVS", "check_correlation", "handle"]

"""Non-device Service Requests (CV 8): processing by the DCC alone, against the SMI."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Final

from lxml import etree

from pytest_dcc.duis import replies
from pytest_dcc.duis.gbcs import CRA_ALERT, SRVS_BY_MESSAGE_CODE, GbcsError, parse_general_signing
from pytest_dcc.duis.ids import RequestID, normalise_eui
from pytest_dcc.duis.responses import WanCoverage
from pytest_dcc.reference import devices
from pytest_dcc.reference.checks import Refusal, check_status, check_supplier
from pytest_dcc.reference.inventory import Device
from pytest_dcc.spec import CSP_REGIONS, LOCAL_RESPONSE_SRVS, NS_SR

if TYPE_CHECKING:
    from pytest_dcc.reference.dcc import ReferenceDcc, _Context

_SR: Final = f"{{{NS_SR}}}"
#: At most this many devices in one DSPInventory (the XSD's maxOccurs).
MAX_INVENTORY_DEVICES: Final = 17
PER_REGION_VERSIONS: Final = frozenset({"5.3a", "5.4"})

Handler = Callable[["ReferenceDcc", "_Context", str], etree._Element]


def _text(node: etree._Element, name: str) -> str | None:
    value = node.findtext(f"{_SR}{name}")
    return value.strip() if value is not None else None


def _named_device(dcc: ReferenceDcc, ctx: _Context, role: str, eui: str | None) -> Device:
    device = dcc.inventory.device(eui or "")
    if device is None:
        raise Refusal("E19", f"device {eui} is not in the Smart Metering Inventory")
    check_supplier(ctx.request_id.originator, role, device)
    return device


# -- 8.2 Read Inventory ----------------------------------------------------------------------------------------


def read_inventory(dcc: ReferenceDcc, ctx: _Context, role: str) -> etree._Element:
    body, inv = ctx.body, dcc.inventory
    if (device_id := _text(body, "DeviceID")) is not None:
        found = [d for d in [inv.device(device_id)] if d is not None]
    elif (uprn := _text(body, "UPRN")) is not None:
        found = inv.devices_where("uprn", int(uprn))
    elif (mpxn := _text(body, "MPxN")) is not None:
        found = inv.devices_where("mpxn", mpxn)
    else:
        filt = body.find(f"{_SR}PropertyFilter")
        assert filt is not None  # schema-valid
        found = inv.devices_at(_text(filt, "PostCode") or "", _text(filt, "AddressIdentifier") or "")
    if not found:
        raise Refusal("E080201", "no device in the Smart Metering Inventory matches the selection")
    if len(found) > MAX_INVENTORY_DEVICES:
        raise Refusal("E080202", f"{len(found)} devices match; a DSPInventory holds at most {MAX_INVENTORY_DEVICES}")
    version = dcc.release.schema_version
    entries = [_inventory_entry(d, version) for d in found]
    return dcc._response(ctx, "I0", replies.dsp_inventory(entries))


def _inventory_entry(device: Device, version: str) -> replies.InventoryEntry:
    fields = {
        "DeviceFirmwareVersion": device.firmware_version,
        "DateCommissioned": device.date_commissioned,
        "ImportMPxN": device.mpxn,
        "ESMEVariant": device.esme_variant if device.type == "ESME" else None,
        "UPRN": str(device.uprn) if device.uprn is not None else None,
        "CSPRegion": device.csp_region if device.csp_region in CSP_REGIONS[version] else None,
        "DeviceGBCSVersion": device.gbcs_version,
    }
    address = (device.postcode, device.address_identifier)
    return replies.InventoryEntry(
        device.eui,
        device.type,
        device.status,
        device.manufacturer or "UNKNOWN",
        device.model or "UNKNOWN",
        {k: v for k, v in fields.items() if v is not None},
        property_filter=address if all(address) else None,  # type: ignore[arg-type]
    )


# -- 8.4 Update Inventory --------------------------------------------------------------------------------------


def update_inventory(dcc: ReferenceDcc, ctx: _Context, role: str) -> etree._Element:
    body, inv = ctx.body, dcc.inventory
    device = _named_device(dcc, ctx, role, _text(body, "DeviceID"))
    change = body[1]
    kind = etree.QName(change).localname
    if kind == "UpdateDeviceStatusExceptCH":
        if device.type == "CHF":
            raise Refusal("E080405", f"{device.eui} is a CHF; use UpdateDeviceStatusCH")
        inv.set_status(device.eui, (change.text or "").strip())
    elif kind == "UpdateDeviceStatusCH":
        if device.type != "CHF":
            raise Refusal("E080405", f"{device.eui} is a {device.type}, not a CHF")
        inv.set_status(device.eui, (change.text or "").strip())
    elif kind == "DeleteDevice":
        if device.status != "Pending":
            raise Refusal("E080406", f"{device.eui} is {device.status}; only Pending devices are deleted")
        inv.delete_device(device.eui)
    elif kind == "UpdateMPxN":
        inv.update_device(device.eui, mpxn=_text(change, "ImportMPxN"))
    else:
        raise Refusal("E080407", f"8.4 {kind} is not simulated by the reference DCC")
    return dcc._response(ctx, "I99")


# -- 8.13 Return Local Command Response ------------------------------------------------------------------------


def return_local_command_response(dcc: ReferenceDcc, ctx: _Context, role: str) -> etree._Element:
    body, inv = ctx.body, dcc.inventory
    raw = base64.b64decode("".join((_text(body, "DeviceGBCSResponse") or "").split()))
    try:
        message = parse_general_signing(raw)
    except GbcsError as exc:
        raise Refusal("E081303", f"DeviceGBCSResponse is not a GBCS response: {exc}") from None
    original_text = _text(body, "OriginalRequestID")
    if original_text is None:
        if message.cra == CRA_ALERT:  # a Device Alert needs no OriginalRequestID
            return dcc._response(ctx, "I99")
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
    expected = (
        ("originator counter", message.counter, original.counter),
        ("originator system title", message.originator, normalise_eui(original.target)),
        ("recipient system title", message.recipient, normalise_eui(original.originator)),
    )
    for what, got, want in expected:
        if got != want:
            raise Refusal("E081303", f"GBCS {what} {got} does not match OriginalRequestID {original} ({want})")
    if SRVS_BY_MESSAGE_CODE.get(message.message_code) != srv:
        raise Refusal("E081303", f"GBCS message code 0x{message.message_code:04X} is not a response to SRV {srv}")
    device = inv.device(command["target"])
    if device is None:
        raise Refusal("E19", f"device {command['target']} is no longer in the Smart Metering Inventory")
    result = devices.Result(message, lost=False)
    devices.on_response(dcc, srv, device, etree.fromstring(command["body"]), result, via_local=True)
    inv.mark_local_command(str(original), returned=True)
    return dcc._response(ctx, "I99")


# -- 8.14 Communications Hub Status Update ---------------------------------------------------------------------


def _chf(dcc: ReferenceDcc, ctx: _Context, role: str) -> Device:
    device = _named_device(dcc, ctx, role, _text(ctx.body, "DeviceID"))
    if device.type != "CHF":
        raise Refusal("E081401", f"{device.eui} is a {device.type}, not a CHF")
    return device


def _gpf_of(dcc: ReferenceDcc, chf: Device) -> Device | None:
    if chf.gpf:
        return dcc.inventory.device(chf.gpf)
    gpfs = [d for d in dcc.inventory.devices_where("chf", chf.eui) if d.type == "GPF"]
    return gpfs[0] if gpfs else None


def _install_time_check(dcc: ReferenceDcc, ctx: _Context) -> None:
    text = _text(ctx.body, "InstallDateTime")
    if text is None:
        return
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment > dcc.clock():
        raise Refusal("E081402", f"InstallDateTime {text} is in the future")


def chf_install_no_wan(dcc: ReferenceDcc, ctx: _Context, role: str) -> etree._Element:
    """8.14.2 (DUIS 3.8.106.3, 3.8.114.4): no E5; E081401, E081402; W081401 with Pending -> InstalledNotCommissioned."""
    chf = _chf(dcc, ctx, role)
    _install_time_check(dcc, ctx)
    if chf.status == "InstalledNotCommissioned":
        return dcc._response(ctx, "I99")
    if chf.status == "Pending":
        dcc.inventory.set_status(chf.eui, "InstalledNotCommissioned")
        gpf = _gpf_of(dcc, chf)
        if gpf is not None and gpf.status == "Pending":
            dcc.inventory.set_status(gpf.eui, "InstalledNotCommissioned")
    return dcc._response(ctx, "W081401")


def chf_install_wan(dcc: ReferenceDcc, ctx: _Context, role: str) -> etree._Element:
    """8.14.1: the general checks (E5 included), then the CHF is InstalledNotCommissioned."""
    chf = _chf(dcc, ctx, role)
    check_status(chf, ctx.srv.srv)
    _install_time_check(dcc, ctx)
    return dcc._response(ctx, "I99")


def chf_return(dcc: ReferenceDcc, ctx: _Context, role: str) -> etree._Element:
    """8.14.3 / 8.14.4: the CHF (and its GPF) leave the estate: Withdrawn."""
    chf = _chf(dcc, ctx, role)
    dcc.inventory.set_status(chf.eui, "Withdrawn")
    gpf = _gpf_of(dcc, chf)
    if gpf is not None:
        dcc.inventory.set_status(gpf.eui, "Withdrawn")
    return dcc._response(ctx, "I99")


# -- 12.1 Request WAN Matrix -----------------------------------------------------------------------------------


def request_wan_matrix(dcc: ReferenceDcc, ctx: _Context, role: str) -> etree._Element:
    body = ctx.body
    version = dcc.release.schema_version
    uprn = _text(body, "UPRN")
    if uprn is not None:
        rows = dcc.inventory.coverage(uprn=int(uprn))
    else:
        address = body.find(f"{_SR}PartialAddress")
        assert address is not None
        rows = dcc.inventory.coverage(
            postcode=_text(address, "PostCode"), address_identifier=_text(address, "AddressIdentifier")
        )
    rows = [r for r in rows if r["region"] in CSP_REGIONS[version]]
    if not rows:
        raise Refusal("E120101", "no WAN coverage data is held for this UPRN or address")
    coverage = [_coverage_row(r) for r in rows]
    per_region = version in PER_REGION_VERSIONS
    if not per_region:
        usable = [c for c in coverage if c.response_code == "I0"]
        if not usable:
            raise Refusal("E120102", "no CSP region holds coverage data for this premises")
        coverage = usable[:1]
    return dcc._response(ctx, "I0", replies.wan_matrix(body, coverage, per_region=per_region))


def _coverage_row(row: dict[str, object]) -> WanCoverage:
    """A region's answer: the WAN variant as the CSP gave it (either CHISM table 3 column); no name is translated."""
    code = str(row["response_code"])
    if code != "I0" or row["available"] is None:
        return WanCoverage(str(row["region"]), response_code=code)
    name = row["wan_variant"]
    anticipated = row["anticipated_date"]
    return WanCoverage(
        region=str(row["region"]),
        response_code=code,
        available=bool(row["available"]),
        anticipated_date=date.fromisoformat(str(anticipated)) if anticipated else None,
        wan_technology=str(name) if name is not None else "",
        connectivity_likelihood=str(row["connectivity_likelihood"] or "Low"),
        auxiliary_equipment=str(row["auxiliary_equipment"]) if row["auxiliary_equipment"] else None,
        additional_information=str(row["additional_information"]) if row["additional_information"] else None,
    )


# -- 12.2 Device Pre-notification ------------------------------------------------------------------------------


def device_prenotification(dcc: ReferenceDcc, ctx: _Context, role: str) -> etree._Element:
    body, inv = ctx.body, dcc.inventory
    eui = normalise_eui(_text(body, "DeviceID") or "")
    if inv.device(eui) is not None:
        raise Refusal("E120201", f"{eui} is already in the Smart Metering Inventory")
    kind = _text(body, "DeviceType") or ""
    supplier = ctx.request_id.originator if role in {"IS", "GS"} else None
    gpf = _text(body, "AssociatedGPFDeviceID")
    inv.put_device(
        {
            "eui": eui,
            "type": kind,
            "status": "Pending",
            "manufacturer": _text(body, "DeviceManufacturer"),
            "model": _text(body, "DeviceModel"),
            "firmware_version": _text(body, "FirmwareVersion"),
            "esme_variant": _text(body, "ESMEVariant"),
            "gpf": gpf,
            "supplier": supplier,
        }
    )
    if gpf is not None and inv.device(gpf) is None:
        inv.put_device({"eui": gpf, "type": "GPF", "status": "Pending", "chf": eui, "supplier": supplier})
    return dcc._response(ctx, "I99")


NON_DEVICE: Final[dict[str, Handler]] = {
    "8.2": read_inventory,
    "8.4": update_inventory,
    "8.13": return_local_command_response,
    "8.14.1": chf_install_wan,
    "8.14.2": chf_install_no_wan,
    "8.14.3": chf_return,
    "8.14.4": chf_return,
    "12.1": request_wan_matrix,
    "12.2": device_prenotification,
}

__all__ = ["MAX_INVENTORY_DEVICES", "NON_DEVICE"]

"""The Smart Metering Inventory Service Requests: SR 8.2 Read Inventory, SR 8.4 Update Inventory and SR 12.2
Device Pre-notification. No clause of their own: the suite reads and arranges the SMI through them."""

from __future__ import annotations

from typing import Final

from lxml import etree

from pytest_dcc.duis import replies
from pytest_dcc.duis.ids import Eui
from pytest_dcc.errors import Refusal
from pytest_dcc.reference.inventory import Device
from pytest_dcc.reference.services.base import SR, RequestContext, named_device, text
from pytest_dcc.spec import CSP_REGIONS

CLAUSES: Final[tuple[str, ...]] = ()
SRVS: Final = frozenset({"8.2", "8.4", "12.2"})
#: At most this many devices in one DSPInventory (the XSD's maxOccurs).
MAX_INVENTORY_DEVICES: Final = 17


def handle(ctx: RequestContext) -> etree._Element:
    handlers = {"8.2": read_inventory, "8.4": update_inventory, "12.2": device_prenotification}
    return handlers[ctx.srv.srv](ctx)


def read_inventory(ctx: RequestContext) -> etree._Element:
    """8.2: the devices a DeviceID, UPRN, MPxN or address selects (E080201 none, E080202 too many)."""
    found = _selected(ctx)
    if not found:
        raise Refusal("E080201", "no device in the Smart Metering Inventory matches the selection")
    if len(found) > MAX_INVENTORY_DEVICES:
        raise Refusal("E080202", f"{len(found)} devices match; a DSPInventory holds at most {MAX_INVENTORY_DEVICES}")
    version = ctx.release.schema_version
    return ctx.reply("I0", replies.dsp_inventory([_inventory_entry(d, version) for d in found]))


def _selected(ctx: RequestContext) -> list[Device]:
    inv = ctx.inventory
    if (device_id := ctx.text("DeviceID")) is not None:
        return [d for d in [inv.device(Eui(device_id))] if d is not None]
    if (uprn := ctx.text("UPRN")) is not None:
        return inv.devices_where("uprn", int(uprn))
    if (mpxn := ctx.text("MPxN")) is not None:
        return inv.devices_where("mpxn", mpxn)
    filt = ctx.body.find(f"{SR}PropertyFilter")
    assert filt is not None  # schema-valid
    return inv.devices_at(text(filt, "PostCode") or "", text(filt, "AddressIdentifier") or "")


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


def update_inventory(ctx: RequestContext) -> etree._Element:
    """8.4: a status (CH or not), a deletion of a Pending device, or an MPxN."""
    inv = ctx.inventory
    device = named_device(ctx, ctx.text("DeviceID"))
    change = ctx.body[1]
    kind = etree.QName(change).localname
    if kind == "UpdateDeviceStatusExceptCH" and device.type == "CHF":
        raise Refusal("E080405", f"{device.eui} is a CHF; use UpdateDeviceStatusCH")
    if kind == "UpdateDeviceStatusCH" and device.type != "CHF":
        raise Refusal("E080405", f"{device.eui} is a {device.type}, not a CHF")
    if kind in {"UpdateDeviceStatusExceptCH", "UpdateDeviceStatusCH"}:
        inv.set_status(device.eui, (change.text or "").strip())
    elif kind == "DeleteDevice":
        if device.status != "Pending":
            raise Refusal("E080406", f"{device.eui} is {device.status}; only Pending devices are deleted")
        inv.delete_device(device.eui)
    elif kind == "UpdateMPxN":
        inv.update_device(device.eui, mpxn=text(change, "ImportMPxN"))
    else:
        raise Refusal("E080407", f"8.4 {kind} is not simulated by the reference DCC")
    return ctx.reply("I99")


def device_prenotification(ctx: RequestContext) -> etree._Element:
    """12.2: a new Pending device (and its GPF, named with a CHF) in the SMI; E120201 if it is already there."""
    inv = ctx.inventory
    eui = Eui(ctx.text("DeviceID") or "")
    if inv.device(eui) is not None:
        raise Refusal("E120201", f"{eui} is already in the Smart Metering Inventory")
    supplier = ctx.request_id.originator if ctx.role in {"IS", "GS"} else None
    gpf = ctx.text("AssociatedGPFDeviceID")
    inv.put_device(
        {
            "eui": eui,
            "type": ctx.text("DeviceType") or "",
            "status": "Pending",
            "manufacturer": ctx.text("DeviceManufacturer"),
            "model": ctx.text("DeviceModel"),
            "firmware_version": ctx.text("FirmwareVersion"),
            "esme_variant": ctx.text("ESMEVariant"),
            "gpf": gpf,
            "supplier": supplier,
        }
    )
    if gpf is not None and inv.device(Eui(gpf)) is None:
        inv.put_device({"eui": gpf, "type": "GPF", "status": "Pending", "chf": eui, "supplier": supplier})
    return ctx.reply("I99")


__all__ = ["CLAUSES", "MAX_INVENTORY_DEVICES", "SRVS", "handle"]

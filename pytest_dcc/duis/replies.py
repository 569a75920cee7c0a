"""Response builders: ``sr:Response`` documents as the DUIS XSD orders them.

The reference DCC answers with these, and the project's tests use them to play a (possibly broken) endpoint.
Like the request builders they write what they are given; validity is the schema's business.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from pytest_dcc.duis.elements import el, opt
from pytest_dcc.duis.ids import RequestID
from pytest_dcc.duis.responses import WanCoverage
from pytest_dcc.spec import NS_DS, NS_SR, SCHEMA_VERSION_ATTRIBUTE, SchemaVersion

_NSMAP = {"sr": NS_SR, "ds": NS_DS}


def duis_datetime(moment: datetime | None = None) -> str:
    """``xs:dateTime`` in UTC with milliseconds and ``Z``, as DCC Boxed writes ``ResponseDateTime``."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _envelope(
    schema_version: SchemaVersion | str,
    code: str,
    request_id: RequestID | str | None,
    response_id: RequestID | str | None,
    when: datetime | None,
) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(f"{{{NS_SR}}}Response", nsmap=_NSMAP)
    root.set("schemaVersion", SCHEMA_VERSION_ATTRIBUTE.get(schema_version, schema_version))
    header = etree.SubElement(root, f"{{{NS_SR}}}Header")
    for child in (
        opt("RequestID", request_id),
        opt("ResponseID", response_id),
        el("ResponseCode", code),
        el("ResponseDateTime", duis_datetime(when)),
    ):
        if child is not None:
            header.append(child)
    body = etree.SubElement(root, f"{{{NS_SR}}}Body")
    return root, body


def build_response(
    *,
    schema_version: SchemaVersion | str,
    code: str,
    srv: str,
    service_reference: str | None = None,
    request_id: RequestID | str | None = None,
    response_id: RequestID | str | None = None,
    payload: etree._Element | None = None,
    when: datetime | None = None,
) -> etree._Element:
    """An ``sr:Response`` with a ``ResponseMessage`` (bare for acknowledgements and errors)."""
    root, body = _envelope(schema_version, code, request_id, response_id, when)
    reference = service_reference if service_reference is not None else ".".join(srv.split(".")[:2])
    body.append(
        el("ResponseMessage", None, el("ServiceReference", reference), el("ServiceReferenceVariant", srv), payload)
    )
    return root


def build_device_alert(
    *,
    schema_version: SchemaVersion | str,
    alert_code: str,
    gbcs_payload: bytes,
    request_id: RequestID | str | None = None,
    response_id: RequestID | str | None = None,
    code: str = "I0",
    when: datetime | None = None,
) -> etree._Element:
    """An ``sr:Response`` carrying a ``DeviceAlertMessage`` (``alert_code`` as four hex digits)."""
    root, body = _envelope(schema_version, code, request_id, response_id, when)
    body.append(el("DeviceAlertMessage", None, el("AlertCode", alert_code), el("GBCSPayload", _b64(gbcs_payload))))
    return root


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def gbcs_payload(data: bytes) -> etree._Element:
    """``sr:GBCSPayload`` (a device response, base64)."""
    return el("GBCSPayload", _b64(data))


def pre_command(data: bytes, gbcs_version: str = "4.0") -> etree._Element:
    """``sr:PreCommand`` (the CV 4 answer to a critical SR)."""
    return el("PreCommand", None, el("GBCSVersion", gbcs_version), el("GBCSPayload", _b64(data)))


def local_command(data: bytes) -> etree._Element:
    """``sr:LocalCommand`` (the answer to a local-delivery CV)."""
    return el("LocalCommand", None, el("GBCSPayload", _b64(data)))


def _coverage_group(row: WanCoverage) -> list[etree._Element | None]:
    """The all-or-nothing coverage group of a region (empty for a code-only row)."""
    if row.available is None:
        return []
    return [
        el("CoverageAvailability", "true" if row.available else "false"),
        opt("AnticipatedCoverageDate", row.anticipated_date.isoformat() if row.anticipated_date else None),
        el("WANTechnology", row.wan_technology or ""),
        el("ConnectivityLikelihood", row.connectivity_likelihood or "Low"),
        opt("AuxiliaryEquipmentRequired", row.auxiliary_equipment),
        opt("AdditionalInformation", row.additional_information),
    ]


def wan_matrix(query: etree._Element, rows: Sequence[WanCoverage], *, per_region: bool) -> etree._Element:
    """``sr:DSPWANMatrix`` echoing ``query`` (the request's ``RequestWANMatrix``).

    ``per_region`` selects the 5.3a/5.4 shape (one ``DSPWANMatrixResponse`` per row); otherwise the flat 5.0/5.1
    shape, which holds exactly one region.
    """
    echo = el("Request", None, *[_copy(child) for child in query])
    if per_region:
        responses = [
            el(
                "DSPWANMatrixResponse",
                None,
                el("CSPRegion", row.region),
                el("CSPRegionResponseCode", row.response_code or "I0"),
                *_coverage_group(row),
            )
            for row in rows
        ]
        return el("DSPWANMatrix", None, echo, *responses)
    if len(rows) != 1:
        raise ValueError(f"the flat DSPWANMatrix shape holds exactly one region, given {len(rows)}")
    row = rows[0]
    return el("DSPWANMatrix", None, echo, el("CSPRegion", row.region), *_coverage_group(row))


def _copy(node: etree._Element) -> etree._Element:
    clone = el(etree.QName(node).localname, node.text)
    for child in node:
        if isinstance(child.tag, str):
            clone.append(_copy(child))
    return clone


#: The order of the optional ``sr:Device`` fields after DeviceModel (DUIS 5.4, XSD ``Device`` type).
DEVICE_FIELD_ORDER: tuple[str, ...] = (
    "SMETSCHTSVersion",
    "DeviceFirmwareVersion",
    "DeviceFirmwareVersionStatus",
    "CPLStatus",
    "DateCommissioned",
    "ImportMPxN",
    "SecondaryImportMPAN",
    "ExportMPAN",
    "ESMEVariant",
    "UPRN",
    "PropertyFilter",
    "CSPRegion",
    "DeviceGBCSVersion",
    "HANVariant",
    "S1SP",
    "Connectivity",
)


@dataclass(frozen=True, slots=True)
class InventoryEntry:
    """One device for a ``DSPInventory``; ``fields`` holds optional elements by name (written in XSD order)."""

    device_id: str
    device_type: str
    status: str | None
    manufacturer: str
    model: str
    fields: Mapping[str, str] = field(default_factory=dict)
    property_filter: tuple[str, str] | None = None  # (PostCode, AddressIdentifier)


def dsp_inventory(devices: Iterable[InventoryEntry]) -> etree._Element:
    """``sr:DSPInventory`` with one ``sr:Device`` per entry."""
    items = []
    for device in devices:
        unknown = set(device.fields) - set(DEVICE_FIELD_ORDER) | ({"PropertyFilter"} & set(device.fields))
        if unknown:
            raise ValueError(f"unknown sr:Device fields {sorted(unknown)}")
        items.append(
            el(
                "Device",
                None,
                el("DeviceID", device.device_id),
                el("DeviceType", device.device_type),
                opt("DeviceStatus", device.status),
                el("DeviceManufacturer", device.manufacturer),
                el("DeviceModel", device.model),
                *[_device_field(device, name) for name in DEVICE_FIELD_ORDER],
            )
        )
    return el("DSPInventory", None, *items)


def _device_field(device: InventoryEntry, name: str) -> etree._Element | None:
    if name != "PropertyFilter":
        return opt(name, device.fields.get(name))
    if device.property_filter is None:
        return None
    postcode, address = device.property_filter
    return el("PropertyFilter", None, el("PostCode", postcode), el("AddressIdentifier", address))


def to_bytes(root: etree._Element) -> bytes:
    """Serialise a response as UTF-8 with an XML declaration."""
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


__all__ = [
    "DEVICE_FIELD_ORDER",
    "InventoryEntry",
    "build_device_alert",
    "build_response",
    "dsp_inventory",
    "duis_datetime",
    "gbcs_payload",
    "local_command",
    "pre_command",
    "to_bytes",
    "wan_matrix",
]

"""Typed views of DUIS responses: acknowledgements, device responses, alerts, WAN matrix, inventory."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from lxml import etree

from pytest_dcc.duis.ids import RequestID
from pytest_dcc.errors import BuildError, ResponseFormatError
from pytest_dcc.spec import NS_SR

_SR: Final = f"{{{NS_SR}}}"


@dataclass(frozen=True, slots=True)
class WanCoverage:
    """One CSP region's answer to SR 12.1 (a ``DSPWANMatrixResponse`` row, or the flat 5.0/5.1 fields)."""

    region: str
    response_code: str | None
    available: bool | None = None
    anticipated_date: date | None = None
    wan_technology: str | None = None
    connectivity_likelihood: str | None = None
    auxiliary_equipment: str | None = None
    additional_information: str | None = None


@dataclass(frozen=True, slots=True)
class WanMatrix:
    """The SR 12.1 answer: the echoed query and one coverage row per CSP region; ``flat`` for the 5.0/5.1 shape."""

    uprn: int | None
    postcode: str | None
    address_identifier: str | None
    regions: tuple[WanCoverage, ...]
    flat: bool


@dataclass(frozen=True, slots=True)
class InventoryDevice:
    """One ``sr:Device`` of a ``DSPInventory`` (SR 8.2)."""

    device_id: str
    device_type: str
    status: str | None
    manufacturer: str
    model: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeviceAlert:
    """A ``DeviceAlertMessage``."""

    alert_code: str
    gbcs_payload: bytes


@dataclass(frozen=True, slots=True)
class DccAlert:
    """A ``DCCAlertMessage``: the code and the alert element's name."""

    code: str
    kind: str | None


@dataclass(frozen=True, slots=True)
class DuisResponse:
    """An ``sr:Response`` with its header and whichever body it carries."""

    schema_version: str
    request_id: RequestID | None
    response_id: RequestID | None
    code: str
    date_time: datetime | None
    service_reference: str | None = None
    srv: str | None = None
    payload_kind: str | None = None
    gbcs_payload: bytes | None = None
    gbcs_version: str | None = None
    wan_matrix: WanMatrix | None = None
    inventory: tuple[InventoryDevice, ...] = ()
    device_alert: DeviceAlert | None = None
    dcc_alert: DccAlert | None = None

    @property
    def is_success(self) -> bool:
        """``I0`` or ``I99``."""
        return self.code in {"I0", "I99"}

    @property
    def is_warning(self) -> bool:
        """A ``W`` code: the request was processed with a warning."""
        return self.code.startswith("W")

    @property
    def is_error(self) -> bool:
        """An ``E`` code."""
        return self.code.startswith("E")


def _opt_text(node: etree._Element, name: str) -> str | None:
    value = node.findtext(f"{_SR}{name}")
    return value if value is None else value.strip()


def _bool(text: str | None) -> bool | None:
    return None if text is None else text in {"true", "1"}


def _id(text: str | None, label: str) -> RequestID | None:
    if text is None:
        return None
    try:
        return RequestID.parse(text)
    except BuildError as exc:
        raise ResponseFormatError(f"{label}: {exc}") from None


def _datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ResponseFormatError(f"ResponseDateTime {text!r} is not an xs:dateTime") from None


def _date(text: str | None) -> date | None:
    if not text:
        return None
    return date.fromisoformat(text[:10])


def _coverage(node: etree._Element, region: str, code: str | None) -> WanCoverage:
    return WanCoverage(
        region=region,
        response_code=code,
        available=_bool(_opt_text(node, "CoverageAvailability")),
        anticipated_date=_date(_opt_text(node, "AnticipatedCoverageDate")),
        wan_technology=node.findtext(f"{_SR}WANTechnology"),  # not stripped: " " is a meaningful value
        connectivity_likelihood=_opt_text(node, "ConnectivityLikelihood"),
        auxiliary_equipment=_opt_text(node, "AuxiliaryEquipmentRequired"),
        additional_information=_opt_text(node, "AdditionalInformation"),
    )


def parse_wan_matrix(node: etree._Element) -> WanMatrix:
    """Read a ``DSPWANMatrix`` in either shape (5.0/5.1 flat, 5.3a/5.4 per region)."""
    query = node.find(f"{_SR}Request")
    uprn_text = query.findtext(f"{_SR}UPRN") if query is not None else None
    address = query.find(f"{_SR}PartialAddress") if query is not None else None
    rows = node.findall(f"{_SR}DSPWANMatrixResponse")
    if rows:
        regions = tuple(
            _coverage(r, _opt_text(r, "CSPRegion") or "", _opt_text(r, "CSPRegionResponseCode")) for r in rows
        )
    else:
        regions = (_coverage(node, _opt_text(node, "CSPRegion") or "", None),)
    return WanMatrix(
        uprn=int(uprn_text) if uprn_text and uprn_text.strip().isdigit() else None,
        postcode=_opt_text(address, "PostCode") if address is not None else None,
        address_identifier=_opt_text(address, "AddressIdentifier") if address is not None else None,
        regions=regions,
        flat=not rows,
    )


def _inventory(node: etree._Element) -> tuple[InventoryDevice, ...]:
    devices = []
    for device in node.iterfind(f"{_SR}Device"):
        values = {etree.QName(c).localname: (c.text or "").strip() for c in device if isinstance(c.tag, str)}
        devices.append(
            InventoryDevice(
                device_id=values.pop("DeviceID", ""),
                device_type=values.pop("DeviceType", ""),
                status=values.pop("DeviceStatus", None),
                manufacturer=values.pop("DeviceManufacturer", ""),
                model=values.pop("DeviceModel", ""),
                fields=values,
            )
        )
    return tuple(devices)


def _b64(text: str | None) -> bytes | None:
    if text is None:
        return None
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except ValueError:
        raise ResponseFormatError("GBCSPayload is not base64") from None


def parse_response(root: etree._Element) -> DuisResponse:
    """Read a (schema-valid) ``sr:Response`` into a :class:`DuisResponse`.

    :raises ResponseFormatError: the root is not ``sr:Response`` or a field cannot be read.
    """
    if root.tag != f"{_SR}Response":
        raise ResponseFormatError(f"expected an sr:Response, got {root.tag}")
    header = root.find(f"{_SR}Header")
    body = root.find(f"{_SR}Body")
    if header is None or body is None or not len(body):
        raise ResponseFormatError("sr:Response lacks a Header or a Body")
    base: dict[str, Any] = dict(
        schema_version=root.get("schemaVersion", ""),
        request_id=_id(_opt_text(header, "RequestID"), "RequestID"),
        response_id=_id(_opt_text(header, "ResponseID"), "ResponseID"),
        code=_opt_text(header, "ResponseCode") or "",
        date_time=_datetime(_opt_text(header, "ResponseDateTime")),
    )
    message = body[0]
    kind = etree.QName(message).localname
    if kind == "DeviceAlertMessage":
        alert = DeviceAlert(_opt_text(message, "AlertCode") or "", _b64(_opt_text(message, "GBCSPayload")) or b"")
        return DuisResponse(**base, payload_kind=kind, device_alert=alert)
    if kind == "DCCAlertMessage":
        inner = message.find(f"{_SR}DCCAlert")
        first = inner[0] if inner is not None and len(inner) else None
        name = etree.QName(first).localname if first is not None else None
        return DuisResponse(
            **base, payload_kind=kind, dcc_alert=DccAlert(_opt_text(message, "DCCAlertCode") or "", name)
        )
    if kind != "ResponseMessage":
        raise ResponseFormatError(f"unsupported response body {kind}")
    return _response_message(base, message)


def _response_message(base: dict[str, Any], message: etree._Element) -> DuisResponse:
    extra = [c for c in message if isinstance(c.tag, str)][2:]
    payload = extra[0] if extra else None
    kind = etree.QName(payload).localname if payload is not None else None
    values: dict[str, Any] = dict(
        base,
        service_reference=_opt_text(message, "ServiceReference"),
        srv=_opt_text(message, "ServiceReferenceVariant"),
        payload_kind=kind,
    )
    if payload is not None and kind == "GBCSPayload":
        values["gbcs_payload"] = _b64(payload.text)
    elif payload is not None and kind in {"LocalCommand", "PreCommand"}:
        values["gbcs_payload"] = _b64(payload.findtext(f"{_SR}GBCSPayload"))
        values["gbcs_version"] = _opt_text(payload, "GBCSVersion")
    elif payload is not None and kind == "DSPWANMatrix":
        values["wan_matrix"] = parse_wan_matrix(payload)
    elif payload is not None and kind == "DSPInventory":
        values["inventory"] = _inventory(payload)
    return DuisResponse(**values)


__all__ = [
    "DccAlert",
    "DeviceAlert",
    "DuisResponse",
    "InventoryDevice",
    "WanCoverage",
    "WanMatrix",
    "parse_response",
    "parse_wan_matrix",
]

"""Body builders: one function per in-scope SRV, writing elements in the order the official XSD requires.

Each function returns the content children of the SRV's body element; :func:`pytest_dcc.duis.build.build_request`
wraps them in the element the SRV binds to (``sr:JoinServiceNonCritical`` for 8.7.2 and so on). Values are written
as given: the builders refuse only what cannot be expressed at all (a bad EUI-64, a fractional Wh). Everything else
is left to schema validation and the semantic checks, so that negative tests can build invalid messages on purpose.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from lxml import etree

from pytest_dcc.duis.ids import RequestID, normalise_eui
from pytest_dcc.duis.thresholds import to_wh
from pytest_dcc.errors import BuildError
from pytest_dcc.spec import NS_SR

Children = list[etree._Element | None]


def el(name: str, text: object = None, *children: etree._Element | None, **attrs: object) -> etree._Element:
    """Make an ``sr:`` element with optional text, children (``None`` skipped) and attributes."""
    node = etree.Element(f"{{{NS_SR}}}{name}")
    if text is not None:
        node.text = _text(text)
    for child in children:
        if child is not None:
            node.append(child)
    for key, value in attrs.items():
        node.set(key, _text(value))
    return node


def opt(name: str, value: object) -> etree._Element | None:
    """Make an element only when ``value`` is not ``None`` (an optional XSD element)."""
    return None if value is None else el(name, value)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def eui(name: str, value: str) -> etree._Element:
    """An EUI-typed element, normalised (``00db...`` → ``00-DB-...``)."""
    return el(name, normalise_eui(value))


# --- 1.1.1 Update Import Tariff (Primary Element), gas --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Threshold:
    """One ``sr:BlockThreshold`` of the ``GasThresholdMatrix``: its ``index`` attribute and value in Wh.

    :func:`gas_thresholds` makes checked ones (whole Wh, at most 2^48-1). :meth:`unchecked` writes any text as the
    value, for negative tests of what an endpoint does with a threshold the type does not admit."""

    index: int | str
    wh: int | str

    @classmethod
    def unchecked(cls, index: int | str, text: str) -> Threshold:
        """A threshold whose wire text is ``text`` as given: no unit conversion, no range or type check."""
        return cls(index, text)


def gas_thresholds(values: Sequence[str | int], *, indexes: Sequence[int | str] | None = None) -> list[Threshold]:
    """Thresholds from quantities (``"1000 kWh"``, ``"5 Wh"`` or plain Wh integers), indexed 1..n unless given."""
    wh = [to_wh(v) for v in values]
    idx = list(indexes) if indexes is not None else list(range(1, len(wh) + 1))
    if len(idx) != len(wh):
        raise BuildError(f"{len(idx)} indexes given for {len(wh)} thresholds")
    return [Threshold(i, w) for i, w in zip(idx, wh, strict=True)]


def _gas_switching_table() -> etree._Element:
    wildcard_date = el(
        "SeasonStartDate",
        None,
        el("GasYearWithWildcards", None, el("NonSpecifiedYear")),
        el("GasMonthWithWildcards", None, el("SpecifiedMonth", 1)),
        el("GasDayOfMonthWithWildcards", None, el("SpecifiedDayOfMonth", 1)),
        el("GasDayOfWeekWithWildcards", None, el("NonSpecifiedDayOfWeek")),
    )
    week = el("WeekProfile", None, el("WeekName", 1), *(el("ReferencedDayName", 1, index=d) for d in range(1, 8)))
    return el(
        "SwitchingTable",
        None,
        el("DayProfiles", None, el("DayProfile", None, el("DayName", 1), el("BlockTariff"))),
        el("WeekProfiles", None, week),
        el("Seasons", None, el("Season", None, wildcard_date, el("ReferencedWeekName", 1))),
    )


def update_import_tariff_gas(
    *,
    thresholds: Sequence[Threshold],
    block_prices: Sequence[int] | None = None,
    standing_charge: int = 25000,
    number_of_thresholds: int | None = None,
    execution_datetime: datetime | None = None,
) -> Children:
    """SRV 1.1.1 for a gas meter: a block tariff whose ``GasThresholdMatrix`` holds ``thresholds`` (Wh)."""
    prices = list(block_prices) if block_prices is not None else [1000 * (i + 1) for i in range(len(thresholds) + 1)]
    matrix = el("ThresholdMatrix", None, *(el("BlockThreshold", t.wh, index=t.index) for t in thresholds))
    count = number_of_thresholds if number_of_thresholds is not None else max(1, min(len(thresholds), 3))
    return [
        *_future(execution_datetime),
        el("GasTariffElements", None, _gas_switching_table(), el("SpecialDays"), matrix),
        el(
            "PriceElements",
            None,
            el(
                "GasPriceElements",
                None,
                el("CurrencyUnits", "GBP"),
                el("StandingCharge", standing_charge),
                el(
                    "BlockTariff",
                    None,
                    *(el("BlockPrice", p, index=i) for i, p in enumerate(prices, start=1)),
                    el("NumberOfThresholds", count),
                ),
            ),
        ),
    ]


def _future(execution_datetime: datetime | None) -> Children:
    return [el("ExecutionDateTime", execution_datetime)] if execution_datetime is not None else []


# --- device SRs on the 8.13 list ------------------------------------------------------------------------------


def restrict_access_for_change_of_tenancy(
    *, restriction_datetime: datetime, execution_datetime: datetime | None = None
) -> Children:
    """SRV 3.2."""
    return [*_future(execution_datetime), el("RestrictionDateTime", restriction_datetime)]


def update_billing_calendar_gas(*, billing_period_start: datetime, periodicity: str = "Monthly") -> Children:
    """SRV 6.8 for a gas meter (``GasBillingCalendar``)."""
    return [
        el("GasBillingCalendar", None, el("BillingPeriodStart", billing_period_start), el("Periodicity", periodicity))
    ]


def update_billing_calendar_electricity_daily(*, billing_time: str = "00:00:00") -> Children:
    """SRV 6.8 for an electricity meter, billing daily at ``billing_time``."""
    return [el("ElectricityBillingCalendar", None, el("BillingTime", billing_time), el("Daily"))]


def _certs(names: Iterable[tuple[str, bytes | None]]) -> Children:
    return [el(name, value) for name, value in names if value is not None]


def update_security_credentials_krp(
    *,
    remote_party_role: str,
    certification_path: Sequence[bytes],
    digital_signing: bytes | None = None,
    key_agreement: bytes | None = None,
    key_agreement_top_up: bytes | None = None,
    floor_seq_number: int | None = None,
    prepayment_floor_seq_number: int | None = None,
    apply_time_based_cpv_checks: bool = True,
    execution_datetime: datetime | None = None,
) -> Children:
    """SRV 6.15.1: replace the certificates of a remote party (KRP) on the device."""
    certs = _certs(
        (
            ("DigitalSigningCertificate", digital_signing),
            ("KeyAgreementCertificate", key_agreement),
            ("KeyAgreementTopUpCertificate", key_agreement_top_up),
        )
    )
    # ReplacementCertificatesKRP is a mandatory choice of one wrapper whose three certificates are optional.
    replacement = el("ReplacementCertificates", None, el("SupplierOrNetworkOperatorCertificates", None, *certs))
    return [
        *_future(execution_datetime),
        el("RemotePartyRole", remote_party_role),
        opt("RemotePartyFloorSeqNumber", floor_seq_number),
        opt("RemotePartyPrepaymentTopUpFloorSeqNumber", prepayment_floor_seq_number),
        replacement,
        _cert_path(certification_path),
        el("ApplyTimeBasedCPVChecks", apply_time_based_cpv_checks),
    ]


def _cert_path(certification_path: Sequence[bytes]) -> etree._Element:
    return el("CertificationPathCertificates", None, *(el("Certificate", c) for c in certification_path))


def update_security_credentials_device(*, device_certificate: bytes) -> Children:
    """SRV 6.15.2: replace a device certificate."""
    return [el("DeviceCertificate", device_certificate)]


def request_handover(
    *,
    remote_party_role: str,
    certification_path: Sequence[bytes],
    digital_signing: bytes,
    key_agreement: bytes | None = None,
    key_agreement_top_up: bytes | None = None,
    floor_seq_number: int | None = None,
    prepayment_floor_seq_number: int | None = None,
    apply_time_based_cpv_checks: bool = True,
    execution_datetime: datetime | None = None,
) -> Children:
    """SRV 6.21 Request Handover of DCC Controlled Device."""
    certs = _certs(
        (
            ("DigitalSigningCertificate", digital_signing),
            ("KeyAgreementCertificate", key_agreement),
            ("KeyAgreementTopUpCertificate", key_agreement_top_up),
        )
    )
    return [
        *_future(execution_datetime),
        el("RemotePartyRole", remote_party_role),
        opt("RemotePartyFloorSeqNumber", floor_seq_number),
        opt("RemotePartyPrepaymentTopUpFloorSeqNumber", prepayment_floor_seq_number),
        el("ReplacementCertificates", None, *certs),
        _cert_path(certification_path),
        el("ApplyTimeBasedCPVChecks", apply_time_based_cpv_checks),
    ]


def update_security_credentials_cos(
    *,
    supplier_floor_seq_number: int,
    digital_signing: bytes,
    certification_path: Sequence[bytes],
    import_mpxn: str,
    key_agreement: bytes | None = None,
    key_agreement_top_up: bytes | None = None,
    prepayment_floor_seq_number: int | None = None,
    apply_time_based_cpv_checks: bool = True,
    execution_datetime: datetime | None = None,
) -> Children:
    """SRV 6.23 Update Security Credentials (CoS)."""
    certs = _certs(
        (
            ("DigitalSigningCertificate", digital_signing),
            ("KeyAgreementCertificate", key_agreement),
            ("KeyAgreementTopUpCertificate", key_agreement_top_up),
        )
    )
    return [
        *_future(execution_datetime),
        el("SupplierFloorSeqNumber", supplier_floor_seq_number),
        opt("SupplierPrepaymentTopUpFloorSeqNumber", prepayment_floor_seq_number),
        el("SupplierReplacementCertificates", None, *certs),
        _cert_path(certification_path),
        el("ApplyTimeBasedCPVChecks", apply_time_based_cpv_checks),
        el("ImportMPxN", import_mpxn),
    ]


def retrieve_device_security_credentials(*, credential_type: str = "Digital Signature") -> Children:
    """SRV 6.24.2 (and 6.24.1's element): ``Digital Signature`` or ``Key Agreement``."""
    return [el("CredentialType", credential_type)]


def join_or_unjoin(*, other_device_id: str) -> Children:
    """SRVs 8.7.1, 8.7.2, 8.8.1, 8.8.2: the other device; the BusinessTargetID is the device commanded."""
    return [eui("OtherDeviceID", other_device_id)]


def update_han_device_log(
    *,
    device_id: str,
    request_type: str = "Add",
    join_time_period: int | None = 3600,
    install_code: str | None = "0123456789ABCDEF0123456789ABCDEF",
    import_mpxn: str | None = None,
    execution_datetime: datetime | None = None,
) -> Children:
    """SRV 8.11: add a device to (or remove it from) the CHF whitelist."""
    whitelist = None
    if request_type == "Add" and join_time_period is not None and install_code is not None:
        whitelist = el(
            "AddDeviceToCHFWhitelist",
            None,
            el("JoinTimePeriod", join_time_period),
            el("InstallCode", install_code),
            opt("ImportMPxN", import_mpxn),
        )
    return [*_future(execution_datetime), eui("DeviceID", device_id), el("RequestType", request_type), whitelist]


def restore_han_device_log(*, old_chf_id: str) -> Children:
    """SRV 8.12.1."""
    return [eui("OldCHFID", old_chf_id)]


def restore_gpf_device_log(*, old_gpf_id: str) -> Children:
    """SRV 8.12.2."""
    return [eui("OldGPFID", old_gpf_id)]


def activate_firmware(*, firmware_hash: bytes, execution_datetime: datetime | None = None) -> Children:
    """SRV 11.3: ``firmware_hash`` is the 32-byte SHA-256 of the image."""
    return [*_future(execution_datetime), el("FirmwareHash", firmware_hash.hex().upper())]


# --- non-device SRs (CV 8) ------------------------------------------------------------------------------------


def read_inventory(
    *,
    device_id: str | None = None,
    uprn: int | None = None,
    mpxn: str | None = None,
    postcode: str | None = None,
    address_identifier: str | None = None,
) -> Children:
    """SRV 8.2: exactly one selector."""
    selectors = [
        eui("DeviceID", device_id) if device_id is not None else None,
        opt("UPRN", uprn),
        opt("MPxN", mpxn),
        _address("PropertyFilter", postcode, address_identifier),
    ]
    chosen: Children = [s for s in selectors if s is not None]
    if len(chosen) != 1:
        raise BuildError("8.2 Read Inventory takes exactly one of device_id, uprn, mpxn, postcode+address_identifier")
    return chosen


def _address(name: str, postcode: str | None, address_identifier: str | None) -> etree._Element | None:
    if postcode is None and address_identifier is None:
        return None
    return el(name, None, el("PostCode", postcode or ""), el("AddressIdentifier", address_identifier or ""))


def update_inventory(
    *,
    device_id: str,
    status: str | None = None,
    communications_hub: bool = False,
    delete: bool = False,
    import_mpxn: str | None = None,
) -> Children:
    """SRV 8.4: set a status (``UpdateDeviceStatusCH`` for CHFs), delete the device or set its MPxN."""
    if sum((status is not None, delete, import_mpxn is not None)) != 1:
        raise BuildError("8.4 Update Inventory takes exactly one of status, delete, import_mpxn")
    if status is not None:
        change = el("UpdateDeviceStatusCH" if communications_hub else "UpdateDeviceStatusExceptCH", status)
    elif delete:
        change = el("DeleteDevice")
    else:
        change = el("UpdateMPxN", None, el("ImportMPxN", import_mpxn))
    return [eui("DeviceID", device_id), change]


def return_local_command_response(*, device_gbcs_response: bytes, original_request_id: RequestID | None) -> Children:
    """SRV 8.13: the GBCS response a device gave to a locally delivered command."""
    return [opt("OriginalRequestID", original_request_id), el("DeviceGBCSResponse", device_gbcs_response)]


@dataclass(frozen=True, slots=True)
class InstallDetails:
    """The data items shared by 8.14.1 and 8.14.2."""

    device_id: str
    mpxn: str
    install_type: str = "CHF Install - no SM WAN"
    install_datetime: datetime | None = None
    user_ref_id: str | None = None
    gis_data: str | None = None
    aerial_install: bool = False
    location: str = "Indoors on external wall"


def _install_head(d: InstallDetails) -> Children:
    return [
        eui("DeviceID", d.device_id),
        el("CHFInstallType", d.install_type),
        opt("InstallDateTime", d.install_datetime),
        opt("UserRefID", d.user_ref_id),
        el("MPxN", d.mpxn),
        opt("GISData", d.gis_data),
        el("AerialInstall", d.aerial_install),
        el("CHFLocation", d.location),
    ]


def chf_install_success(*, details: InstallDetails, additional_information: str | None = None) -> Children:
    """SRV 8.14.1 Communications Hub Status Update - Install Success."""
    return [*_install_head(details), opt("AdditionalInformation", additional_information)]


def chf_install_no_sm_wan(
    *,
    details: InstallDetails,
    premise_type: str = "Terraced",
    metal_obstruction: bool = False,
    connectivity_obstruction: bool = False,
    shared_obstruction: bool = False,
    additional_information: str | None = None,
) -> Children:
    """SRV 8.14.2 Communications Hub Status Update - Install No SM WAN."""
    return [
        *_install_head(details),
        el("PremiseType", premise_type),
        el("MetalObstructionCheck", metal_obstruction),
        el("ConnectivityObstructionCheck", connectivity_obstruction),
        el("SharedObstructionCheck", shared_obstruction),
        opt("AdditionalInformation", additional_information),
    ]


def chf_fault_return(
    *,
    device_id: str,
    other_device_id: str,
    return_type: str = "Fault identified post installation",
    connection_method: str = "Hot-shoe",
    reason: str = "SM WAN Fault",
    user_ref_datetime: datetime | None = None,
) -> Children:
    """SRV 8.14.3 Communications Hub Status Update - Fault Return."""
    return [
        eui("DeviceID", device_id),
        el("CHFFaultReturnType", return_type),
        opt("UserRefDateTime", user_ref_datetime),
        eui("OtherDeviceID", other_device_id),
        el("CHFConnectionMethod", connection_method),
        el("CHFFaultReason", reason),
    ]


def chf_no_fault_return(*, device_id: str, return_type: str = "No Fault Return (general)") -> Children:
    """SRV 8.14.4 Communications Hub Status Update - No Fault Return."""
    return [eui("DeviceID", device_id), el("CHFNoFaultReturnType", return_type)]


def request_wan_matrix(
    *, uprn: int | None = None, postcode: str | None = None, address_identifier: str | None = None
) -> Children:
    """SRV 12.1: a UPRN or a partial address."""
    if (uprn is None) == (postcode is None and address_identifier is None):
        raise BuildError("12.1 Request WAN Matrix takes either uprn or postcode+address_identifier")
    return [el("UPRN", uprn)] if uprn is not None else [_address("PartialAddress", postcode, address_identifier)]


def device_prenotification(
    *,
    device_id: str,
    device_type: str,
    manufacturer: str = "PYTEST-DCC",
    model: str = "REF-1",
    smets_chts_version: str | None = None,
    firmware_version: str | None = None,
    esme_variant: str | None = None,
    associated_gpf_device_id: str | None = None,
) -> Children:
    """SRV 12.2 Device Pre-notification."""
    return [
        eui("DeviceID", device_id),
        el("DeviceManufacturer", manufacturer),
        el("DeviceModel", model),
        el("DeviceType", device_type),
        opt("SMETSCHTSVersion", smets_chts_version),
        opt("FirmwareVersion", firmware_version),
        opt("ESMEVariant", esme_variant),
        eui("AssociatedGPFDeviceID", associated_gpf_device_id) if associated_gpf_device_id else None,
    ]


def signed_pre_command(*, gbcs_payload: bytes, execution_datetime: datetime | None = None) -> Children:
    """The body of CV 5, 6 and 7 requests: the pre-command signed by the user."""
    return [*_future(execution_datetime), el("GBCSPayload", gbcs_payload)]


#: The body builder for each SRV in scope (several SRVs share one content model).
BUILDERS: Final[dict[str, Callable[..., Children]]] = {
    "1.1.1": update_import_tariff_gas,
    "3.2": restrict_access_for_change_of_tenancy,
    "6.8": update_billing_calendar_gas,
    "6.15.1": update_security_credentials_krp,
    "6.15.2": update_security_credentials_device,
    "6.21": request_handover,
    "6.23": update_security_credentials_cos,
    "6.24.2": retrieve_device_security_credentials,
    "8.2": read_inventory,
    "8.4": update_inventory,
    "8.7.1": join_or_unjoin,
    "8.7.2": join_or_unjoin,
    "8.8.1": join_or_unjoin,
    "8.8.2": join_or_unjoin,
    "8.11": update_han_device_log,
    "8.12.1": restore_han_device_log,
    "8.12.2": restore_gpf_device_log,
    "8.13": return_local_command_response,
    "8.14.1": chf_install_success,
    "8.14.2": chf_install_no_sm_wan,
    "8.14.3": chf_fault_return,
    "8.14.4": chf_no_fault_return,
    "11.3": activate_firmware,
    "12.1": request_wan_matrix,
    "12.2": device_prenotification,
}


def body_children(srv: str, **values: Any) -> Children:
    """Build the content of the body for ``srv`` from keyword values; unknown SRVs raise :class:`BuildError`."""
    try:
        builder = BUILDERS[srv]
    except KeyError:
        raise BuildError(f"no body builder for SRV {srv!r}; in scope: {', '.join(BUILDERS)}") from None
    try:
        return [c for c in builder(**values) if c is not None]
    except TypeError as exc:
        raise BuildError(f"SRV {srv}: {exc}") from None

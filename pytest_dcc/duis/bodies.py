"""Body builders: one function per in-scope SRV, writing elements in the order the official XSD requires.

Each function returns the content children of the SRV's body element; :func:`pytest_dcc.duis.build.build_request`
wraps them in the element the SRV binds to (``sr:JoinServiceNonCritical`` for 8.7.2 and so on). Values are written
as given: the builders refuse only what cannot be expressed at all (a bad EUI-64, a fractional Wh). Everything else
is left to schema validation and the semantic checks, so that negative tests can build invalid messages on purpose.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from lxml import etree

from pytest_dcc.duis.elements import Children, el, eui, opt
from pytest_dcc.duis.nondevice_bodies import (
    chf_fault_return,
    chf_install_no_sm_wan,
    chf_install_success,
    chf_no_fault_return,
    device_prenotification,
    read_inventory,
    request_wan_matrix,
    return_local_command_response,
    update_inventory,
)
from pytest_dcc.duis.thresholds import to_wh
from pytest_dcc.errors import BuildError

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


def _certs(digital_signing: bytes | None, key_agreement: bytes | None, key_agreement_top_up: bytes | None) -> Children:
    """The replacement certificates given, in schema order."""
    names = ("DigitalSigningCertificate", "KeyAgreementCertificate", "KeyAgreementTopUpCertificate")
    values = (digital_signing, key_agreement, key_agreement_top_up)
    return [el(name, value) for name, value in zip(names, values, strict=True) if value is not None]


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
    certs = _certs(digital_signing, key_agreement, key_agreement_top_up)
    # ReplacementCertificatesKRP is a mandatory choice of one wrapper whose three certificates are optional.
    replacement = el("ReplacementCertificates", None, el("SupplierOrNetworkOperatorCertificates", None, *certs))
    floors = (floor_seq_number, prepayment_floor_seq_number)
    return _remote_party(
        execution_datetime, remote_party_role, floors, replacement, certification_path, apply_time_based_cpv_checks
    )


def _remote_party(
    execution_datetime: datetime | None,
    remote_party_role: str,
    floors: tuple[int | None, int | None],
    replacement: etree._Element,
    certification_path: Sequence[bytes],
    apply_time_based_cpv_checks: bool,
) -> Children:
    """The body 6.15.1 and 6.21 share: the party, its floor sequence numbers, its new certificates and their path."""
    return [
        *_future(execution_datetime),
        el("RemotePartyRole", remote_party_role),
        opt("RemotePartyFloorSeqNumber", floors[0]),
        opt("RemotePartyPrepaymentTopUpFloorSeqNumber", floors[1]),
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
    replacement = el("ReplacementCertificates", None, *_certs(digital_signing, key_agreement, key_agreement_top_up))
    floors = (floor_seq_number, prepayment_floor_seq_number)
    return _remote_party(
        execution_datetime, remote_party_role, floors, replacement, certification_path, apply_time_based_cpv_checks
    )


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
    certs = _certs(digital_signing, key_agreement, key_agreement_top_up)
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

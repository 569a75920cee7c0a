"""Normative DUIS facts shared by the suite and the reference DCC: namespaces, SRVs, command variants, codes.

This package imports nothing else from :mod:`pytest_dcc`; both sides of the project may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from pytest_dcc.spec._codes import RESPONSE_CODES_5_4, SERVICE_REFERENCES
from pytest_dcc.spec._srv_table import SRV_ROWS

NS_SR: Final = "http://www.dccinterface.co.uk/ServiceUserGateway"
NS_DS: Final = "http://www.w3.org/2000/09/xmldsig#"
NS_RA: Final = "http://www.dccinterface.co.uk/ResponseAndAlert"
NS_XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP: Final = MappingProxyType({"sr": NS_SR, "ds": NS_DS})

#: The DCC's own EUI-64 (the Access Control Broker): BusinessTargetID of every non-device (CV 8) request.
DCC_EUI: Final = "90-B3-D5-1F-30-00-00-02"

SchemaVersion = Literal["5.0", "5.1", "5.3a", "5.4"]
#: Official DUIS schema releases this project knows, oldest first.
SCHEMA_VERSIONS: Final[tuple[SchemaVersion, ...]] = ("5.0", "5.1", "5.3a", "5.4")
#: The ``schemaVersion`` attribute (an ``xs:decimal``) written for each schema release.
SCHEMA_VERSION_ATTRIBUTE: Final = MappingProxyType({"5.0": "5.0", "5.1": "5.1", "5.3a": "5.3", "5.4": "5.4"})

#: Web service path per DCC Boxed service name.
SERVICE_PATHS: Final = MappingProxyType({"D": "/api/v1/serviceD", "S": "/api/v1/serviceS", "T": "/api/v1/serviceT"})
#: Header of a delivery probe: an empty POST to a Receive Response Service address that a pytest-dcc receiver
#: answers 204 and remembers by its value (not DUIS: it proves the address reaches the receiver before a run waits).
PROBE_HEADER: Final = "X-Pytest-Dcc-Probe"
#: The web service each command variant must be sent to (DUIS CV table; D non-device, S send command, T transform).
CV_SERVICE: Final = MappingProxyType({1: "S", 2: "D", 3: "S", 4: "T", 5: "S", 6: "D", 7: "S", 8: "D"})
#: Command variants whose input is a signed pre-command (``sr:SignedPreCommand`` body).
SIGNED_PRE_COMMAND_CVS: Final = frozenset({5, 6, 7})
#: Command variants that return a command for local delivery to the user.
LOCAL_DELIVERY_CVS: Final = frozenset({2, 3, 6, 7})
#: The 14 SRVs whose responses the DCC needs through SR 8.13 (DUIS 3.8.112.2 as MP081 wrote it; MP081 added 6.15.1
#: and 6.21 to the text of a list the DCC already processed). Clause MP081-DUIS-3.8.112.2.
LOCAL_RESPONSE_SRVS: Final = frozenset(
    {
        "3.2",
        "6.8",
        "6.15.1",
        "6.15.2",
        "6.21",
        "6.23",
        "8.7.1",
        "8.7.2",
        "8.8.1",
        "8.8.2",
        "8.11",
        "8.12.1",
        "8.12.2",
        "11.3",
    }
)

ROLES: Final = MappingProxyType(
    {
        "IS": "Import Supplier",
        "ES": "Export Supplier",
        "GS": "Gas Supplier",
        "RSA": "Registered Supplier Agent",
        "ED": "Electricity Distributor",
        "GT": "Gas Transporter",
        "OU": "Other User",
    }
)
DEVICE_TYPES: Final = ("ESME", "GSME", "GPF", "CHF", "HCALCS", "PPMID", "IHD", "CAD")
DEVICE_STATUSES: Final = (
    "Pending",
    "Whitelisted",
    "InstalledNotCommissioned",
    "Commissioned",
    "Decommissioned",
    "Withdrawn",
    "Suspended",
    "Recovery",
    "Recovered",
)
_CSP_REGIONS_OLD: Final = ("North", "Central", "South", "Unknown", "SMETS1")
_CSP_REGIONS_NEW: Final = ("North", "Central", "South", "4G North", "4G Central", "4G South", "Unknown", "SMETS1")
CSP_REGIONS: Final = MappingProxyType(
    {"5.0": _CSP_REGIONS_OLD, "5.1": _CSP_REGIONS_OLD, "5.3a": _CSP_REGIONS_NEW, "5.4": _CSP_REGIONS_NEW}
)

#: Enumerations of the 8.14.x bodies and related types (DUIS XSD).
CHF_INSTALL_TYPES: Final = ("New CHF Install", "Replacement CHF Install", "CHF Install - no SM WAN")
CHF_LOCATIONS: Final = ("Outside Premises", "Indoors on external wall", "Deep indoors", "Basement or Cellar")
PREMISE_TYPES: Final = (
    "Detached / Semi Detached",
    "Terraced",
    "Low Rise Apartment (MDU <= 5 floors)",
    "High Rise Apartment (MDU > 5 floors)",
)
FAULT_RETURN_TYPES: Final = ("Fault identified prior to installation", "Fault identified post installation")
CONNECTION_METHODS: Final = ("Hot-shoe", "Cradle", "ESME")
FAULT_REASONS: Final = (
    "Damaged case",
    "Damaged Connector",
    "Illegal interference or missing seals",
    "Environmental conditions exceeded",
    "SM WAN Fault",
    "SMHAN Interface Fault",
    "LED Fault",
    "Aerial fault",
    "Manufacturing defect",
)
NO_FAULT_RETURN_TYPES: Final = (
    "No Fault Return (general)",
    "No Fault Return (non-dom opt out)",
    "No Fault Return (dual supplier HAN variant replacement)",
    "No Fault Return (SM WAN variant replacement requested by DCC)",
    "Lost or Stolen Hub",
)
REMOTE_PARTY_ROLES: Final = ("ACB", "NetworkOperator", "Recovery", "Root", "Supplier", "TransCoS", "LoadController")
PERIODICITIES: Final = ("Daily", "Weekly", "Monthly", "Quarterly", "SixMonthly", "Yearly")
ESME_VARIANTS: Final = tuple(
    "A B C AD BD CD ADE BDE CDE ADF BDF CDF ADEF BDEF CDEF ADG ADEG AF BF CF AEF BEF CEF AG AEG".split()  # noqa: SIM905
)

_NOT_IN_5_0: Final = frozenset(
    {"E050111", "E050112", "E062305", "E062306", "E081406", "E110106", "E120103"}
    | {"E65", "E66", "E67", "E68", "E69", "E70", "E71"}
)
_NOT_IN_5_1: Final = frozenset({"E050111", "E050112", "E081406", "E110106", "E120103"})
#: The ``ResponseCode`` enumeration of each official schema release.
RESPONSE_CODES: Final = MappingProxyType(
    {
        "5.0": tuple(c for c in RESPONSE_CODES_5_4 if c not in _NOT_IN_5_0),
        "5.1": tuple(c for c in RESPONSE_CODES_5_4 if c not in _NOT_IN_5_1),
        "5.3a": tuple(c for c in RESPONSE_CODES_5_4 if c != "E081406"),
        "5.4": RESPONSE_CODES_5_4,
    }
)

# SRVs whose CV set is not given by the general rule (DUIS CV table; see duis-domain.md section 1.5).
_CV_OVERRIDES: Final = MappingProxyType({"8.1.1": (4, 5), "8.5": (1,)})


@dataclass(frozen=True, slots=True)
class ServiceVariant:
    """One DUIS Service Reference Variant with the facts the suite and the reference DCC need about it."""

    srv: str
    name: str
    body: str
    critical: bool
    non_device: bool
    roles: tuple[str, ...]

    @property
    def service_reference(self) -> str:
        """The Service Reference (SR) the SRV belongs to: its first two components."""
        return ".".join(self.srv.split(".")[:2])

    @property
    def command_variants(self) -> tuple[int, ...]:
        """Command variants DUIS allows for this SRV."""
        if self.srv in _CV_OVERRIDES:
            return _CV_OVERRIDES[self.srv]
        if self.non_device:
            return (8,)
        return (4, 5, 6, 7) if self.critical else (1, 2, 3)


SRVS: Final = MappingProxyType({row[0]: ServiceVariant(*row) for row in SRV_ROWS})
BODY_TO_SRV: Final = MappingProxyType({v.body: v for v in SRVS.values()})


def service_variant(srv: str) -> ServiceVariant:
    """Return the :class:`ServiceVariant` for ``srv`` or raise :class:`KeyError` naming the unknown value."""
    try:
        return SRVS[srv]
    except KeyError:
        raise KeyError(f"unknown Service Reference Variant {srv!r}") from None


def service_for_cv(cv: int) -> str:
    """Return the web service letter (``D``, ``S`` or ``T``) a command variant is sent to."""
    try:
        return CV_SERVICE[cv]
    except KeyError:
        raise KeyError(f"command variant {cv!r} is not sent by a DUIS user (valid: 1-8)") from None


def path_for_cv(cv: int) -> str:
    """Return the DCC Boxed URL path (``/api/v1/serviceX``) a command variant is sent to."""
    return SERVICE_PATHS[service_for_cv(cv)]


__all__ = [
    "PROBE_HEADER",
    "REMOTE_PARTY_ROLES",
    "PREMISE_TYPES",
    "PERIODICITIES",
    "NO_FAULT_RETURN_TYPES",
    "FAULT_RETURN_TYPES",
    "FAULT_REASONS",
    "ESME_VARIANTS",
    "CONNECTION_METHODS",
    "CHF_LOCATIONS",
    "CHF_INSTALL_TYPES",
    "BODY_TO_SRV",
    "CSP_REGIONS",
    "CV_SERVICE",
    "DCC_EUI",
    "DEVICE_STATUSES",
    "DEVICE_TYPES",
    "LOCAL_DELIVERY_CVS",
    "LOCAL_RESPONSE_SRVS",
    "NSMAP",
    "NS_DS",
    "NS_RA",
    "NS_SR",
    "NS_XSI",
    "RESPONSE_CODES",
    "ROLES",
    "SCHEMA_VERSIONS",
    "SCHEMA_VERSION_ATTRIBUTE",
    "SERVICE_PATHS",
    "SERVICE_REFERENCES",
    "SIGNED_PRE_COMMAND_CVS",
    "SRVS",
    "SchemaVersion",
    "ServiceVariant",
    "path_for_cv",
    "service_for_cv",
    "service_variant",
]

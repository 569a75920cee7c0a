"""The estate in one module: one dual-fuel premises on the DUIS templates' EUI convention (the devices: ESME, GSME,
CHF, GPF, PPMID, CAD; the premises and what each CSP region answers SR 12.1 about it), its users (DCC Boxed's test
users, and the Gas Supplier and Other User of the suite's standard estate), its lanes, and its inventory entries.

Shared data, not behaviour: the suite arranges its standard estate from it (:mod:`pytest_dcc.suite.estate`), and
``pytest-dcc serve`` seeds its DCC Boxed default estate from it (:mod:`pytest_dcc.reference.boxed`), so a run
without a statement finds the devices it expects; the DUIS samples (:mod:`pytest_dcc.duis.samples`) address them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

from pytest_dcc.duis.ids import Eui
from pytest_dcc.errors import BuildError

#: The devices of the DUIS templates (``00-DB-12-34-56-78-90-A0`` the ESME, ``...A1`` the GSME, and so on).
ESME: Final = "00-DB-12-34-56-78-90-A0"
GSME: Final = "00-DB-12-34-56-78-90-A1"
CHF: Final = "00-DB-12-34-56-78-90-A2"
GPF: Final = "00-DB-12-34-56-78-90-A3"
PPMID: Final = "00-DB-12-34-56-78-90-A4"
CAD: Final = "00-DB-12-34-56-78-90-9A"
#: The premises of the SR 12.1 template.
UPRN: Final = 100023336956
POSTCODE: Final = "M22 0RR"
ADDRESS: Final = "Threapwood Road"

#: DCC Boxed's test users (its public signing tool's keys; the DUIS templates address them too): the supplier (Import
#: and Gas Supplier), the network operator, the Other User. Defined here only; the settings' default user, the
#: reference's default estate and the suite's assumed roles read them from here.
BOXED_SUPPLIER: Final = "90-B3-D5-1F-30-01-00-00"
BOXED_NETWORK_OPERATOR: Final = "90-B3-D5-1F-30-02-00-00"
BOXED_OTHER_USER: Final = "00-DB-12-34-56-78-00-04"
#: DCC Boxed's test users by role: its supplier sends both the electricity and the gas templates (one EUI, two roles).
BOXED_ROLES: Final = MappingProxyType(
    {"IS": BOXED_SUPPLIER, "GS": BOXED_SUPPLIER, "ED": BOXED_NETWORK_OPERATOR, "OU": BOXED_OTHER_USER}
)
#: The suite's standard estate's own users beside the run's (Import Supplier): a Gas Supplier and an Other User.
GAS_SUPPLIER: Final = "90-B3-D5-1F-30-03-00-00"
OTHER_USER: Final = "90-B3-D5-1F-30-04-00-00"

#: Names scenarios use for the estate's devices.
DEVICES: Final = {"ESME": ESME, "GSME": GSME, "CHF": CHF, "GPF": GPF, "PPMID": PPMID, "CAD": CAD}

_PREMISES: Final = {"uprn": UPRN, "postcode": POSTCODE, "address_identifier": ADDRESS}
#: What each CSP region answers SR 12.1 about the premises (one CHISM table 3 value per region, " " in the South).
COVERAGE: Final = (
    {**_PREMISES, "region": "North", "available": True, "wan_variant": "Standard 420",
     "connectivity_likelihood": "High"},
    {**_PREMISES, "region": "South", "available": False, "anticipated_date": "2027-03-01", "wan_variant": " ",
     "connectivity_likelihood": "Medium"},
    {**_PREMISES, "region": "Central", "available": True, "wan_variant": "Cellular",
     "connectivity_likelihood": "Medium"},
)  # fmt: skip


#: How many lanes (disjoint sets of the estate's devices, one per parallel worker) ``pytest-dcc serve`` holds by
#: default, and the most any estate can number.
SERVED_LANES: Final = 8
MAX_LANES: Final = 64


def lane_eui(eui: str, lane: int) -> Eui:
    """The EUI-64 a lane uses for ``eui`` (a device or user of the estate): lane 0 uses ``eui`` itself, lane ``k``
    the EUI with ``k`` added to its fifth octet (``00-DB-12-34-56-78-90-A0`` -> ``00-DB-12-34-57-78-90-A0`` in lane
    1), so every lane's devices and users are distinct and none is one of the DUIS templates' other EUIs."""
    octets = Eui(eui).split("-")
    value = int(octets[4], 16) + lane
    if not 0 <= lane < MAX_LANES or value > 0xFF:
        raise BuildError(f"{eui} has no lane {lane} (lanes 0 to {min(MAX_LANES, 0x100 - int(octets[4], 16)) - 1})")
    octets[4] = f"{value:02X}"
    return Eui("-".join(octets))


#: Lane ``k`` has the UPRNs in ``[LANE_UPRN_BASE + k * LANE_UPRN_STRIDE, ... + LANE_UPRN_STRIDE)`` (lane 0 holds
#: the template premises' 100023336956; every UPRN keeps 12 digits).
LANE_UPRN_BASE: Final = 10**11
LANE_UPRN_STRIDE: Final = 10**10


def lane_uprns(lane: int) -> tuple[int, int]:
    """The lowest and highest UPRN of lane ``lane``'s range."""
    low = LANE_UPRN_BASE + lane * LANE_UPRN_STRIDE
    return low, low + LANE_UPRN_STRIDE - 1


def lane_uprn(uprn: int, lane: int) -> int:
    """The UPRN lane ``lane`` uses for ``uprn``: moved into the lane's range (lane 0's premises keep theirs)."""
    return lane_uprns(lane)[0] + uprn % LANE_UPRN_STRIDE


def premises(lane: int = 0) -> dict[str, Any]:
    """The premises of ``lane``'s devices: the template premises in lane 0; in lane ``k`` its own UPRN and house
    number ``k`` in the same road (so a Read Inventory of one premises lists one lane's devices)."""
    if lane == 0:
        return dict(_PREMISES)
    return {"uprn": lane_uprn(UPRN, lane), "postcode": POSTCODE, "address_identifier": f"{lane} {ADDRESS}"}


def lane_devices(lane: int) -> dict[str, str]:
    """The estate's devices by name in ``lane`` (lane 0: the DUIS template EUIs)."""
    return {name: lane_eui(eui, lane) for name, eui in DEVICES.items()}


def _serial(base: int, eui: str, name: str) -> str:
    """A device certificate's serial: ``base`` for the template device, another per device otherwise (serials are
    unique in the SMKI repository, so every lane's meters have their own)."""
    offset = (int(Eui(eui).replace("-", ""), 16) - int(DEVICES[name].replace("-", ""), 16)) % 10**15
    return str(base + offset * 10_000)


def inventory(
    users: Iterable[Mapping[str, Any]], devices: Iterable[Mapping[str, Any]], coverage: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """An inventory document (``docs/inventory-format.md``) of these users, devices and coverage answers."""
    return {"version": 1, "users": list(users), "devices": list(devices), "coverage": list(coverage)}


def device_entries(
    supplier: str,
    devices: Mapping[str, str] | None = None,
    gas_supplier: str | None = None,
    place: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """The estate's devices by name, as inventory entries; ``devices`` maps names to the EUIs to use (a
    statement's device pool), the DUIS template EUIs otherwise. ``supplier`` supplies electricity (the ESME and
    PPMID), ``gas_supplier`` (default: the same) the GSME; ``place`` is their premises (the template's)."""
    d = {**DEVICES, **(devices or {})}
    here = dict(place or premises(0))
    CHF, GPF, ESME, GSME, PPMID, CAD = (d[n] for n in ("CHF", "GPF", "ESME", "GSME", "PPMID", "CAD"))
    meter = {"status": "Commissioned", "manufacturer": "PYTEST-DCC", "chf": CHF, "supplier": supplier, **here}
    gas = {**meter, "supplier": gas_supplier or supplier}
    return {
        "CHF": {"eui": CHF, "type": "CHF", "status": "Commissioned", "manufacturer": "PYTEST-DCC", "model": "CH-1",
                "gpf": GPF, "csp_region": "North", **here},
        "GPF": {"eui": GPF, "type": "GPF", "status": "Commissioned", "manufacturer": "PYTEST-DCC", "model": "GPF-1",
                "chf": CHF, **here},
        "ESME": {"eui": ESME, "type": "ESME", "model": "ESME-1", "mpxn": "1234567890123", "esme_variant": "A",
                 "certificates": {"Digital Signature": {"serial": _serial(1001, ESME, "ESME")},
                                  "Key Agreement": {"serial": _serial(1002, ESME, "ESME")}},
                 **meter},
        "GSME": {"eui": GSME, "type": "GSME", "model": "GSME-1", "mpxn": "9876543210",
                 "certificates": {"Digital Signature": {"serial": _serial(2001, GSME, "GSME")},
                                  "Key Agreement": {"serial": _serial(2002, GSME, "GSME")}},
                 **gas},
        "PPMID": {"eui": PPMID, "type": "PPMID", "status": "Commissioned", "manufacturer": "PYTEST-DCC",
                  "model": "PPMID-1", "chf": CHF, "supplier": supplier},
        "CAD": {"eui": CAD, "type": "CAD", "status": "Whitelisted", "manufacturer": "PYTEST-DCC", "model": "CAD-1",
                "chf": CHF},
    }  # fmt: skip


__all__ = [
    "ADDRESS",
    "BOXED_NETWORK_OPERATOR",
    "BOXED_OTHER_USER",
    "BOXED_ROLES",
    "BOXED_SUPPLIER",
    "CAD",
    "CHF",
    "COVERAGE",
    "DEVICES",
    "ESME",
    "GAS_SUPPLIER",
    "GPF",
    "GSME",
    "OTHER_USER",
    "MAX_LANES",
    "POSTCODE",
    "PPMID",
    "SERVED_LANES",
    "UPRN",
    "LANE_UPRN_BASE",
    "LANE_UPRN_STRIDE",
    "device_entries",
    "inventory",
    "lane_devices",
    "lane_uprn",
    "lane_uprns",
    "premises",
    "lane_eui",
]

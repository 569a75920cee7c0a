"""The standard estate every clause scenario starts from: one dual-fuel premises, its users and coverage.

Device EUIs follow the DUIS template convention (the same ones :mod:`pytest_dcc.duis.samples` addresses). The run's
user is the Import Supplier and the supplier registered for every meter; a Gas Supplier and an Other User exist
for role checks. Certificates of the users come from the run's PKI, so the document seeds a server too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from pytest_dcc.duis.estates import ADDRESS, COVERAGE, DEVICES, POSTCODE, PPMID, UPRN, device_entries
from pytest_dcc.duis.samples import BOXED_OTHER_USER

GAS_SUPPLIER: Final = "90-B3-D5-1F-30-03-00-00"
OTHER_USER: Final = "90-B3-D5-1F-30-04-00-00"
#: The roles the suite assumes of an endpoint it can neither seed nor read a statement of: DCC Boxed's (its test
#: supplier, the run's user by default, is Import and Gas Supplier; its Other User has DCC Boxed's own key).


def standard_estate(
    roles: Mapping[str, str],
    certificates: Mapping[str, bytes],
    devices: Mapping[str, str] | None = None,
    uprn: Callable[[int], int] = lambda u: u,
    place: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The inventory document: ``roles`` maps role -> user EUI (IS supplies the electricity meter, GS the gas
    meter); ``certificates`` maps user EUI -> DER; ``devices`` maps device names to EUIs; ``uprn`` gives the
    premises' UPRN its lane's (its coverage is arranged where the lane's other coverage is); ``place`` is the
    devices' premises (the template's by default)."""
    users: list[dict[str, Any]] = [{"eui": eui, "role": role} for role, eui in roles.items()]
    for entry in users:
        der = certificates.get(str(entry["eui"]))
        if der is not None:
            entry["certificate"] = der.hex()
    entries = device_entries(roles["IS"], devices, roles.get("GS"), place)
    coverage = [{**row, "uprn": uprn(int(str(row["uprn"])))} for row in COVERAGE]
    return {"version": 1, "users": users, "devices": list(entries.values()), "coverage": coverage}


def remap(values: Mapping[str, Any], devices: Mapping[str, str]) -> dict[str, Any]:
    """Sample values with the DUIS template EUIs replaced by the target's devices of the same name."""
    by_template = {DEVICES[name]: eui for name, eui in devices.items() if name in DEVICES}
    return {k: by_template.get(v, v) if isinstance(v, str) else v for k, v in values.items()}


__all__ = [
    "ADDRESS",
    "COVERAGE",
    "DEVICES",
    "POSTCODE",
    "BOXED_OTHER_USER",
    "GAS_SUPPLIER",
    "OTHER_USER",
    "PPMID",
    "UPRN",
    "device_entries",
    "remap",
    "standard_estate",
]

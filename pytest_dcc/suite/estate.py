"""The standard estate every clause scenario starts from: one dual-fuel premises, its users and coverage.

The devices, premises and users are :mod:`pytest_dcc.duis.estates`'s (the DUIS templates' EUIs). The run's user is
the Import Supplier and the supplier registered for every meter; a Gas Supplier and an Other User exist for role
checks. Certificates of the users come from the run's PKI, so the document seeds a server too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from pytest_dcc.duis.estates import (
    BOXED_ROLES,
    BOXED_SUPPLIER,
    COVERAGE,
    DEVICES,
    GAS_SUPPLIER,
    OTHER_USER,
    UPRN,
    device_entries,
    inventory,
)

#: The roles the scenarios act as: Import Supplier (the run's user), Gas Supplier, Other User.
ROLES: Final = ("IS", "GS", "OU")


def standard_roles(user: str) -> dict[str, str]:
    """The standard estate's users by role: ``user`` (the run's) is the Import Supplier, and the estate's own Gas
    Supplier and Other User (:mod:`pytest_dcc.duis.estates`)."""
    return dict(zip(ROLES, (user, GAS_SUPPLIER, OTHER_USER), strict=True))


def boxed_estate(user: str) -> tuple[dict[str, str], frozenset[str], tuple[Mapping[str, Any], ...]]:
    """What the suite assumes of an endpoint it can neither seed nor read a statement of: the estate ``pytest-dcc
    serve`` holds by default, DCC Boxed's. Its users by role (``BOXED_ROLES``, the run's ``user`` in its test
    supplier's place), the names of the devices it holds (every device of the estate) and the coverage address it
    answers for (the premises')."""
    roles = {role: user if eui == BOXED_SUPPLIER else eui for role, eui in BOXED_ROLES.items() if role in ROLES}
    return roles, frozenset(DEVICES), ({"uprn": UPRN},)


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
    return inventory(users, entries.values(), ({**row, "uprn": uprn(int(str(row["uprn"])))} for row in COVERAGE))


def remap(values: Mapping[str, Any], devices: Mapping[str, str]) -> dict[str, Any]:
    """Sample values with the DUIS template EUIs replaced by the target's devices of the same name."""
    by_template = {DEVICES[name]: eui for name, eui in devices.items() if name in DEVICES}
    return {k: by_template.get(v, v) if isinstance(v, str) else v for k, v in values.items()}


__all__ = ["ROLES", "boxed_estate", "remap", "standard_estate", "standard_roles"]

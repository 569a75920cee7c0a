"""What ``pytest-dcc serve`` holds when it is given no inventory: DCC Boxed's test users and one premises.

DCC Boxed ships XML-signing keys for three users (``../shared/dccboxed/pki`` in this project's checkout; the
public ``dccboxed-signing-tool`` repository): the test supplier, which sends both the electricity and the gas
templates (Import and Gas Supplier, one EUI), a network operator and an Other User
(:data:`~pytest_dcc.duis.estates.BOXED_ROLES`). The devices are the DUIS templates' (:mod:`pytest_dcc.duis.estates`),
all supplied by the test supplier, and the premises (the SR 12.1 template's) has coverage in every CSP region. The
estate is held :data:`~pytest_dcc.duis.estates.SERVED_LANES` times over (lane ``k``'s devices are the template EUIs
with ``k`` added to the fifth octet, at its own premises: UPRN :func:`~pytest_dcc.duis.estates.lane_uprn`, house
number ``k``), so that many parallel workers of the suite find a lane each. So DCC Boxed's clients and templates,
and the suite with its defaults and no statement, find what they expect.
"""

from __future__ import annotations

from typing import Any, Final

from pytest_dcc.duis.estates import (
    BOXED_NETWORK_OPERATOR,
    BOXED_OTHER_USER,
    BOXED_ROLES,
    BOXED_SUPPLIER,
    COVERAGE,
    SERVED_LANES,
    device_entries,
    inventory,
    lane_devices,
    premises,
)

SUPPLIER: Final = BOXED_SUPPLIER
NETWORK_OPERATOR: Final = BOXED_NETWORK_OPERATOR
OTHER_USER: Final = BOXED_OTHER_USER


def _users() -> tuple[tuple[str, str], ...]:
    held: dict[str, list[str]] = {}
    for role, eui in BOXED_ROLES.items():
        held.setdefault(eui, []).append(role)
    return tuple((eui, ",".join(roles)) for eui, roles in held.items())


#: DCC Boxed's test users and their roles as the inventory lists them (the supplier holds two: ``IS,GS``).
USERS: Final = _users()


def default_estate() -> dict[str, Any]:
    """The inventory document ``serve`` seeds an empty SMI with (users' certificates come from its PKI)."""
    return inventory(
        ({"eui": eui, "role": role} for eui, role in USERS),
        (
            entry
            for lane in range(SERVED_LANES)
            for entry in device_entries(SUPPLIER, lane_devices(lane), place=premises(lane)).values()
        ),
        COVERAGE,
    )


__all__ = ["NETWORK_OPERATOR", "OTHER_USER", "SUPPLIER", "USERS", "default_estate"]

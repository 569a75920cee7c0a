"""What ``pytest-dcc serve`` holds when it is given no inventory: DCC Boxed's test users and one premises.

DCC Boxed ships XML-signing keys for three users (``../shared/dccboxed/pki`` in this project's checkout; the
public ``dccboxed-signing-tool`` repository): the test supplier ``90-B3-D5-1F-30-01-00-00``, which sends both the
electricity and the gas templates (Import and Gas Supplier, one EUI), a network operator
``90-B3-D5-1F-30-02-00-00`` and an Other User ``00-DB-12-34-56-78-00-04``. The devices follow the DUIS templates'
EUI convention (``00-DB-12-34-56-78-90-A0`` the ESME, ``...A1`` the GSME, ``...A2`` the CHF, ``...A3`` the GPF),
all supplied by the test supplier, and the premises (UPRN 100023336956, M22 0RR Threapwood Road, the SR 12.1
template's) has coverage in every CSP region. The estate is held :data:`SERVED_LANES` times over (lane ``k``'s devices
are the template EUIs with ``k`` added to the fifth octet, at its own premises: UPRN
:func:`~pytest_dcc.duis.estates.lane_uprn`, house number ``k``), so that many
parallel workers of the suite find a lane each. So DCC Boxed's clients and templates, and the suite with its defaults
and no statement, find what they expect.
"""

from __future__ import annotations

from typing import Any, Final

from pytest_dcc.duis.estates import COVERAGE, SERVED_LANES, device_entries, lane_devices, premises
from pytest_dcc.duis.samples import BOXED_NETWORK_OPERATOR, BOXED_OTHER_USER, BOXED_SUPPLIER

SUPPLIER: Final = BOXED_SUPPLIER
NETWORK_OPERATOR: Final = BOXED_NETWORK_OPERATOR
OTHER_USER: Final = BOXED_OTHER_USER
#: DCC Boxed's test users and their roles (the supplier holds two).
USERS: Final = ((SUPPLIER, "IS,GS"), (NETWORK_OPERATOR, "ED"), (OTHER_USER, "OU"))


def default_estate() -> dict[str, Any]:
    """The inventory document ``serve`` seeds an empty SMI with (users' certificates come from its PKI)."""
    return {
        "version": 1,
        "users": [{"eui": eui, "role": role} for eui, role in USERS],
        "devices": [
            entry
            for lane in range(SERVED_LANES)
            for entry in device_entries(SUPPLIER, lane_devices(lane), place=premises(lane)).values()
        ],
        "coverage": list(COVERAGE),
    }


__all__ = ["NETWORK_OPERATOR", "OTHER_USER", "SUPPLIER", "USERS", "default_estate"]

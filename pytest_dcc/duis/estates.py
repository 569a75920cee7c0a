"""One dual-fuel premises as inventory entries, on the DUIS templates' EUI convention: the devices (ESME, GSME,
CHF, GPF, PPMID, CAD), the premises and what each CSP region answers SR 12.1 about it.

Shared data, not behaviour: the suite arranges its standard estate from it (:mod:`pytest_dcc.suite.estate`), and
``pytest-dcc serve`` seeds its DCC Boxed default estate from it (:mod:`pytest_dcc.reference.boxed`), so a run
without a statement finds the devices it expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pytest_dcc.duis.samples import CAD, CHF, ESME, GPF, GSME

PPMID: Final = "00-DB-12-34-56-78-90-A4"
UPRN: Final = 100023336956
POSTCODE: Final = "M22 0RR"
ADDRESS: Final = "Threapwood Road"

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


def device_entries(
    supplier: str, devices: Mapping[str, str] | None = None, gas_supplier: str | None = None
) -> dict[str, dict[str, Any]]:
    """The estate's devices by name, as inventory entries; ``devices`` maps names to the EUIs to use (a
    statement's device pool), the DUIS template EUIs otherwise. ``supplier`` supplies electricity (the ESME and
    PPMID), ``gas_supplier`` (default: the same) the GSME."""
    d = {**DEVICES, **(devices or {})}
    CHF, GPF, ESME, GSME, PPMID, CAD = (d[n] for n in ("CHF", "GPF", "ESME", "GSME", "PPMID", "CAD"))
    meter = {"status": "Commissioned", "manufacturer": "PYTEST-DCC", "chf": CHF, "supplier": supplier, **_PREMISES}
    gas = {**meter, "supplier": gas_supplier or supplier}
    return {
        "CHF": {"eui": CHF, "type": "CHF", "status": "Commissioned", "manufacturer": "PYTEST-DCC", "model": "CH-1",
                "gpf": GPF, "csp_region": "North", **_PREMISES},
        "GPF": {"eui": GPF, "type": "GPF", "status": "Commissioned", "manufacturer": "PYTEST-DCC", "model": "GPF-1",
                "chf": CHF, **_PREMISES},
        "ESME": {"eui": ESME, "type": "ESME", "model": "ESME-1", "mpxn": "1234567890123", "esme_variant": "A",
                 "certificates": {"Digital Signature": {"serial": "1001"}, "Key Agreement": {"serial": "1002"}},
                 **meter},
        "GSME": {"eui": GSME, "type": "GSME", "model": "GSME-1", "mpxn": "9876543210",
                 "certificates": {"Digital Signature": {"serial": "2001"}, "Key Agreement": {"serial": "2002"}},
                 **gas},
        "PPMID": {"eui": PPMID, "type": "PPMID", "status": "Commissioned", "manufacturer": "PYTEST-DCC",
                  "model": "PPMID-1", "chf": CHF, "supplier": supplier},
        "CAD": {"eui": CAD, "type": "CAD", "status": "Whitelisted", "manufacturer": "PYTEST-DCC", "model": "CAD-1",
                "chf": CHF},
    }  # fmt: skip


__all__ = ["ADDRESS", "COVERAGE", "DEVICES", "POSTCODE", "PPMID", "UPRN", "device_entries"]

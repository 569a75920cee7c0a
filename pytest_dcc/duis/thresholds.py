"""Energy quantities for the gas ``GasThresholdMatrix``: the wire unit is Wh since MP081 (DUIS 3.8.1.2)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Final

from pytest_dcc.errors import BuildError

#: Largest value ``GasThresholdType`` admits: ``xs:unsignedLong`` with ``maxInclusive`` 2^48-1.
MAX_GAS_THRESHOLD_WH: Final = 2**48 - 1
_UNITS: Final = {"wh": Decimal(1), "kwh": Decimal(1000), "mwh": Decimal(1_000_000), "gwh": Decimal(1_000_000_000)}
_QUANTITY: Final = re.compile(r"\s*([+-]?[0-9][0-9_,]*(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*")


def to_wh(quantity: str | int | Decimal, unit: str | None = None) -> int:
    """Convert an energy quantity to whole watt-hours for the wire.

    ``to_wh("1000 kWh") == 1_000_000``; ``to_wh(5, "kWh") == 5000``; a bare ``int`` with no unit is taken as Wh.

    :raises BuildError: an unknown unit, a fractional number of Wh, a negative value or one above 2^48-1 Wh.
    """
    number, unit_name = _split(quantity, unit)
    factor = _UNITS.get(unit_name.lower())
    if factor is None:
        raise BuildError(f"unknown energy unit {unit_name!r} in {quantity!r} (use Wh, kWh, MWh or GWh)")
    wh = number * factor
    if wh != wh.to_integral_value():
        raise BuildError(f"{quantity!r} is {wh} Wh: GasThresholdMatrix thresholds are whole Wh")
    value = int(wh)
    if value < 0:
        raise BuildError(f"{quantity!r} is negative: GasThresholdType is an unsigned integer")
    if value > MAX_GAS_THRESHOLD_WH:
        raise BuildError(f"{quantity!r} is {value} Wh, above the GasThresholdType maximum 2^48-1 = 281474976710655")
    return value


def _split(quantity: str | int | Decimal, unit: str | None) -> tuple[Decimal, str]:
    if isinstance(quantity, bool):
        raise BuildError(f"not an energy quantity: {quantity!r}")
    if isinstance(quantity, int | Decimal):
        return Decimal(quantity), unit or "Wh"
    if not isinstance(quantity, str):
        raise BuildError(f"not an energy quantity: {quantity!r}")
    if unit is not None:
        text, unit_name = quantity, unit
    else:
        match = _QUANTITY.fullmatch(quantity)
        if not match:
            raise BuildError(f"not an energy quantity with a unit (e.g. '1000 kWh'): {quantity!r}")
        text, unit_name = match.groups()
    try:
        return Decimal(text.replace("_", "").replace(",", "").strip()), unit_name
    except InvalidOperation:
        raise BuildError(f"not a number: {quantity!r}") from None


__all__ = ["MAX_GAS_THRESHOLD_WH", "to_wh"]

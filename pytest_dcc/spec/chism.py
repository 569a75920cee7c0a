"""CHISM Annex E3 table 3: the WAN variants an SR 12.1 response may carry, in its two naming columns, and the CSP
regions they belong to. The columns are DCC system versions ("DCC 1.3", "DCC 2.0"), not SEC releases: a value from
either column is a table 3 value in any release."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Column = Literal["DCC 1.3", "DCC 2.0"]
COLUMNS: Final[tuple[Column, ...]] = ("DCC 1.3", "DCC 2.0")
#: The CSP regions table 3 covers. The others (the 4G regions, Unknown, SMETS1) are outside it.
TABLE_3_REGIONS: Final = frozenset({"North", "Central", "South"})
SOUTH_AND_CENTRAL: Final = frozenset({"Central", "South"})


@dataclass(frozen=True, slots=True)
class WanVariant:
    """One row of table 3."""

    dcc13: str
    dcc20: str
    regions: frozenset[str]  # empty: "N/A" (No Coverage Intended belongs to no region and may be answered by any)

    def name(self, column: Column) -> str:
        return self.dcc13 if column == "DCC 1.3" else self.dcc20

    def belongs_to(self, region: str) -> bool:
        return not self.regions or region in self.regions


NORTH: Final = frozenset({"North"})
TABLE_3: Final[tuple[WanVariant, ...]] = (
    WanVariant("Standard 420", "420", NORTH),
    WanVariant("Variant 450", "450", NORTH),
    WanVariant("Cellular", "Cellular", SOUTH_AND_CENTRAL),
    WanVariant("Cellular+Mesh", "Cellular+Mesh", SOUTH_AND_CENTRAL),
    WanVariant("No Coverage Intended", "No Coverage Intended", frozenset()),
    WanVariant(" ", " ", SOUTH_AND_CENTRAL),  # '" " Space': availability date given, variant unconfirmed
)
#: The unconfirmed variant: one space on the wire (read as "Unknown" from 2021-06, MP106 guidance).
SPACE: Final = " "


def variant(value: str, column: Column | None = None) -> WanVariant | None:
    """The table 3 row ``value`` names (in ``column``, or in either column when None), or None."""
    for row in TABLE_3:
        names = (row.dcc13, row.dcc20) if column is None else (row.name(column),)
        if value in names:
            return row
    return None


__all__ = [
    "COLUMNS",
    "SOUTH_AND_CENTRAL",
    "SPACE",
    "TABLE_3",
    "TABLE_3_REGIONS",
    "Column",
    "WanVariant",
    "variant",
]

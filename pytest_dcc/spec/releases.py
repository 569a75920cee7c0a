"""SEC releases in scope, in order, and what each modification in scope did to them (from the SEC text).

Only MP178 (June 2024) changes what the DSP does. MP081 (November 2020) aligned the text of DUIS and CHISM with
DCC processing that already existed ("There are no impacts on the DCC Systems"), and MP106 (June 2021) added
reading guidance for Users. So MP081's clauses bind an endpoint from 2020-11 and are simply not normative before;
nothing in the suite expects a different DCC behaviour before 2020-11.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal


@dataclass(frozen=True, slots=True)
class SecRelease:
    """One SEC release in scope."""

    name: str
    title: str


_ROWS: Final = (
    SecRelease("2020-06", "June 2020 SEC Release"),
    SecRelease("2020-11", "November 2020 SEC Release (MP081)"),
    SecRelease("2021-06", "June 2021 SEC Release (MP106)"),
    SecRelease("2024-06", "June 2024 SEC Release (MP178)"),
    SecRelease("2025-11", "November 2025 SEC Release (DUIS 5.4)"),
)
SEC_RELEASES: Final = MappingProxyType({r.name: r for r in _ROWS})
#: ``latest`` stands for the newest release.
LATEST: Final = _ROWS[-1].name

ChangeKind = Literal["behaviour", "text", "guidance"]


@dataclass(frozen=True, slots=True)
class Modification:
    """An SEC modification in scope: the release that implemented it and what kind of change it made."""

    id: str
    title: str
    release: str
    kind: ChangeKind
    note: str


MODIFICATIONS: Final = MappingProxyType(
    {
        m.id: m
        for m in (
            Modification(
                "MP081",
                "Alignment of DUIS and CHISM to reflect current DCC Processing",
                "2020-11",
                "text",
                "MP081 aligned the text with DCC processing that already existed (its report: no impacts on the DCC "
                "Systems; kWh -> Wh is an error correction)",
            ),
            Modification(
                "MP106",
                "CHISM update for unknown WAN variant",
                "2021-06",
                "guidance",
                'guidance for Users: a " " WAN variant in the SR 12.1 response should be interpreted as "Unknown"; '
                'the wire value stays " "',
            ),
            Modification(
                "MP178",
                "Removing DSP validation against the SMI join status for SR8.8.x",
                "2024-06",
                "behaviour",
                "the DSP no longer refuses an Unjoin (8.8.1, 8.8.2) with E080801 when the SMI holds no join",
            ),
        )
    }
)


def canonical(name: str) -> str:
    """The release called ``name`` (``latest`` resolved); ``ValueError`` naming the known ones otherwise."""
    key = LATEST if name == "latest" else name
    if key not in SEC_RELEASES:
        known = ", ".join([*SEC_RELEASES, "latest"])
        raise ValueError(f"unknown SEC release {name!r} (known: {known})")
    return key


def index(name: str) -> int:
    """Position of the release in time (``latest`` included)."""
    return list(SEC_RELEASES).index(canonical(name))


def at_least(claimed: str, name: str) -> bool:
    """Whether ``claimed`` is release ``name`` or later."""
    return index(claimed) >= index(name)


__all__ = ["LATEST", "MODIFICATIONS", "SEC_RELEASES", "Modification", "SecRelease", "at_least", "canonical", "index"]

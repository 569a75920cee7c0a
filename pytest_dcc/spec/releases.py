"""SEC releases in scope, in order, what each modification in scope did to them (from the SEC text), and the one
DSP behaviour that differs between them.

Only MP178 (June 2024) changes what the DSP does. MP081 (November 2020) aligned the text of DUIS and CHISM with
DCC processing that already existed ("There are no impacts on the DCC Systems"), and MP106 (June 2021) added
reading guidance for Users. So MP081's clauses bind an endpoint from 2020-11 and are simply not normative before;
nothing in the suite expects a different DCC behaviour before 2020-11. Every side asks a :class:`Release` for its
behaviour flag, never a release name or date; the clauses each flag governs are derived in
:data:`pytest_dcc.spec.clauses.FLAG_CLAUSES` from the same modification.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from pytest_dcc.spec import SchemaVersion

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


#: The DUIS schema version current at each release, which the reference DCC answers in: this project's choice (the
#: DCC publishes no such table; DUIS 5.1 was current in the 2020-2022 DCC Boxed samples, 5.3a was issued for June
#: 2024, 5.4 for November 2025).
_ROWS: Final[tuple[tuple[str, str, SchemaVersion], ...]] = (
    ("2020-06", "June 2020 SEC Release", "5.0"),
    ("2020-11", "November 2020 SEC Release (MP081)", "5.1"),
    ("2021-06", "June 2021 SEC Release (MP106)", "5.1"),
    ("2024-06", "June 2024 SEC Release (MP178)", "5.3a"),
    ("2025-11", "November 2025 SEC Release (DUIS 5.4)", "5.4"),
)
_NAMES: Final = tuple(row[0] for row in _ROWS)
#: ``latest`` stands for the newest release.
LATEST: Final = _NAMES[-1]
#: Each DSP behaviour flag and the behaviour modification that changes it.
FLAG_MODIFICATIONS: Final = MappingProxyType({"unjoin_requires_smi_join": "MP178"})


@dataclass(frozen=True, slots=True)
class Release:
    """One SEC release in scope, and how the DSP behaves under it."""

    name: str
    title: str
    schema_version: SchemaVersion
    #: DP178 / MP178: SR 8.8.x refused with E080801 when the SMI holds no join (True until 2024-06).
    unjoin_requires_smi_join: bool


def canonical(name: str) -> str:
    """The release called ``name`` (``latest`` resolved); ``ValueError`` naming the known ones otherwise."""
    key = LATEST if name == "latest" else name
    if key not in _NAMES:
        known = ", ".join([*_NAMES, "latest"])
        raise ValueError(f"unknown SEC release {name!r} (known: {known})")
    return key


def index(name: str) -> int:
    """Position of the release in time (``latest`` included)."""
    return _NAMES.index(canonical(name))


def at_least(claimed: str, name: str) -> bool:
    """Whether ``claimed`` is release ``name`` or later."""
    return index(claimed) >= index(name)


RELEASES: Final = MappingProxyType(
    {
        name: Release(
            name,
            title,
            schema,
            unjoin_requires_smi_join=not at_least(
                name, MODIFICATIONS[FLAG_MODIFICATIONS["unjoin_requires_smi_join"]].release
            ),
        )
        for name, title, schema in _ROWS
    }
)


def release(name: str) -> Release:
    """The release called ``name`` (``latest`` included); ``ValueError`` naming the known ones otherwise."""
    return RELEASES[canonical(name)]


__all__ = [
    "FLAG_MODIFICATIONS",
    "LATEST",
    "MODIFICATIONS",
    "RELEASES",
    "Modification",
    "Release",
    "at_least",
    "canonical",
    "index",
    "release",
]

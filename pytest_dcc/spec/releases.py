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

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Final, Literal

from pytest_dcc.spec import SchemaVersion

ChangeKind = Literal["behaviour", "text", "guidance"]


@dataclass(frozen=True, slots=True)
class Modification:
    """An SEC modification in scope: the release that implemented it and what kind of change it made. A "behaviour"
    modification names the DSP behaviour flag it changes and the flag's value before its release (the opposite
    from it): a second behaviour-changing modification is one more row here, nothing else in this module."""

    id: str
    title: str
    release: str
    kind: ChangeKind
    note: str
    flag: str | None = None
    before: bool = True


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
                flag="unjoin_requires_smi_join",  # DP178 / MP178: refused with E080801 without an SMI join
                before=True,
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
#: Each DSP behaviour flag and the behaviour modification that changes it (from the modifications' rows).
FLAG_MODIFICATIONS: Final = MappingProxyType(
    {m.flag: m.id for m in MODIFICATIONS.values() if m.kind == "behaviour" and m.flag is not None}
)


@dataclass(frozen=True, slots=True)
class Release:
    """One SEC release in scope, and how the DSP behaves under it: each behaviour flag's value (``behaves``)."""

    name: str
    title: str
    schema_version: SchemaVersion
    flags: Mapping[str, bool] = field(hash=False, compare=True)

    def behaves(self, flag: str) -> bool:
        """The value of the DSP behaviour ``flag`` under this release (``ValueError`` naming the known flags)."""
        if flag not in self.flags:
            raise ValueError(f"unknown DSP behaviour flag {flag!r} (known: {', '.join(self.flags)})")
        return self.flags[flag]

    def but(self, **flags: bool) -> Release:
        """This release with some behaviour flags otherwise (a wrong endpoint, a test)."""
        for flag in flags:
            self.behaves(flag)
        return replace(self, flags=MappingProxyType({**self.flags, **flags}))


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


def _flags(name: str) -> Mapping[str, bool]:
    """Each behaviour flag under release ``name``: its value before its modification's release, the opposite from."""
    changes = (MODIFICATIONS[m] for m in FLAG_MODIFICATIONS.values())
    return MappingProxyType({str(m.flag): m.before != at_least(name, m.release) for m in changes})


RELEASES: Final = MappingProxyType({name: Release(name, title, schema, _flags(name)) for name, title, schema in _ROWS})


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

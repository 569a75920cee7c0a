"""The SEC clauses the suite captures (the registry of ../shared/docs/sec-clauses.md), with the release each
behaviour holds from (``since``) or until (``until``, exclusive)."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True, slots=True)
class Clause:
    """One registry row."""

    id: str
    source: str
    document: str  # the SEC document the clause sits in (DUIS, CHISM, GBCS)
    section: str  # where in it (a report's "feature")
    since: str | None = None
    until: str | None = None

    @property
    def modification(self) -> str:
        """The SEC modification (or draft proposal) the clause comes from: MP081, DP178, MP178."""
        return self.id.split("-", 1)[0]


_ROWS: Final = (
    Clause("MP081-CHISM-E3-T3", "CHISM Annex E3, table 3", "CHISM", "Annex E3 WAN coverage", since="2020-11"),
    Clause(
        "MP081-CHISM-E3-SPACE",
        "CHISM E3 note; MP081 solution (MP106 from 2021-06)",
        "CHISM",
        "Annex E3 WAN coverage",
        since="2020-11",
    ),
    Clause(
        "MP081-DUIS-3.8.1.2",
        "DUIS 3.8.1.2 GasThresholdMatrix (unit from 2020-11; type rules always)",
        "DUIS",
        "3.8.1 SR 1.1 Update Import Tariff",
    ),
    Clause(
        "MP081-DUIS-3.8.77.3",
        "DUIS 3.8.77.3, SR 6.24.2",
        "DUIS",
        "3.8.77 SR 6.24.2 Retrieve Device Security Credentials",
        since="2020-11",
    ),
    Clause(
        "MP081-DUIS-3.8.77.4",
        "DUIS 3.8.77.4, SR 6.24.2",
        "DUIS",
        "3.8.77 SR 6.24.2 Retrieve Device Security Credentials",
        since="2020-11",
    ),
    Clause(
        "MP081-DUIS-3.8.106.3",
        "DUIS 3.8.106.3, SR 8.14.2",
        "DUIS",
        "3.8.106 SR 8.14.2 CH Status Update - Install No SM WAN",
        since="2020-11",
    ),
    Clause(
        "MP081-DUIS-3.8.114.4",
        "DUIS additional DCC processing for SR 8.14.2",
        "DUIS",
        "3.8.106 SR 8.14.2 CH Status Update - Install No SM WAN",
        since="2020-11",
    ),
    Clause(
        "MP081-DUIS-3.8.112.2",
        "DUIS 3.8.112.2, SR 8.13",
        "DUIS",
        "3.8.112 SR 8.13 Return Local Command Response",
        since="2020-11",
    ),
    Clause(
        "MP081-ORGCERT-TRACKING",
        "MP081 solution",
        "DUIS",
        "3.8.112 SR 8.13 Return Local Command Response",
        since="2020-11",
    ),
    Clause(
        "DP178-E080801", "DUIS SR 8.8.1 / 8.8.2 business validation", "DUIS", "SR 8.8 Unjoin Service", until="2024-06"
    ),
    Clause("DP178-SMI-JOIN", "DP178 issue text", "DUIS", "SR 8.7 Join Service"),
    Clause("DP178-REJOIN", "DP178 issue text; GBCS", "GBCS", "Join (re-sent)"),
    Clause("MP178-UNJOIN", "MP178 solution", "DUIS", "SR 8.8 Unjoin Service", since="2024-06"),
)

CLAUSES: Final = MappingProxyType({c.id: c for c in _ROWS})

__all__ = ["CLAUSES", "Clause"]

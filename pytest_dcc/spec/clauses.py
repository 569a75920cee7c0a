"""The SEC clauses the suite captures (the registry of ../shared/docs/sec-clauses.md), with the release each
clause binds an endpoint from (``since``) or until (``until``, exclusive), and why.

MP081's clauses bind from 2020-11 and are NOT_APPLICABLE before: MP081 changed the text, not the DCC, so there is
no other behaviour to expect earlier. DP178-E080801 binds until 2024-06, when MP178 removed the check; MP178-UNJOIN
binds from then. ``releases`` says, per clause, which kind of change separates two releases."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from pytest_dcc.spec.releases import (
    FLAG_MODIFICATIONS,
    MODIFICATIONS,
    Modification,
    at_least,
    canonical,
    index,
    release,
)


@dataclass(frozen=True, slots=True)
class Clause:
    """One registry row."""

    id: str
    source: str
    document: str  # the SEC document the clause sits in (DUIS, CHISM, GBCS)
    section: str  # where in it (a report's "feature")
    since: str | None = None
    until: str | None = None
    guidance: str | None = None  # a modification that added reading guidance only (MP106)

    @property
    def modification(self) -> str:
        """The SEC modification (or draft proposal) the clause comes from: MP081, DP178, MP178."""
        return self.id.split("-", 1)[0]

    def not_normative(self, claimed: str) -> str | None:
        """Why the clause does not bind an endpoint claiming release ``claimed`` (None when it does). Worded from the
        modifications' rows (``spec.releases``), never from a modification named here."""
        if self.since is not None and not at_least(claimed, self.since):
            text = MODIFICATIONS.get(self.modification)
            if text is not None and text.kind == "text":
                month = release(text.release).title.split(" SEC Release")[0]  # "November 2020"
                return (
                    f"{self.id} is not normative before {text.id}, {month} (the endpoint claims {canonical(claimed)}); "
                    f"{text.note}"
                )
            return f"{self.id} binds from the {self.since} release; the endpoint claims {canonical(claimed)}"
        if self.until is not None and at_least(claimed, self.until):
            removed = _behaviour_at(self.until)
            why = f", when {removed.id} removed it ({removed.note})" if removed is not None else ""
            return f"{self.id} binds until the {self.until} release{why}; the endpoint claims {canonical(claimed)}"
        return None

    def change_between(self, a: str, b: str) -> str | None:
        """What separates releases ``a`` and ``b`` for this clause: "behaviour changes: ...", "text only:
        normative from R (...)", "reading guidance from R (...)", or None when nothing does."""
        lo, hi = sorted((canonical(a), canonical(b)), key=index)

        def crossed(release: str) -> bool:
            return at_least(hi, release) and not at_least(lo, release)

        if self.until is not None and crossed(self.until):
            removed = _behaviour_at(self.until)
            return f"behaviour changes: binds until {self.until}" + (f" ({removed.note})" if removed else "")
        found: list[str] = []
        if self.since is not None and crossed(self.since):
            own = MODIFICATIONS.get(self.modification)
            if own is None or own.kind != "text":
                note = f" ({own.note})" if own is not None else ""
                return f"behaviour changes: binds from {self.since}{note}"
            found.append(f"normative from {self.since} ({own.note})")
        if self.guidance is not None and crossed(MODIFICATIONS[self.guidance].release):
            mod = MODIFICATIONS[self.guidance]
            found.append(f"reading guidance from {mod.release} ({mod.id}: {mod.note})")
        return f"text only: {'; '.join(found)}" if found else None


def _behaviour_at(release: str) -> Modification | None:
    """The behaviour-changing modification implemented in ``release`` (what ends a clause that binds until it)."""
    return next((m for m in MODIFICATIONS.values() if m.kind == "behaviour" and m.release == release), None)


_MP081: Final = MODIFICATIONS["MP081"].release
_MP178: Final = MODIFICATIONS["MP178"].release
_ROWS: Final = (
    Clause("MP081-CHISM-E3-T3", "CHISM Annex E3, table 3", "CHISM", "Annex E3 WAN coverage", since=_MP081),
    Clause(
        "MP081-CHISM-E3-SPACE",
        "CHISM E3 note; MP081 solution (MP106 from 2021-06)",
        "CHISM",
        "Annex E3 WAN coverage",
        since=_MP081,
        guidance="MP106",
    ),
    Clause(
        "MP081-DUIS-3.8.1.2",
        "DUIS 3.8.1.2 GasThresholdMatrix",
        "DUIS",
        "3.8.1 SR 1.1 Update Import Tariff",
        since=_MP081,
    ),
    Clause(
        "MP081-DUIS-3.8.77.3",
        "DUIS 3.8.77.3, SR 6.24.2",
        "DUIS",
        "3.8.77 SR 6.24.2 Retrieve Device Security Credentials",
        since=_MP081,
    ),
    Clause(
        "MP081-DUIS-3.8.77.4",
        "DUIS 3.8.77.4, SR 6.24.2",
        "DUIS",
        "3.8.77 SR 6.24.2 Retrieve Device Security Credentials",
        since=_MP081,
    ),
    Clause(
        "MP081-DUIS-3.8.106.3",
        "DUIS 3.8.106.3, SR 8.14.2",
        "DUIS",
        "3.8.106 SR 8.14.2 CH Status Update - Install No SM WAN",
        since=_MP081,
    ),
    Clause(
        "MP081-DUIS-3.8.114.4",
        "DUIS additional DCC processing for SR 8.14.2",
        "DUIS",
        "3.8.106 SR 8.14.2 CH Status Update - Install No SM WAN",
        since=_MP081,
    ),
    Clause(
        "MP081-DUIS-3.8.112.2",
        "DUIS 3.8.112.2, SR 8.13",
        "DUIS",
        "3.8.112 SR 8.13 Return Local Command Response",
        since=_MP081,
    ),
    Clause(
        "MP081-ORGCERT-TRACKING",
        "MP081 solution",
        "DUIS",
        "3.8.112 SR 8.13 Return Local Command Response",
        since=_MP081,
    ),
    Clause("DP178-E080801", "DUIS SR 8.8.1 / 8.8.2 business validation", "DUIS", "SR 8.8 Unjoin Service", until=_MP178),
    Clause("DP178-SMI-JOIN", "DP178 issue text", "DUIS", "SR 8.7 Join Service"),
    Clause("DP178-REJOIN", "DP178 issue text; GBCS", "GBCS", "Join (re-sent)"),
    Clause("MP178-UNJOIN", "MP178 solution", "DUIS", "SR 8.8 Unjoin Service", since=_MP178),
)

CLAUSES: Final = MappingProxyType({c.id: c for c in _ROWS})
#: The clauses whose expected behaviour each DSP behaviour flag governs: those that bind from or until the release
#: of the flag's modification (``spec.releases.FLAG_MODIFICATIONS``).
FLAG_CLAUSES: Final = MappingProxyType(
    {
        flag: tuple(c.id for c in _ROWS if MODIFICATIONS[mod].release in (c.since, c.until))
        for flag, mod in FLAG_MODIFICATIONS.items()
    }
)

__all__ = ["CLAUSES", "FLAG_CLAUSES", "Clause"]

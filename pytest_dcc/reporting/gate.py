"""Release gating: compare two runs clause by clause, and say what a SEC release changes before anything runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from pytest_dcc.reporting.matrix import NOT_ASSESSED, build
from pytest_dcc.spec.clauses import CLAUSES
from pytest_dcc.spec.releases import RELEASES, canonical

#: Verdicts that mean the endpoint does not conform (or could not be judged).
BAD: Final = frozenset({"FAIL", "ERROR", "UNEXPECTED_PASS"})


@dataclass
class Comparison:
    """What changed from run A to run B."""

    a: str
    b: str
    same_release: bool
    newly_failing: list[str] = field(default_factory=list)  # "clause: A -> B"
    newly_passing: list[str] = field(default_factory=list)
    applicability: list[str] = field(default_factory=list)
    scenarios_newly_failing: list[str] = field(default_factory=list)
    lost_coverage: list[str] = field(default_factory=list)  # assessed in A, not in B, same release

    @property
    def regression(self) -> bool:
        return bool(self.newly_failing or self.scenarios_newly_failing or self.lost_coverage)

    def report(self) -> str:
        lines = [f"Comparing {self.a} (A) with {self.b} (B)"]
        for title, items in (
            ("Newly failing clauses", self.newly_failing),
            ("Newly failing scenarios", self.scenarios_newly_failing),
            ("Clauses no longer assessed (same release: coverage lost)", self.lost_coverage),
            ("Newly passing clauses", self.newly_passing),
            ("Applicability changed", self.applicability),
        ):
            lines.append(f"{title}: {len(items)}")
            lines += [f"  {item}" for item in items]
        lines.append("REGRESSION" if self.regression else "no regression")
        return "\n".join(lines)


def compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> Comparison:
    """Compare two verdicts.json documents (A before, B after)."""
    matrix = build([a, b])
    col_a, col_b = matrix.columns
    result = Comparison(col_a, col_b, a.get("run", {}).get("release") == b.get("run", {}).get("release"))
    for clause, cells in matrix.rows.items():
        before, after = cells[col_a].status, cells[col_b].status
        change = f"{clause}: {before} -> {after}"
        if after in BAD and before not in BAD:
            result.newly_failing.append(change)
        elif after == "PASS" and before != "PASS" and before != NOT_ASSESSED:
            result.newly_passing.append(change)
        if (before == NOT_ASSESSED) != (after == NOT_ASSESSED):
            result.applicability.append(change)
            if after == NOT_ASSESSED and result.same_release:
                result.lost_coverage.append(change)
            elif before == NOT_ASSESSED and after == "PASS":
                result.newly_passing.append(change)
    old = {s["id"]: s["verdict"] for s in a.get("scenarios", [])}
    for scenario in b.get("scenarios", []):
        was = old.get(scenario["id"])
        if scenario["verdict"] in BAD and was is not None and was not in BAD:
            result.scenarios_newly_failing.append(f"{scenario['id']}: {was} -> {scenario['verdict']}")
    return result


@dataclass(frozen=True)
class ReleaseChange:
    """What separates two releases for one clause: ``kind`` is "behaviour changes" or "text only", ``what`` the
    SEC's account of it."""

    clause: str
    kind: str
    what: str


def release_changes(a: str, b: str) -> list[ReleaseChange]:
    """Per clause of the registry, what separates SEC releases ``a`` and ``b`` (clauses nothing separates are left
    out). ``ValueError`` for an unknown release."""
    canonical(a), canonical(b)
    changes = []
    for clause in CLAUSES.values():
        text = clause.change_between(a, b)
        if text is not None:
            kind, _, what = text.partition(": ")
            changes.append(ReleaseChange(clause.id, kind, what))
    return changes


def release_report(a: str, b: str) -> str:
    first, second = canonical(a), canonical(b)
    changes = release_changes(a, b)
    lines = [f"SEC release {first} ({RELEASES[first].title}) -> {second} ({RELEASES[second].title})"]
    for change in changes:
        lines.append(f"  {change.clause}: {change.kind}: {change.what}")
    unchanged = [c for c in CLAUSES if c not in {ch.clause for ch in changes}]
    if unchanged:
        lines.append(f"  no change: {', '.join(unchanged)}")
    behaviour = [c.clause for c in changes if c.kind == "behaviour changes"]
    lines.append(
        f"clauses whose expected behaviour changes: {len(behaviour)}"
        + (f" ({', '.join(behaviour)})" if behaviour else "")
    )
    schemas = (RELEASES[first].schema_version, RELEASES[second].schema_version)
    if schemas[0] != schemas[1]:
        lines.append(f"the bundled reference DCC answers DUIS {schemas[0]} -> {schemas[1]} (this project's choice)")
    return "\n".join(lines)


__all__ = ["BAD", "Comparison", "ReleaseChange", "compare", "release_changes", "release_report"]

"""Release gating: compare two runs clause by clause, and say what a SEC release changes before anything runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final

from pytest_dcc.reference.releases import FLAG_CLAUSES, Release, release
from pytest_dcc.reporting.matrix import NOT_ASSESSED, build

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
    behaviour: str
    before: Any
    after: Any
    clauses: tuple[str, ...]


def release_changes(a: str, b: str) -> list[ReleaseChange]:
    """The behaviours (release flags of the reference DCC) that differ between SEC releases ``a`` and ``b``, with
    the clauses whose expected behaviour they govern. ``ValueError`` for an unknown release."""
    first, second = release(a), release(b)
    changes = []
    for f in fields(Release):
        if f.name in ("name", "title"):
            continue
        x, y = getattr(first, f.name), getattr(second, f.name)
        if x != y:
            if isinstance(x, frozenset):
                x, y = sorted(x - y), sorted(y - x)  # only what differs: removed, added
            changes.append(ReleaseChange(f.name, x, y, FLAG_CLAUSES.get(f.name, ())))
    return changes


def release_report(a: str, b: str) -> str:
    first, second = release(a), release(b)
    changes = release_changes(a, b)
    lines = [f"SEC release {first.name} ({first.title}) -> {second.name} ({second.title})"]
    if not changes:
        lines.append("no clause changes its expected behaviour")
    for change in changes:
        if change.behaviour == "local_response_srvs":
            what = f"removed {change.before or 'none'}, added {change.after or 'none'}"
        else:
            what = f"{change.before} -> {change.after}"
        clauses = ", ".join(change.clauses) or "(the DUIS schema version answered)"
        lines.append(f"  {change.behaviour}: {what}; clauses: {clauses}")
    touched = sorted({c for change in changes for c in change.clauses})
    lines.append(f"clauses touched: {len(touched)}" + (f" ({', '.join(touched)})" if touched else ""))
    return "\n".join(lines)


__all__ = ["BAD", "Comparison", "ReleaseChange", "compare", "release_changes", "release_report"]

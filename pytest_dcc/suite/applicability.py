"""Applicability, decided in one place: whether a scenario applies to the endpoint under test.

In order: a clause of the scenario that is not normative at the claimed release (the clause registry,
:meth:`Clause.not_normative`), an ``@release:`` tag (``from-R``: the scenario applies from release R;
``before-R``: until R, exclusive; a tag only narrows a scenario further), an SRV the implementation statement does
not declare. The wiring (:mod:`pytest_dcc.plugin`) reads the tags of a test and asks here.
"""

from __future__ import annotations

from collections.abc import Iterable

from pytest_dcc.spec.clauses import CLAUSES
from pytest_dcc.spec.releases import canonical, index
from pytest_dcc.statement import Statement


def check_release_tag(value: str) -> None:
    """Raise ``ValueError`` unless ``value`` is ``from-R`` or ``before-R`` with a known release R."""
    kind, _, name = value.partition("-")
    if kind not in {"from", "before"} or not name:
        raise ValueError(f"@release:{value} must be from-<release> or before-<release>")
    canonical(name)  # raises ValueError naming the known ones


def release_excludes(value: str, claimed: str) -> str | None:
    """Why a scenario tagged ``@release:value`` does not apply to an endpoint claiming ``claimed`` (else None)."""
    kind, _, name = value.partition("-")
    here, there = index(claimed), index(name)
    if kind == "from" and here < there:
        return f"the scenario applies from the {name} release; the endpoint claims {canonical(claimed)}"
    if kind == "before" and here >= there:
        return f"the scenario applies before the {name} release; the endpoint claims {canonical(claimed)}"
    return None


def not_applicable(
    *,
    clauses: Iterable[str],
    release_tags: Iterable[str],
    srvs: Iterable[str],
    claimed: str,
    statement: Statement | None,
    scenario: bool = True,
) -> str | None:
    """Why a scenario with these ``@clause:`` and ``@release:`` tags and SRVs does not apply to an endpoint
    claiming release ``claimed`` under ``statement`` (None when it applies). ``scenario`` is False for a test that
    is not a Gherkin scenario (the statement does not rule on it)."""
    for clause_id in clauses:
        clause = CLAUSES.get(clause_id)
        reason = clause.not_normative(claimed) if clause is not None else None
        if reason:
            return reason
    for tag in release_tags:
        reason = release_excludes(tag, claimed)
        if reason:
            return reason
    if statement is not None and scenario:
        missing = statement.missing_srv(list(srvs))
        if missing:
            return f"the implementation statement {statement.path.name} does not declare SRV {missing}"
    return None


__all__ = ["check_release_tag", "not_applicable", "release_excludes"]

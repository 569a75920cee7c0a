"""Whether a run of the suite caught a mutant, or stayed green: the one rule, for every family, that
benchmarks/mutants.py (the whole suite, in process and over HTTP) and tests/test_detection.py (the features of the
clauses a mutant owns, through pytester) both apply to the scenarios of verdicts.json.

A mutant is caught when at least one scenario of a clause it owns FAILs, no FAIL lands on a clause it does not own,
and every ERROR is one it declares (:attr:`~qa.mutants.mutant.Mutant.declared_errors`: an ``ArrangementError``,
the verdict of a scenario whose set-up the mutant breaks). A transport mutant owns no clause: it is caught by
ERRORs naming its cause, every ERROR naming it, and no FAIL. A green mutant, and the unmodified reference, must give
no FAIL and no ERROR and at least one PASS (a false alarm otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qa.mutants.mutant import Mutant

Scenario = Mapping[str, Any]  # one entry of verdicts.json's "scenarios"


@dataclass(frozen=True)
class Judgement:
    """The outcome for one run: ``ok`` (caught, or stayed green) and how, in a line."""

    ok: bool
    detail: str


def _verdict(scenarios: Sequence[Scenario], verdict: str) -> list[Scenario]:
    return [s for s in scenarios if s["verdict"] == verdict]


def _listed(scenarios: Sequence[Scenario]) -> str:
    return "; ".join(
        f"{s['verdict']} {str(s['name'])[:50]} {s['clauses']} ({str(s['message'])[:120]})" for s in scenarios[:3]
    )


def caught(mutant: Mutant, scenarios: Sequence[Scenario]) -> Judgement:
    """Whether the run whose ``scenarios`` are given caught ``mutant`` (of the reference or black-box family)."""
    if not scenarios:
        return Judgement(False, "the suite did not run")
    fails, errors = _verdict(scenarios, "FAIL"), _verdict(scenarios, "ERROR")
    named = [any(cause in str(s["message"]) for cause in mutant.declared_errors) for s in errors]
    declared = [s for s, ok in zip(errors, named, strict=True) if ok]
    undeclared = [s for s, ok in zip(errors, named, strict=True) if not ok]
    if mutant.error_cause is not None:
        ok = bool(declared) and not fails and not undeclared
        detail = (
            f"{len(declared)} ERROR {mutant.error_cause}, {len(fails)} FAIL, {len(_verdict(scenarios, 'PASS'))} PASS"
        )
        stray = fails
    else:
        stray = [s for s in fails if not mutant.owners & set(s["clauses"])]
        by = sorted({c for s in fails for c in s["clauses"] if c in mutant.owners})
        ok = bool(fails) and not stray and not undeclared
        detail = f"FAIL on {', '.join(by) or 'nothing'} ({len(fails)} scenarios)"
    if stray:
        detail += "; also: " + _listed(stray)
    if undeclared:
        detail += f"; ERROR not naming {' or '.join(mutant.declared_errors)}: " + _listed(undeclared)
    return Judgement(ok, detail)


def stays_green(scenarios: Sequence[Scenario]) -> Judgement:
    """Whether a run against a green mutant (or the unmodified reference) stayed green: no FAIL, no ERROR, a PASS."""
    if not scenarios:
        return Judgement(False, "the suite did not run")
    bad = [s for s in scenarios if s["verdict"] in ("FAIL", "ERROR")]
    passed = len(_verdict(scenarios, "PASS"))
    detail = f"{len(scenarios)} scenarios, {passed} PASS, {len(bad)} FAIL/ERROR"
    if bad:
        detail += ": " + _listed(bad)
    return Judgement(not bad and passed > 0, detail)


def judge(mutant: Mutant | None, scenarios: Sequence[Scenario]) -> Judgement:
    """:func:`stays_green` for a green mutant or ``None`` (the unmodified reference), else :func:`caught`."""
    if mutant is None or mutant.family == "green":
        return stays_green(scenarios)
    return caught(mutant, scenarios)


__all__ = ["Judgement", "Scenario", "caught", "judge", "stays_green"]

"""What a certification run must be, judged here and asked by the wiring (:mod:`pytest_dcc.plugin.certification`):
the whole computed list, with no deselection, no expected failures and no early stop, against a declared
implementation statement; every scenario of the bundled suite collected, and nothing else."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from pytest_dcc.statement import Statement

#: (feature path relative to features/, scenario name) -> how many tests pytest-bdd makes of it
Scenarios = Counter[tuple[str, str]]


def run_refusal(used: Mapping[str, object], statement: Statement | None) -> str | None:
    """Why a certification run may not start: ``used`` maps each option that narrows or relaxes a run (``-k``,
    ``--deselect``, ``--dcc-expected-failures``, ...) to its value; any set one is refused, as is no statement."""
    narrowing = [name for name, value in used.items() if value]
    if narrowing:
        return f"--dcc-mode certification forbids {', '.join(narrowing)}"
    if statement is None:
        return "--dcc-mode certification needs --dcc-statement"
    return None


def incompleteness(expected: Scenarios, collected: Scenarios) -> str | None:
    """How the collected scenarios differ from the bundled suite's (at most ten of each kind), or None."""
    missing = expected - collected
    extra = collected - expected
    if not missing and not extra:
        return None
    detail = [f"missing {f}: {n} (x{c})" for (f, n), c in sorted(missing.items())[:10]]
    detail += [f"not in the bundled suite {f}: {n} (x{c})" for (f, n), c in sorted(extra.items())[:10]]
    return "--dcc-mode certification: the collected scenarios differ from the computed list:\n  " + "\n  ".join(detail)


__all__ = ["Scenarios", "incompleteness", "run_refusal"]

"""Detection power through pytester: the suite's own features against endpoints built to be wrong in each way (the
black-box mutants of ``qa/mutants/``: a proxy in front of a correct reference DCC that rewrites answers, skips
checks, drops effects or applies what was refused) and against endpoints that are correct but different, which must
stay green.

Each mutant runs the features that carry the clauses it breaks (the green ones run every clause feature) and is
judged by the one rule, ``qa.mutants.caught`` / ``stays_green``; the whole-suite figures, in process and over a real
HTTP proxy, come from ``benchmarks/mutants.py`` with the same rule.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from pytest_dcc._resources import features_dir
from qa.mutants import Mutant, catalogue, caught, stays_green
from tests.reference_harness import FIXTURES

MUTATIONS = catalogue("black-box", "green")
#: The inner runs' --dcc-timeout (see _run).
TIMEOUT_S = 1.5
CONFTEST = """
import pytest
from pytest_dcc.reference.setup import build_reference
from qa.mutants import attach, catalogue

MUTATION = catalogue()[{name!r}]

@pytest.fixture(scope="session")
def dcc_reference(dcc_test_pki):
    dcc = build_reference(dcc_test_pki, release=MUTATION.inner or {claimed!r})
    attach(dcc, MUTATION, dcc_test_pki)
    yield dcc


@pytest.fixture(scope="session", autouse=True)
def as_the_bundled_suite():
    # test_suite.py holds bundled features alone, as pytest_dcc.suite.test_features does: their steps are looked
    # up as the bundled suite's are (the plugin's cached lookup, not pytest-bdd's per-step scan of every fixture)
    from pytest_dcc.plugin import step_lookup

    saved = step_lookup.SUITE_MODULES
    step_lookup.SUITE_MODULES = (*saved, "test_suite")
    yield
    step_lookup.SUITE_MODULES = saved
"""


def _features_of(clauses: frozenset[str]) -> list[Path]:
    found = []
    for path in sorted(features_dir().rglob("*.feature")):
        tags = set(re.findall(r"@clause:([A-Za-z0-9.-]+)", path.read_text()))
        if (tags & clauses) if clauses else tags:
            found.append(path)
    return found


def _run(pytester: pytest.Pytester, mutation: Mutant) -> list[dict[str, object]]:
    features = _features_of(mutation.owners)
    pytester.makepyfile(
        test_suite="from pytest_bdd import scenarios\n" + "".join(f"scenarios({str(f)!r})\n" for f in features)
    )
    pytester.makeconftest(CONFTEST.format(name=mutation.name, claimed=mutation.claimed))
    # A wrong endpoint that never answers asynchronously is judged after the timeout (twice over where the device
    # shows the effect absent). The reference in process delivers before its answer returns, and the latest any
    # mutant here delivers a first copy is green-slow-endpoint's 0.1 s after the answer (an at-least-once copy may
    # follow later, but the first is what is waited for): 1.5 s leaves a margin for a loaded
    # machine (benchmarks/mutants.py, over HTTP too, keeps 3 s). No --tb: a verdict's trace is the plugin's own
    # (plugin.recorder.verdict_report), as in a user's run.
    args = [f"--dcc-release={mutation.claimed}", f"--dcc-timeout={TIMEOUT_S:g}"]
    args += ["-p", "no:cacheprovider", "-p", "no:randomly"]
    if mutation.statement:
        data = yaml.safe_load((FIXTURES / "statements" / "reference-latest.yaml").read_text())
        data.update({"release": mutation.claimed, **mutation.statement})
        statement = pytester.path / "statement.yaml"
        statement.write_text(yaml.safe_dump(data))
        args.append(f"--dcc-statement={statement}")
    pytester.runpytest(*args)
    return list(json.loads((pytester.path / "reports" / "verdicts.json").read_text())["scenarios"])


def _summary(scenarios: list[dict[str, object]]) -> str:
    return "; ".join(f"{s['verdict']} {s['name']} {s['clauses']}: {str(s['message'])[:160]}" for s in scenarios)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(n for n, m in MUTATIONS.items() if m.family == "black-box"))
def test_a_wrong_endpoint_fails_the_clause_it_breaks_and_no_other(pytester: pytest.Pytester, name: str) -> None:
    mutation = MUTATIONS[name]
    scenarios = _run(pytester, mutation)
    # A FAIL on a clause it owns, none elsewhere, and only the ERRORs it declares (ArrangementError; a transport
    # mutant: ERRORs naming its cause, never FAIL).
    judgement = caught(mutation, scenarios)
    bad = [s for s in scenarios if s["verdict"] in ("FAIL", "ERROR")]
    assert judgement.ok, f"{mutation.what}: {judgement.detail} ({len(scenarios)} scenarios): {_summary(bad)}"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(n for n, m in MUTATIONS.items() if m.family == "green"))
def test_a_correct_but_different_endpoint_stays_green(pytester: pytest.Pytester, name: str) -> None:
    scenarios = _run(pytester, MUTATIONS[name])
    judgement = stays_green(scenarios)
    assert judgement.ok, f"{judgement.detail}: {_summary([s for s in scenarios if s['verdict'] in ('FAIL', 'ERROR')])}"


def test_every_black_box_mutation_names_clauses_of_the_registry() -> None:
    from pytest_dcc.spec.clauses import CLAUSES

    for mutation in MUTATIONS.values():
        assert mutation.owners <= set(CLAUSES), mutation.name
        assert (mutation.family == "green") == (not mutation.owners and mutation.error_cause is None), mutation.name


def test_no_correct_delivery_comes_near_the_timeout() -> None:
    """The inner runs' timeout stays well above the latest a mutant delivers on purpose (a late correct response
    taken for a missing one would be a false alarm on a loaded machine, or hide nothing but cost a flaky run)."""
    latest = max(m.deliver_after_s or 0.0 for m in MUTATIONS.values())
    assert latest > 0, "green-slow-endpoint delivers after its answer"
    assert 5 * latest <= TIMEOUT_S, (latest, TIMEOUT_S)

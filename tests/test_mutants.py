"""The mutation benchmark's own machinery (benchmarks/mutants.py): a mutant is caught only by its own clause, the
judge refuses a catch that spills onto other clauses, and one real mutant run in process is caught."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import load_benchmark


@pytest.fixture(scope="module")
def mutants() -> ModuleType:
    return load_benchmark("mutants")


def _run(verdicts: list[tuple[str, list[str], str]]) -> dict[str, object]:
    return {"scenarios": [{"verdict": v, "clauses": c, "message": m, "name": "s"} for v, c, m in verdicts]}


def test_every_registry_clause_has_a_mutant_in_each_family(mutants: ModuleType) -> None:
    from pytest_dcc.spec.clauses import CLAUSES, FLAG_CLAUSES

    table = mutants._mutants()
    for family in ("reference", "black-box"):
        owned = {c for m in table.values() if m.family == family for c in m.owners}
        assert set(CLAUSES) <= owned, f"{family}: no mutant for {sorted(set(CLAUSES) - owned)}"
    # The one release flag (MP178) is broken both ways, and nothing else depends on a release.
    assert set(FLAG_CLAUSES) == {"unjoin_requires_smi_join"}
    assert {"e080801-kept-after-2024-06", "e080801-dropped-before-2024-06"} <= set(table)
    green = {m.name: m for m in table.values() if m.family == "green"}
    assert {"green-other-codes-of-the-set", "green-other-chism-column", "green-mp081-dcc-before-2020-11"} <= set(green)
    assert all(not m.owners for m in green.values())
    assert green["green-mp081-dcc-before-2020-11"].release == "2020-06"


def test_black_box_mutations_cover_both_sides_of_the_rules() -> None:
    """Each rule is broken on its accepting side (refused, or acknowledged without applying) and on its refusing
    side (accepted, or applied although refused)."""
    from qa.mutants import catalogue

    names = set(catalogue())
    pairs = {
        "MP081-DUIS-3.8.1.2": ("large-thresholds-refused", "threshold-indexes-not-checked"),
        "MP081-DUIS-3.8.106.3": ("8.14.2-e5-applied", "8.14.2-not-a-chf-accepted"),
        "MP081-DUIS-3.8.114.4": ("8.14.2-pending-chf-left-pending", "8.14.2-gpf-moved-whatever"),
        "MP081-DUIS-3.8.112.2": ("8.13-listed-refused", "8.13-unlisted-accepted"),
        "refused but applied": ("8.14.2-future-refused-but-applied", "8.13-refused-but-applied"),
        "DP178-E080801": ("e080801-always", "e080801-not-checked-before-2024-06"),
        "DP178-SMI-JOIN": ("join-not-recorded", "lost-join-recorded"),
    }
    for rule, (one, other) in pairs.items():
        assert {one, other} <= names, rule


def test_the_judge_wants_a_fail_on_the_owning_clause_and_nowhere_else(mutants: ModuleType) -> None:
    mutant = mutants._mutants()["no-e081402"]
    owner = "MP081-DUIS-3.8.106.3"
    assert mutants.judge(mutant, _run([("FAIL", [owner], ""), ("PASS", ["X"], "")]))[0]
    assert not mutants.judge(mutant, _run([("PASS", [owner], "")]))[0]  # not caught
    assert not mutants.judge(mutant, _run([("FAIL", [owner], ""), ("FAIL", ["DP178-REJOIN"], "")]))[0]  # spills
    assert not mutants.judge(mutant, _run([("ERROR", [owner], "EndpointTimeoutError")]))[0]  # ERROR is no catch
    transport = mutants._mutants()["unsigned-responses"]
    assert mutants.judge(transport, _run([("ERROR", ["X"], "ResponseSignatureError: unsigned")]))[0]
    assert not mutants.judge(transport, _run([("ERROR", ["X"], "ResponseSignatureError"), ("FAIL", ["X"], "")]))[0]
    assert not mutants.judge(None, _run([("PASS", ["X"], ""), ("ERROR", ["X"], "")]))[0]  # baseline must be clean
    # A scenario of another clause whose arrangement the mutant breaks is ERROR, not a spill.
    arranged = _run([("FAIL", [owner], ""), ("ERROR", ["MP081-DUIS-3.8.112.2"], "ArrangementError: SRV 1.1.1 ...")])
    assert mutants.judge(mutant, arranged)[0]
    green = mutants._mutants()["green-other-chism-column"]
    assert mutants.judge(green, _run([("PASS", ["X"], ""), ("NOT_APPLICABLE", ["Y"], "")]))[0]
    assert not mutants.judge(green, _run([("PASS", ["X"], ""), ("FAIL", ["Y"], "")]))[0]  # a false alarm


@pytest.mark.slow
def test_a_mutant_run_in_process_is_caught_by_its_clause(mutants: ModuleType, tmp_path: Path) -> None:
    mutant = mutants._mutants()["e080801-kept-after-2024-06"]
    caught, detail = mutants.judge(mutant, mutants.run_one(mutant, "in-process", tmp_path))
    assert caught, detail
    assert "MP178-UNJOIN" in detail


@pytest.mark.slow
def test_a_black_box_mutant_over_http_is_caught_and_a_green_one_stays_green(
    mutants: ModuleType, tmp_path: Path
) -> None:
    """The real HTTP proxy in front of an unmodified pytest-dcc serve: a Pending CHF left Pending is caught by
    3.8.114.4 alone; the other unpublished codes of the same sets stay green."""
    table = mutants._mutants()
    mutant = table["8.14.2-pending-chf-left-pending"]
    caught, detail = mutants.judge(mutant, mutants.run_one(mutant, "http", tmp_path))
    assert caught, detail
    assert "MP081-DUIS-3.8.114.4" in detail
    green = table["green-other-codes-of-the-set"]
    clean, detail = mutants.judge(green, mutants.run_one(green, "in-process", tmp_path))
    assert clean, detail


def test_the_strangers_are_registered(mutants: ModuleType) -> None:
    """The strangers' endpoints (designed from the registry alone) are in the benchmark, wrong ones owning registry
    clauses and correct-but-different ones owning none."""
    from pytest_dcc.spec.clauses import CLAUSES
    from qa.mutants.strangers import strangers

    table = mutants._mutants()
    names = {m.name: m.family for m in strangers()}
    assert {n for n, f in names.items() if f == "green"} == {
        "green-dui-prefix-indented",
        "green-response-time-at-plus-one",
        "green-optional-wan-fields",
        "green-slow-endpoint",
    }
    assert len([n for n, f in names.items() if f == "black-box"]) == 25
    for name, family in names.items():
        assert table[name].family == family, name
        assert (not table[name].owners) == (family == "green"), name
        assert table[name].owners <= set(CLAUSES), name

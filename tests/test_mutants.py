"""The mutation benchmark's own machinery (benchmarks/mutants.py over qa.mutants): one mutant type with one
catalogue per family, a mutant is caught only by its own clause (``qa.mutants.caught``, the one rule), the judge
refuses a catch that spills onto other clauses, and one real mutant run in process is caught."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from qa.mutants import FAMILIES, Mutant, catalogue, caught, judge
from tests.conftest import load_benchmark


@pytest.fixture(scope="module")
def mutants() -> ModuleType:
    return load_benchmark("mutants")


def _run(verdicts: list[tuple[str, list[str], str]]) -> list[dict[str, object]]:
    return [{"verdict": v, "clauses": c, "message": m, "name": "s"} for v, c, m in verdicts]


def test_every_registry_clause_has_a_mutant_in_each_family() -> None:
    from pytest_dcc.spec.clauses import CLAUSES, FLAG_CLAUSES

    table = catalogue()
    for family in ("reference", "black-box"):
        owned = {c for m in table.values() if m.family == family for c in m.owners}
        assert set(CLAUSES) <= owned, f"{family}: no mutant for {sorted(set(CLAUSES) - owned)}"
    # Each release flag is broken both ways: a reference mutant claims a release on each side of its modification.
    from pytest_dcc.spec.releases import FLAG_MODIFICATIONS, MODIFICATIONS, at_least

    reference = [m for m in table.values() if m.family == "reference"]
    for flag, mod in FLAG_MODIFICATIONS.items():
        governed = set(FLAG_CLAUSES[flag])
        sides = {at_least(m.claimed, MODIFICATIONS[mod].release) for m in reference if m.owners & governed}
        assert sides == {True, False}, flag
    assert {"mp178-not-implemented", "mp178-implemented-early"} <= set(table)
    green = {m.name: m for m in table.values() if m.family == "green"}
    assert {"green-other-codes-of-the-set", "green-other-chism-column", "green-mp081-dcc-before-2020-11"} <= set(green)
    assert all(not m.owners for m in green.values())
    assert green["green-mp081-dcc-before-2020-11"].claimed == "2020-06"


def test_one_mutant_type_and_one_catalogue_per_family(mutants: ModuleType) -> None:
    """Every family's catalogue holds its own family only; a reference mutant is a white-box patch and nothing
    else, a black-box or green one goes through the proxy; the benchmark runs exactly the families' union."""
    from qa.mutants import black_box, green, reference

    families = {"reference": reference(), "black-box": black_box(), "green": green()}
    assert tuple(families) == FAMILIES
    for family, table in families.items():
        assert table and all(isinstance(m, Mutant) and m.family == family for m in table.values()), family
    assert sum(len(t) for t in families.values()) == len(catalogue()) == len(mutants._mutants())
    for m in catalogue().values():
        hooks = (m.request, m.reply, m.delivery, m.redeliver_after_s)
        if m.family == "reference":
            assert m.patch is not None and hooks == (None,) * 4 and m.inner is None and not m.statement, m.name
        else:
            assert m.patch is None, m.name
    assert mutants.judge_run is judge  # the benchmark judges with the one rule


def test_black_box_mutations_cover_both_sides_of_the_rules() -> None:
    """Each rule is broken on its accepting side (refused, or acknowledged without applying) and on its refusing
    side (accepted, or applied although refused)."""
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


def test_the_judge_wants_a_fail_on_the_owning_clause_and_nowhere_else() -> None:
    table = catalogue()
    mutant = table["no-e081402"]
    owner = "MP081-DUIS-3.8.106.3"
    assert judge(mutant, _run([("FAIL", [owner], ""), ("PASS", ["X"], "")])).ok
    assert not judge(mutant, _run([("PASS", [owner], "")])).ok  # not caught
    assert not judge(mutant, _run([("FAIL", [owner], ""), ("FAIL", ["DP178-REJOIN"], "")])).ok  # spills
    assert not judge(mutant, _run([("ERROR", [owner], "EndpointTimeoutError")])).ok  # ERROR is no catch
    transport = table["unsigned-responses"]
    assert judge(transport, _run([("ERROR", ["X"], "ResponseSignatureError: unsigned")])).ok
    assert not judge(transport, _run([("ERROR", ["X"], "ResponseSignatureError"), ("FAIL", ["X"], "")])).ok
    assert not judge(None, _run([("PASS", ["X"], ""), ("ERROR", ["X"], "")])).ok  # baseline must be clean
    # A scenario of another clause whose arrangement the mutant breaks is ERROR, not a spill.
    arranged = _run([("FAIL", [owner], ""), ("ERROR", ["MP081-DUIS-3.8.112.2"], "ArrangementError: SRV 1.1.1 ...")])
    assert judge(mutant, arranged).ok
    green = table["green-other-chism-column"]
    assert judge(green, _run([("PASS", ["X"], ""), ("NOT_APPLICABLE", ["Y"], "")])).ok
    assert not judge(green, _run([("PASS", ["X"], ""), ("FAIL", ["Y"], "")])).ok  # a false alarm


def test_a_catch_allows_only_the_errors_the_mutant_declares() -> None:
    """The one rule (tests/test_detection.py and the benchmark alike): any ERROR other than an ArrangementError
    spoils a catch, on the mutant's own clauses too; a transport mutant's every ERROR must name its cause."""
    table = catalogue()
    mutant, owner = table["no-e081402"], "MP081-DUIS-3.8.106.3"
    assert table["8.14.2-future-accepted"].declared_errors == ("ArrangementError",)
    spoilt = caught(mutant, _run([("FAIL", [owner], ""), ("ERROR", [owner], "EndpointTimeoutError: no answer")]))
    assert not spoilt.ok
    assert "EndpointTimeoutError" in spoilt.detail
    arranged = _run([("FAIL", [owner], ""), ("ERROR", [owner], "ArrangementError: the CHF is not Pending")])
    assert caught(mutant, arranged).ok
    transport = table["answers-signed-by-the-supplier"]
    assert transport.declared_errors == ("ResponseSignatureError",)
    named = ("ERROR", ["X"], "ResponseSignatureError: not the DSP")
    assert caught(transport, _run([named, named])).ok
    assert not caught(transport, _run([named, ("ERROR", ["Y"], "CorrelationError")])).ok
    assert not caught(mutant, []).ok and not judge(None, []).ok  # the suite did not run


def test_the_benchmark_reads_a_run_through_the_one_rule(mutants: ModuleType) -> None:
    mutant = catalogue()["no-e081402"]
    assert mutants.judge(mutant, {"scenarios": _run([("FAIL", ["MP081-DUIS-3.8.106.3"], "")])})[0]
    assert mutants.judge(mutant, {"error": "no verdicts.json"}) == (False, "no verdicts.json")


@pytest.mark.slow
def test_a_mutant_run_in_process_is_caught_by_its_clause(mutants: ModuleType, tmp_path: Path) -> None:
    mutant = catalogue()["mp178-not-implemented"]
    ok, detail = mutants.judge(mutant, mutants.run_one(mutant, "in-process", tmp_path))
    assert ok, detail
    assert "MP178-UNJOIN" in detail


@pytest.mark.slow
def test_a_black_box_mutant_over_http_is_caught_and_a_green_one_stays_green(
    mutants: ModuleType, tmp_path: Path
) -> None:
    """The real HTTP proxy in front of an unmodified pytest-dcc serve: a Pending CHF left Pending is caught by
    3.8.114.4 alone; the other unpublished codes of the same sets stay green."""
    table = catalogue()
    mutant = table["8.14.2-pending-chf-left-pending"]
    ok, detail = mutants.judge(mutant, mutants.run_one(mutant, "http", tmp_path))
    assert ok, detail
    assert "MP081-DUIS-3.8.114.4" in detail
    green = table["green-other-codes-of-the-set"]
    clean, detail = mutants.judge(green, mutants.run_one(green, "in-process", tmp_path))
    assert clean, detail


def test_the_strangers_are_registered() -> None:
    """The strangers' endpoints (designed from the registry alone) are in the benchmark, wrong ones owning registry
    clauses and correct-but-different ones owning none."""
    from pytest_dcc.spec.clauses import CLAUSES
    from qa.mutants.strangers import strangers

    table = catalogue()
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

"""The mutation benchmark's own machinery (benchmarks/mutants.py): a mutant is caught only by its own clause, the
judge refuses a catch that spills onto other clauses, and one real mutant run in process is caught."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "mutants.py"


@pytest.fixture(scope="module")
def mutants() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dcc_mutants_under_test", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _run(verdicts: list[tuple[str, list[str], str]]) -> dict[str, object]:
    return {"scenarios": [{"verdict": v, "clauses": c, "message": m, "name": "s"} for v, c, m in verdicts]}


def test_every_registry_clause_and_release_flag_has_a_mutant(mutants: ModuleType) -> None:
    from pytest_dcc.reference.releases import FLAG_CLAUSES
    from pytest_dcc.spec.clauses import CLAUSES

    table = mutants._mutants()
    owned = {c for m in table.values() for c in m.owners}
    assert set(CLAUSES) <= owned
    flipped = {name.removesuffix("-before-its-release") for name in table if name.endswith("-before-its-release")}
    # space_means_unknown changes no wire value; track_org_certificates_locally has nothing to track before MP081
    # (6.15.1 is off the 8.13 list then): neither can be observed over DUIS.
    # unjoin_requires_smi_join is flipped both ways by the two E080801 mutants.
    assert {"e080801-kept-after-2024-06", "e080801-dropped-before-2024-06"} <= set(table)
    unobservable = {"space_means_unknown", "track_org_certificates_locally"}
    assert set(FLAG_CLAUSES) - flipped - {"unjoin_requires_smi_join"} == unobservable


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


@pytest.mark.slow
def test_a_mutant_run_in_process_is_caught_by_its_clause(mutants: ModuleType, tmp_path: Path) -> None:
    mutant = mutants._mutants()["e080801-kept-after-2024-06"]
    caught, detail = mutants.judge(mutant, mutants.run_one(mutant, "in-process", tmp_path))
    assert caught, detail
    assert "MP178-UNJOIN" in detail

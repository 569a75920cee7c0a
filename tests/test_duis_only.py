"""The DUIS-only target of issue 15, measured: the bundled suite against ``pytest-dcc serve`` without test control,
on an estate built here (``benchmarks/duis_only.py``: EUIs and users of its own, not a fixture file), claiming
2021-06 and 2024-06. At least 9 of the 13 clauses are assessed over DUIS alone, and nothing FAILs or ERRORs
against the correct reference."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import load_benchmark

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def duis_only() -> ModuleType:
    return load_benchmark("duis_only")


def test_an_unseen_estate_is_judged_over_duis_alone(duis_only: ModuleType, tmp_path: Path) -> None:
    from tests.reference_harness import FIXTURES

    assert set(duis_only.DEVICES.values()).isdisjoint((FIXTURES / "inventory" / "premises.yaml").read_text())
    documents = duis_only.run(tmp_path)
    result = duis_only.summary(documents)
    assert not result["bad"], result["bad"]
    # A Pending hub over DUIS alone: a spare CHF and GPF of the statement, pre-notified, consumed and reported.
    pending = [
        s
        for s in documents["2021-06"]["scenarios"]
        if "Pending-Pending-accepted with W081401" in s["id"] and s["verdict"] == "PASS"
    ]
    assert pending and "spare CHF" in pending[0]["message"], pending
    assert len(result["over_duis"]) >= duis_only.TARGET, result["how"]
    for clause in ("MP081-CHISM-E3-T3", "MP081-CHISM-E3-SPACE", "MP081-DUIS-3.8.1.2", "MP081-DUIS-3.8.77.3",
                   "MP081-DUIS-3.8.106.3", "MP081-DUIS-3.8.114.4", "DP178-E080801", "DP178-SMI-JOIN",
                   "MP178-UNJOIN"):  # fmt: skip
        assert clause in result["over_duis"], (clause, result["how"][clause])
    # What is not assessed names the one capability it lacks.
    for clause in ("MP081-DUIS-3.8.77.4", "DP178-REJOIN"):
        assert all("needs capability" in text for text in result["how"][clause].values()), result["how"][clause]


def test_no_reset_needed_and_the_order_changes_no_verdict(duis_only: ModuleType, tmp_path: Path) -> None:
    """A real endpoint cannot be reset: the same endpoint, never reset, judged three times in a row, in the declared
    order and in two shuffled ones (``--dcc-shuffle``), gives every scenario the same verdict each time."""
    from pytest_dcc.stress.serve import ServeProcess
    from pytest_dcc.transport.receiver import free_port

    folder = tmp_path / "2021-06"
    duis_only.prepare(folder, "2021-06", spares=False)  # spares are consumed by a run: none to compare
    receiver = free_port()
    runs = []
    with ServeProcess(duis_only.serve_args(folder, "2021-06", receiver), folder / "serve.log") as server:
        for n, extra in enumerate(((), ("--dcc-shuffle=7",), ("--dcc-shuffle=1234",))):
            document = duis_only.suite(folder, server.url, receiver, folder / f"reports-{n}", *extra)
            runs.append({s["id"]: s["verdict"] for s in document["scenarios"]})
    assert runs[0] and set(runs[0].values()) <= {"PASS", "NOT_APPLICABLE"}
    assert runs[1] == runs[0] and runs[2] == runs[0]

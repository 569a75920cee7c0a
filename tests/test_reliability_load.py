"""The reference DCC under concurrent load, killed mid-load and restarted, and the consistency check itself.

Real parts: `pytest-dcc serve` in its own process on loopback with an SQLite file, client processes of their own,
a real receiver for the asynchronous responses. Counts are bounded so the whole file takes seconds.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from qa.load import RunResult, check_consistency, read_logs, run_load

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def steady(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Path]:
    workdir = tmp_path_factory.mktemp("load")
    return run_load(workdir, clients=4, meters=3, operations=60), workdir


@pytest.mark.slow
def test_concurrent_clients_lose_and_duplicate_nothing(steady: tuple[RunResult, Path]) -> None:
    result, workdir = steady
    report = result.report
    assert result.exit_codes == [0, 0, 0, 0], [p.read_text() for p in workdir.glob("*.stderr")]
    assert report.clients == 4 and report.requests >= 240
    assert report.answered == report.requests == report.journal  # every request answered and applied once
    assert report.unexpected == []  # no "database is locked" turned into a wrong code or an HTTP 500
    assert report.consistent, report.problems
    responses = report.responses
    assert responses["expected"] > 0
    assert responses["delivered"] == responses["expected"] and responses["delivered twice"] == 0
    assert "Traceback" not in (workdir / "serve.log").read_text()


@pytest.mark.slow
def test_sigkill_mid_load_then_restart_on_the_same_db(tmp_path: Path) -> None:
    result = run_load(tmp_path, clients=3, meters=2, operations=200, kill_after=60)
    report = result.report
    assert result.journal_at_kill is not None and result.journal_at_kill >= 60
    assert report.unanswered > 0, "the kill came after the load finished; nothing was in flight"
    assert report.journal < report.requests  # the clients gave up once the server was gone
    assert result.restarted_healthy is True
    assert report.consistent, report.problems  # nothing half-applied, nothing acknowledged and lost
    assert report.unexpected == []
    # Device responses outlive the crash: delivered before it, or kept in the outbox and delivered after restart.
    assert report.responses["delivered"] + report.responses["in outbox"] == report.responses["expected"]
    log = (tmp_path / "serve.log").read_text()
    assert "already holds an inventory; --inventory" in log  # the restart kept the database, not the file


# -- the check catches what it claims to catch -----------------------------------------------------------------


def _corrupt(steady: tuple[RunResult, Path], tmp_path: Path, sql: str, *params: object) -> Path:
    _, workdir = steady
    copy = tmp_path / "smi.sqlite"
    source = sqlite3.connect(workdir / "smi.sqlite")
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.execute(sql, params)
    target.commit()
    target.close()
    return copy


def _delivered(workdir: Path) -> Counter[str]:
    """What the steady run's receiver got: every remote request answered I99 (all were delivered once)."""
    db = sqlite3.connect(workdir / "smi.sqlite")
    rows = db.execute("SELECT request_id FROM journal WHERE cv = 1 AND code = 'I99'").fetchall()
    db.close()
    return Counter(r[0] for r in rows)


@pytest.mark.parametrize(
    ("sql", "finding"),
    [
        ("DELETE FROM journal WHERE seq = (SELECT MAX(seq) FROM journal)", "but not in the journal"),
        ("DELETE FROM smi_joins WHERE rowid = (SELECT MIN(rowid) FROM smi_joins)", "SMI join"),
        ("DELETE FROM sim_joins WHERE rowid = (SELECT MIN(rowid) FROM sim_joins)", "device join"),
        ("UPDATE devices SET status = 'Pending' WHERE eui LIKE '00-DB-21%'", "after 8.14.2"),
        (
            "UPDATE journal SET code = 'W081401' WHERE seq = (SELECT MAX(seq) FROM journal WHERE srv = '8.14.2' "
            "AND code = 'I99')",
            "transitions, not 1",
        ),
        ("UPDATE counters SET last = last - 1", "counter of"),
        ("INSERT INTO journal (request_id, cv, srv, code, at) VALUES ('X:Y:1', 1, '8.2', 'I0', '')", "never sent"),
    ],
)
def test_the_consistency_check_finds_each_kind_of_damage(
    steady: tuple[RunResult, Path], tmp_path: Path, sql: str, finding: str
) -> None:
    _, workdir = steady
    clean = check_consistency(workdir / "smi.sqlite", read_logs(workdir), _delivered(workdir))
    assert clean.consistent, clean.problems
    damaged = check_consistency(_corrupt(steady, tmp_path, sql), read_logs(workdir), _delivered(workdir))
    assert not damaged.consistent
    assert any(finding in p for p in damaged.problems), damaged.problems


def test_an_undelivered_response_missing_from_the_outbox_is_found(steady: tuple[RunResult, Path]) -> None:
    _, workdir = steady
    delivered = _delivered(workdir)
    dropped = next(iter(delivered))
    del delivered[dropped]
    report = check_consistency(workdir / "smi.sqlite", read_logs(workdir), delivered)
    assert report.undelivered == [f"{dropped}: device response neither delivered nor in the outbox"]


def test_a_wrong_answer_under_load_is_reported(steady: tuple[RunResult, Path], tmp_path: Path) -> None:
    _, workdir = steady
    for path in workdir.glob("client-*.jsonl"):
        shutil.copy(path, tmp_path / path.name)
    first = tmp_path / "client-0.jsonl"
    lines = first.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if '"event": "answer"' in line)
    lines[index] = lines[index].replace('"status": 200', '"status": 500')
    first.write_text("\n".join(lines) + "\n")
    report = check_consistency(workdir / "smi.sqlite", read_logs(tmp_path))
    assert any("HTTP 500" in u for u in report.unexpected)

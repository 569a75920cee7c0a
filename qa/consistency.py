"""The consistency check of a served inventory after concurrent load (see :mod:`qa.load`):
what the journal, the store and the clients' logs must agree on."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_dcc.duis.ids import RequestID
from pytest_dcc.reference.inventory import Inventory

EXPECTED: dict[str, frozenset[str]] = {
    "join": frozenset({"I99"}),
    "unjoin": frozenset({"I99"}),
    "local-join": frozenset({"I0"}),
    "return": frozenset({"I99"}),
    "install": frozenset({"W081401", "I99"}),
}


@dataclass
class LoadReport:
    """What the logs and the database say after a load."""

    requests: int = 0
    answered: int = 0
    unanswered: int = 0
    clients: int = 0
    journal: int = 0
    unexpected: list[str] = field(default_factory=list)  # wrong codes, HTTP errors
    lost: list[str] = field(default_factory=list)  # acknowledged but not in the journal
    phantom: list[str] = field(default_factory=list)  # in the journal, never sent
    duplicated: list[str] = field(default_factory=list)
    inconsistent: list[str] = field(default_factory=list)  # state that no history explains
    integrity: str = ""
    #: asynchronous responses: expected (accepted remote requests), delivered, still in the outbox, delivered twice
    responses: dict[str, int] = field(default_factory=dict)
    undelivered: list[str] = field(default_factory=list)  # neither delivered nor kept in the outbox

    @property
    def consistent(self) -> bool:
        return self.integrity == "ok" and not (
            self.lost or self.phantom or self.duplicated or self.inconsistent or self.undelivered
        )

    @property
    def problems(self) -> list[str]:
        return [*self.unexpected, *self.lost, *self.phantom, *self.duplicated, *self.inconsistent, *self.undelivered]

    def summary(self) -> str:
        return (
            f"{self.clients} clients, {self.requests} requests ({self.answered} answered, {self.unanswered} "
            f"unanswered), {self.journal} applied; unexpected answers {len(self.unexpected)}, lost updates "
            f"{len(self.lost)}, phantom {len(self.phantom)}, duplicated {len(self.duplicated)}, inconsistent "
            f"{len(self.inconsistent)}, integrity {self.integrity}"
            + (f"; asynchronous responses {self.responses}" if self.responses else "")
        )


def read_logs(log_dir: Path) -> list[list[dict[str, Any]]]:
    """Each client's log, in order (a line cut short by a kill is ignored)."""
    logs = []
    for path in sorted(log_dir.glob("client-*.jsonl")):
        entries = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        logs.append(entries)
    return logs


def check_consistency(
    db_path: Path, logs: list[list[dict[str, Any]]], delivered: Counter[str] | None = None
) -> LoadReport:
    """Prove the inventory in ``db_path`` is what the clients' logs and the journal explain (module docstring).

    :param delivered: RequestID -> asynchronous responses the user's receiver accepted; when given, every accepted
        remote request must have had its device response delivered or still hold it in the outbox.
    """
    store = Inventory.open_read_only(db_path)
    try:
        report = LoadReport(clients=len(logs), integrity=store.integrity())
        journal = store.journal_entries()
        smi, sim = store.all_joins(smi=True), store.all_joins(smi=False)
        statuses = store.statuses()
        counters = store.counters()
        outbox = Counter(str(row["request_id"]) for row in store.outbox())
    finally:
        store.close()
    report.journal = len(journal)
    sent, answers = _sent_and_answered(logs)
    report.requests, report.answered = len(sent), len(answers)
    report.unanswered = report.requests - report.answered
    applied = _check_answers(report, journal, sent, answers)
    if delivered is not None:
        _check_deliveries(report, journal, delivered, outbox)
    _check_joins(report, logs, journal, sent, answers, smi, sim)
    _check_installs(report, journal, sent, statuses)
    _check_counters(report, applied, counters)
    return report


def _sent_and_answered(logs: list[list[dict[str, Any]]]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """RequestID -> its "sent" entry, and RequestID -> its "answer" entry, across every client's log."""
    sent: dict[str, dict[str, Any]] = {}
    answers: dict[str, dict[str, Any]] = {}
    for entries in logs:
        for e in entries:
            if e["event"] == "sent":
                sent[e["request_id"]] = e
            elif e["event"] == "answer":
                answers[e["request_id"]] = e
    return sent, answers


def _check_answers(
    report: LoadReport, journal: list[dict[str, Any]], sent: dict[str, dict[str, Any]], answers: dict[str, Any]
) -> Counter[str]:
    """Every answer one its operation expects; each journal row applied once, of a request sent; every accepted
    request in the journal. Returns how often the journal applied each RequestID."""
    for rid, answer in answers.items():
        op = sent[rid]["op"]
        if answer["status"] != 200 or answer["code"] not in EXPECTED[op]:
            report.unexpected.append(f"{op} {rid}: HTTP {answer['status']} {answer['code']}")
    applied = Counter(str(row["request_id"]) for row in journal)
    report.duplicated = [f"{rid} applied {n} times" for rid, n in applied.items() if n > 1]
    report.phantom = [f"{rid} applied but never sent" for rid in applied if rid not in sent]
    for rid, answer in answers.items():
        accepted = answer["status"] == 200 and str(answer["code"] or "E").startswith(("I", "W"))
        if accepted and rid not in applied:
            report.lost.append(f"{sent[rid]['op']} {rid} acknowledged {answer['code']} but not in the journal")
    return applied


def _check_deliveries(
    report: LoadReport, journal: list[dict[str, Any]], delivered: Counter[str], outbox: Counter[str]
) -> None:
    """Every accepted remote request's device response delivered (once) or still in the outbox."""
    remote = [row["request_id"] for row in journal if row["cv"] == 1 and row["code"] == "I99"]
    report.responses = {
        "expected": len(remote),
        "delivered": sum(min(delivered[r], 1) for r in remote),
        "in outbox": sum(min(outbox[r], 1) for r in remote if not delivered[r]),
        "delivered twice": sum(1 for r in remote if delivered[r] > 1),
    }
    report.undelivered = [
        f"{r}: device response neither delivered nor in the outbox"
        for r in remote
        if not delivered[r] and not outbox[r]
    ]


def _check_counters(report: LoadReport, applied: Counter[str], counters: dict[str, int]) -> None:
    """Each user's stored counter is the highest its journal rows carry."""
    highest: dict[str, int] = {}
    for rid in applied:
        try:
            parsed = RequestID.parse(rid)
        except ValueError:
            report.inconsistent.append(f"journal holds a malformed RequestID {rid!r}")
            continue
        highest[parsed.originator] = max(highest.get(parsed.originator, 0), parsed.counter)
    for user, counter in sorted(highest.items()):
        if counters.get(user) != counter:
            report.inconsistent.append(f"counter of {user} is {counters.get(user)}, the journal's highest {counter}")


def _check_joins(
    report: LoadReport,
    logs: list[list[dict[str, Any]]],
    journal: list[dict[str, Any]],
    sent: dict[str, dict[str, Any]],
    answers: dict[str, dict[str, Any]],
    smi: set[tuple[str, str]],
    sim: set[tuple[str, str]],
) -> None:
    effect = {"join": True, "unjoin": False, "return": True}
    # The SMI: the journal, replayed in the order the DCC applied it.
    expected_smi: dict[tuple[str, str], bool] = {}
    for row in journal:
        entry = sent.get(row["request_id"])
        if entry is not None and entry["op"] in effect and row["code"] == "I99":
            expected_smi[(entry["pair"][0], entry["pair"][1])] = effect[entry["op"]]
    # The device: each pair belongs to one client, whose log is in order; an unanswered request is known from the
    # journal (it applied or not), an execution whose answer never came is unknown.
    in_journal = {row["request_id"] for row in journal}
    expected_sim: dict[tuple[str, str], bool | None] = {}
    for entries in logs:
        for e in entries:
            pair = (e["pair"][0], e["pair"][1]) if len(e.get("pair") or ()) == 2 else ("", "")
            if e["event"] == "sent" and e["op"] in ("join", "unjoin") and e["request_id"] in in_journal:
                expected_sim[pair] = e["op"] == "join"
            elif e["event"] == "executed":
                expected_sim[pair] = True
            elif e["event"] == "execute-unanswered":
                last = sent[e["request_id"]]["pair"]
                expected_sim[(last[0], last[1])] = None
    pairs = set(expected_smi) | set(expected_sim) | smi | sim
    for pair in sorted(pairs):
        want = expected_smi.get(pair, False)
        if (pair in smi) != want:
            report.inconsistent.append(
                f"SMI join {pair}: {'present' if pair in smi else 'absent'}, journal says {want}"
            )
        device = expected_sim.get(pair, False)
        if device is not None and (pair in sim) != device:
            report.inconsistent.append(
                f"device join {pair}: {'present' if pair in sim else 'absent'}, the client's history says {device}"
            )


def _check_installs(
    report: LoadReport, journal: list[dict[str, Any]], sent: dict[str, dict[str, Any]], statuses: dict[str, str | None]
) -> None:
    moves: Counter[str] = Counter()
    touched: set[str] = set()
    for row in journal:
        entry = sent.get(row["request_id"])
        if entry is None or entry["op"] != "install":
            continue
        chf = entry["pair"][0]
        touched.add(chf)
        moves[chf] += row["code"] == "W081401"
    for chf in sorted(touched):
        gpf = "00-DB-22" + chf[8:]
        if moves[chf] != 1:
            report.inconsistent.append(f"{chf}: {moves[chf]} Pending->InstalledNotCommissioned transitions, not 1")
        if statuses.get(chf) != "InstalledNotCommissioned" or statuses.get(gpf) != "InstalledNotCommissioned":
            report.inconsistent.append(f"{chf}/{gpf} are {statuses.get(chf)}/{statuses.get(gpf)} after 8.14.2")
    for chf, status in statuses.items():
        if chf.startswith("00-DB-21") and chf not in touched and status != "Pending":
            report.inconsistent.append(f"{chf} is {status} though no 8.14.2 for it was applied")


__all__ = ["EXPECTED", "LoadReport", "check_consistency", "read_logs"]

"""Concurrent load on ``pytest-dcc serve`` and the consistency check of its inventory afterwards.

Each client is its own process and its own Import Supplier (distinct users, so their originator counters never
collide). They share the estate's meters: every client joins and unjoins its own CAD to every shared ESME
(remote 8.7.2/8.8.2, and local 8.7.2 + the hand-held terminal + 8.13), and sends 8.14.2 for the shared Pending
CHFs. Each client logs every request it sends, before sending, and its answer after, to a JSONL file.

:func:`check_consistency` then reads the database file and the logs and proves, from the DCC's journal (one row
per accepted Service Request, written in the same transaction as its effects):

* every request a client saw accepted is in the journal (nothing acknowledged was lost) and the journal holds
  nothing no client sent (no phantom) and nothing twice;
* each (ESME, CAD) pair ends as its own history says: replaying the journal gives the SMI join table, and the
  client's acknowledged history gives the device's join table (a request whose answer never came may have applied
  or not, but wholly or not at all);
* each shared CHF (and its GPF) moved from Pending to InstalledNotCommissioned exactly once (one W081401 in the
  journal, I99 for the rest): no lost or duplicated transition;
* each user's last accepted counter is the highest counter the journal holds for it;
* ``PRAGMA integrity_check`` is ``ok``, and every answer was a code the operation allows (no "database is
  locked" turning into a wrong DUIS code or an HTTP 500).
"""

from __future__ import annotations

import base64
import json
import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from lxml import etree

from pytest_dcc.duis.bodies import InstallDetails
from pytest_dcc.duis.build import RequestBuilder
from pytest_dcc.duis.ids import CounterStore, RequestID
from pytest_dcc.duis.pki import read_pki
from pytest_dcc.duis.signing import sign
from pytest_dcc.duis.xmlsafe import parse
from pytest_dcc.reference.inventory import Inventory
from pytest_dcc.spec import NS_SR

_SR = f"{{{NS_SR}}}"

#: What each operation may be answered with (anything else is an error of the DCC under load).
EXPECTED: dict[str, frozenset[str]] = {
    "join": frozenset({"I99"}),
    "unjoin": frozenset({"I99"}),
    "local-join": frozenset({"I0"}),
    "return": frozenset({"I99"}),
    "install": frozenset({"W081401", "I99"}),
}
OPERATIONS = ("join", "unjoin", "local-join", "install")


def user_eui(k: int) -> str:
    return f"90-B3-D5-1F-31-00-{k // 256:02X}-{k % 256:02X}"


def meter_eui(j: int) -> str:
    return f"00-DB-20-00-00-00-{j // 256:02X}-{j % 256:02X}"


def chf_eui(j: int) -> str:
    return f"00-DB-21-00-00-00-{j // 256:02X}-{j % 256:02X}"


def gpf_eui(j: int) -> str:
    return f"00-DB-22-00-00-00-{j // 256:02X}-{j % 256:02X}"


def cad_eui(k: int, j: int) -> str:
    return f"00-DB-23-00-{k // 256:02X}-{k % 256:02X}-{j // 256:02X}-{j % 256:02X}"


def load_estate(clients: int, meters: int) -> dict[str, Any]:
    """An inventory document: ``clients`` Import Supplier users, ``meters`` shared ESMEs without a registered
    supplier, each with a Pending CHF and GPF, and a CAD per client per meter."""
    devices: list[dict[str, Any]] = []
    for j in range(meters):
        devices += [
            {"eui": chf_eui(j), "type": "CHF", "status": "Pending", "gpf": gpf_eui(j)},
            {"eui": gpf_eui(j), "type": "GPF", "status": "Pending", "chf": chf_eui(j)},
            {"eui": meter_eui(j), "type": "ESME", "status": "Commissioned", "chf": chf_eui(j), "mpxn": f"{j:013d}"},
        ]
        devices += [{"eui": cad_eui(k, j), "type": "CAD", "status": "Whitelisted"} for k in range(clients)]
    users = [{"eui": user_eui(k), "role": "IS"} for k in range(clients)]
    return {"version": 1, "users": users, "devices": devices}


@dataclass(frozen=True, slots=True)
class ClientPlan:
    """What one client process does."""

    index: int
    url: str
    pki_dir: str
    log_path: str
    meters: int
    operations: int
    seed: int = 0
    timeout_s: float = 30.0
    give_up_after: int = 3  # consecutive transport failures (the server is gone)


def _code(body: bytes) -> str | None:
    try:
        return parse(body, what="answer").getroot().findtext(f"{_SR}Header/{_SR}ResponseCode")
    except Exception:
        return None


def run_client(plan: ClientPlan) -> None:
    """One client: ``operations`` operations on the shared meters, logged to ``plan.log_path`` (JSONL)."""
    rng = random.Random(plan.seed * 1000 + plan.index)
    user = user_eui(plan.index)
    identity = read_pki(Path(plan.pki_dir)).identity(user)
    builder = RequestBuilder(user, CounterStore())
    failures = 0
    with open(plan.log_path, "a", encoding="utf-8") as log, httpx.Client(timeout=plan.timeout_s) as http:

        def record(entry: dict[str, Any]) -> None:
            log.write(json.dumps(entry) + "\n")
            log.flush()

        def send(op: str, pair: list[str], srv: str, cv: int | None, **values: Any) -> tuple[str, str | None]:
            nonlocal failures
            request = builder.request(srv, cv=cv, **values)
            sign(request.root, identity)
            rid = str(request.request_id)
            record({"event": "sent", "op": op, "pair": pair, "request_id": rid, "cv": request.cv})
            try:
                reply = http.post(
                    plan.url + request.path,
                    content=etree.tostring(request.root, xml_declaration=True, encoding="UTF-8"),
                    headers={"content-type": "application/xml"},
                )
            except httpx.HTTPError as exc:
                failures += 1
                record({"event": "unanswered", "request_id": rid, "error": f"{type(exc).__name__}: {exc}"})
                return rid, None
            failures = 0
            code = _code(reply.content) if reply.status_code == 200 else None
            record({"event": "answer", "request_id": rid, "status": reply.status_code, "code": code})
            return rid, code

        for _ in range(plan.operations):
            if failures >= plan.give_up_after:
                break
            op = rng.choice(OPERATIONS)
            j = rng.randrange(plan.meters)
            pair = [meter_eui(j), cad_eui(plan.index, j)]
            if op in ("join", "unjoin"):
                send(op, pair, "8.7.2" if op == "join" else "8.8.2", 1, target=pair[0], other_device_id=pair[1])
            elif op == "install":
                details = InstallDetails(device_id=chf_eui(j), mpxn=f"{j:013d}")
                send(op, [chf_eui(j)], "8.14.2", None, details=details)
            else:
                last, code = send(op, pair, "8.7.2", 2, target=pair[0], other_device_id=pair[1])
                if code != "I0":
                    continue
                try:
                    executed = http.post(f"{plan.url}/test-control/local-commands/{last}/execute")
                except httpx.HTTPError as exc:
                    failures += 1
                    record({"event": "execute-unanswered", "request_id": last, "error": str(exc)})
                    continue
                if executed.status_code != 200:
                    record({"event": "execute-failed", "request_id": last, "status": executed.status_code})
                    continue
                record({"event": "executed", "pair": pair, "request_id": last})
                response = base64.b64decode(executed.json()["gbcs_response"])
                send(
                    "return",
                    pair,
                    "8.13",
                    None,
                    original_request_id=RequestID.parse(last),
                    device_gbcs_response=response,
                )


def start_clients(plans: Iterable[ClientPlan]) -> list[subprocess.Popen[bytes]]:
    """Start one process per plan (``python -m pytest_dcc.stress.load PLAN-JSON``); stderr goes beside its log."""
    processes = []
    for plan in plans:
        with open(plan.log_path + ".stderr", "ab") as err:
            command = [sys.executable, "-m", "pytest_dcc.stress.load", json.dumps(asdict(plan))]
            processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err))
    return processes


def wait_clients(processes: list[subprocess.Popen[bytes]], timeout_s: float = 300.0) -> list[int]:
    """Wait for the client processes; their exit codes (a client still running at the deadline is killed: -9)."""
    deadline = time.monotonic() + timeout_s
    codes = []
    for process in processes:
        try:
            codes.append(process.wait(timeout=max(0.1, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            codes.append(-9)
    return codes


# -- the check ----------------------------------------------------------------------------------------------------


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
    sent: dict[str, dict[str, Any]] = {}
    answers: dict[str, dict[str, Any]] = {}
    for entries in logs:
        for e in entries:
            if e["event"] == "sent":
                sent[e["request_id"]] = e
            elif e["event"] == "answer":
                answers[e["request_id"]] = e
    report.requests, report.answered = len(sent), len(answers)
    report.unanswered = report.requests - report.answered
    for rid, answer in answers.items():
        op = sent[rid]["op"]
        if answer["status"] != 200 or answer["code"] not in EXPECTED[op]:
            report.unexpected.append(f"{op} {rid}: HTTP {answer['status']} {answer['code']}")
    applied = Counter(row["request_id"] for row in journal)
    report.duplicated = [f"{rid} applied {n} times" for rid, n in applied.items() if n > 1]
    report.phantom = [f"{rid} applied but never sent" for rid in applied if rid not in sent]
    for rid, answer in answers.items():
        accepted = answer["status"] == 200 and str(answer["code"] or "E").startswith(("I", "W"))
        if accepted and rid not in applied:
            report.lost.append(f"{sent[rid]['op']} {rid} acknowledged {answer['code']} but not in the journal")
    if delivered is not None:
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
    _check_joins(report, logs, journal, sent, answers, smi, sim)
    _check_installs(report, journal, sent, statuses)
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
    return report


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


__all__ = [
    "EXPECTED",
    "ClientPlan",
    "LoadReport",
    "check_consistency",
    "load_estate",
    "RunResult",
    "read_logs",
    "run_load",
    "run_client",
    "start_clients",
    "wait_clients",
]


# -- whole runs ---------------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """One load run: the consistency report, the client exit codes, seconds taken, and (crash runs) whether the
    restarted server was healthy and what the journal held when the server was killed."""

    report: LoadReport
    exit_codes: list[int]
    seconds: float
    restarted_healthy: bool | None = None
    journal_at_kill: int | None = None

    @property
    def requests_per_s(self) -> float:
        return self.report.answered / self.seconds if self.seconds else 0.0


def _journal_size(db_path: Path) -> int:
    try:
        store = Inventory.open_read_only(db_path, timeout=1)
        try:
            return store.journal_count()
        finally:
            store.close()
    except sqlite3.Error:
        return 0


def run_load(
    workdir: Path,
    *,
    clients: int,
    meters: int,
    operations: int,
    kill_after: int | None = None,
    serve_args: Iterable[str] = (),
    seed: int = 0,
    receiver: bool = True,
) -> RunResult:
    """Serve a fresh load estate from ``workdir/smi.sqlite`` and run ``clients`` client processes against it.

    With ``kill_after`` the server is killed with SIGKILL once its journal holds that many requests, the clients
    give up, and the server is started again on the same database (same command line) before the check. With
    ``receiver`` the server posts device responses to a receiver here, and the check accounts for each.
    """
    from pytest_dcc.duis.pki import load_or_create_pki
    from pytest_dcc.duis.schema import load_schema
    from pytest_dcc.stress.serve import ServeProcess
    from pytest_dcc.transport.judge import ResponseJudge
    from pytest_dcc.transport.receiver import ResponseReceiver

    workdir.mkdir(parents=True, exist_ok=True)
    estate_data = load_estate(clients, meters)
    estate = workdir / "estate.json"
    estate.write_text(json.dumps(estate_data), encoding="utf-8")
    db = workdir / "smi.sqlite"
    pki = load_or_create_pki(workdir / "pki", [u["eui"] for u in estate_data["users"]])
    args = ["--pki", str(workdir / "pki"), "--db", str(db), "--inventory", str(estate), "--test-control"]
    inbox = None
    if receiver:
        listener = ResponseReceiver(ResponseJudge(load_schema(None), pki.trust()))
        listener.start()
        inbox = listener.inbox
        args += ["--response-url", listener.response_url, "--delivery-backoff", "0.05"]
    args += [*serve_args, "--log-level", "warning"]
    server = ServeProcess(args, workdir / "serve.log").start()
    try:
        plans = [
            ClientPlan(
                k, server.url, str(workdir / "pki"), str(workdir / f"client-{k}.jsonl"), meters, operations, seed
            )
            for k in range(clients)
        ]
        started = time.monotonic()
        processes = start_clients(plans)
        at_kill = None
        if kill_after is not None:
            while _journal_size(db) < kill_after and any(p.poll() is None for p in processes):
                time.sleep(0.02)
            server.kill()
            at_kill = _journal_size(db)
        codes = wait_clients(processes)
        seconds = time.monotonic() - started
        healthy = None
        if kill_after is not None:
            server.restart()
            healthy = server.alive()
        if inbox is not None:
            _wait_for_outbox(server, 30.0)
    finally:
        server.stop()
        if receiver:
            listener.stop()
    delivered = Counter(str(j.response.request_id) for j in inbox.accepted) if inbox is not None else None
    return RunResult(check_consistency(db, read_logs(workdir), delivered), codes, seconds, healthy, at_kill)


def _wait_for_outbox(server: Any, timeout_s: float) -> None:
    """Give the server's deliveries time to finish (what is left stays in the outbox and is counted so)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        outbox = server.health().get("outbox", {})
        if not outbox.get("pending"):
            return
        time.sleep(0.1)


if __name__ == "__main__":
    run_client(ClientPlan(**json.loads(sys.argv[1])))

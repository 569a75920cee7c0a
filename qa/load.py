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
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO, Any

import httpx

from pytest_dcc.duis.build import RequestBuilder
from pytest_dcc.duis.control_token import authorization, read_token
from pytest_dcc.duis.ids import CounterStore, RequestID
from pytest_dcc.duis.nondevice_bodies import InstallDetails
from pytest_dcc.duis.pki import read_pki
from pytest_dcc.duis.schema import load_schema
from pytest_dcc.errors import EndpointTimeoutError, EndpointUnreachableError, HttpStatusError, TransportError
from pytest_dcc.reference.inventory import Inventory
from pytest_dcc.spec import NS_SR
from pytest_dcc.transport.admission import ResponseJudge
from pytest_dcc.transport.client import DuisClient
from pytest_dcc.transport.http import HttpTransport
from qa.consistency import LoadReport, check_consistency, read_logs

_SR = f"{{{NS_SR}}}"

#: What each operation may be answered with (anything else is an error of the DCC under load).
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
    state_dir: str | None = None  # the server's state folder, where its test-control token is (never on argv)

    def with_state(self, state_dir: Path) -> ClientPlan:
        """This plan with the server's state folder."""
        return replace(self, state_dir=str(state_dir))


def run_client(plan: ClientPlan) -> None:
    """One client: ``operations`` operations on the shared meters, logged to ``plan.log_path`` (JSONL). Every
    answer goes through the suite's own eyes (hardened parse, schema, the DCC's signature, correlation)."""
    rng = random.Random(plan.seed * 1000 + plan.index)
    user = user_eui(plan.index)
    pki = read_pki(Path(plan.pki_dir))
    judge = ResponseJudge(load_schema(None), pki.dsp_trust())
    with (
        open(plan.log_path, "a", encoding="utf-8") as log,
        HttpTransport(plan.url, judge, timeout_s=plan.timeout_s) as transport,
        httpx.Client(timeout=plan.timeout_s, headers=_control_headers(plan)) as http,
    ):
        client = _LoggingClient(
            DuisClient.of_user(RequestBuilder(user, CounterStore()), transport, pki.identity(user)), log
        )
        for _ in range(plan.operations):
            if client.failures >= plan.give_up_after:
                break
            _operation(plan, rng, client, http)


class _LoggingClient:
    """Sends a request and logs what was sent and how it was answered (its code once judged)."""

    def __init__(self, client: DuisClient, log: IO[str]) -> None:
        self.client, self.log, self.failures = client, log, 0

    def record(self, entry: dict[str, Any]) -> None:
        self.log.write(json.dumps(entry) + "\n")
        self.log.flush()

    def send(self, op: str, pair: list[str], srv: str, cv: int | None, **values: Any) -> tuple[str, str | None]:
        request = self.client.builder.request(srv, cv=cv, **values)
        rid = str(request.request_id)
        self.record({"event": "sent", "op": op, "pair": pair, "request_id": rid, "cv": request.cv})
        try:
            exchange = self.client.send(request)
        except (EndpointUnreachableError, EndpointTimeoutError) as exc:
            self.failures += 1
            self.record({"event": "unanswered", "request_id": rid, "error": f"{type(exc).__name__}: {exc}"})
            return rid, None
        except TransportError as exc:  # answered, but not with a DUIS response the suite accepts
            self.failures = 0
            status = exc.status if isinstance(exc, HttpStatusError) else 200
            self.record({"event": "answer", "request_id": rid, "status": status, "code": None, "error": str(exc)})
            return rid, None
        self.failures = 0
        self.record({"event": "answer", "request_id": rid, "status": exchange.http_status, "code": exchange.code})
        return rid, exchange.code


def _control_headers(plan: ClientPlan) -> dict[str, str]:
    """The test-control token of the server at ``plan.url``, read from its state folder."""
    return authorization(read_token([Path(plan.state_dir)], plan.url) if plan.state_dir else None)


def _operation(plan: ClientPlan, rng: random.Random, client: _LoggingClient, http: httpx.Client) -> None:
    """One random operation: a join, an unjoin, an install, or a join delivered locally and returned via 8.13."""
    op = rng.choice(OPERATIONS)
    j = rng.randrange(plan.meters)
    pair = [meter_eui(j), cad_eui(plan.index, j)]
    if op in ("join", "unjoin"):
        client.send(op, pair, "8.7.2" if op == "join" else "8.8.2", 1, target=pair[0], other_device_id=pair[1])
        return
    if op == "install":
        details = InstallDetails(device_id=chf_eui(j), mpxn=f"{j:013d}")
        client.send(op, [chf_eui(j)], "8.14.2", None, details=details)
        return
    last, code = client.send(op, pair, "8.7.2", 2, target=pair[0], other_device_id=pair[1])
    if code != "I0":
        return
    try:
        executed = http.post(f"{plan.url}/test-control/local-commands/{last}/execute")
    except httpx.HTTPError as exc:
        client.failures += 1
        client.record({"event": "execute-unanswered", "request_id": last, "error": str(exc)})
        return
    if executed.status_code != 200:
        client.record({"event": "execute-failed", "request_id": last, "status": executed.status_code})
        return
    client.record({"event": "executed", "pair": pair, "request_id": last})
    response = base64.b64decode(executed.json()["gbcs_response"])
    original = RequestID.parse(last)
    client.send("return", pair, "8.13", None, original_request_id=original, device_gbcs_response=response)


def start_clients(plans: Iterable[ClientPlan]) -> list[subprocess.Popen[bytes]]:
    """Start one process per plan (``python -m qa.load PLAN-JSON``); stderr goes beside its log."""
    processes = []
    for plan in plans:
        with open(plan.log_path + ".stderr", "ab") as err:
            command = [sys.executable, "-m", "qa.load", json.dumps(asdict(plan))]
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
    from pytest_dcc.transport.receiver import ResponseReceiver
    from qa.serve import ServeProcess

    estate_data, estate = _write_estate(workdir, clients, meters)
    db = workdir / "smi.sqlite"
    pki = load_or_create_pki(workdir / "pki", [u["eui"] for u in estate_data["users"]])
    args = ["--pki", str(workdir / "pki"), "--db", str(db), "--inventory", str(estate), "--test-control"]
    inbox = None
    if receiver:
        listener = ResponseReceiver(ResponseJudge(load_schema(None), pki.dsp_trust()))
        listener.start()
        inbox = listener.inbox
        args += ["--response-url", listener.response_url, "--delivery-backoff", "0.05"]
    args += [*serve_args, "--log-level", "warning"]
    state = workdir / "state"  # the server's: its test-control token, which the clients read
    server = ServeProcess(args, workdir / "serve.log", env={**os.environ, "PYTEST_DCC_STATE": str(state)}).start()
    try:
        plans = [
            ClientPlan(
                k, server.url, str(workdir / "pki"), str(workdir / f"client-{k}.jsonl"), meters, operations, seed
            ).with_state(state)
            for k in range(clients)
        ]
        codes, seconds, healthy, at_kill = _drive(server, plans, db, kill_after)
        if inbox is not None:
            _wait_for_outbox(server, 30.0)
    finally:
        server.stop()
        if receiver:
            listener.stop()
    delivered = Counter(str(j.response.request_id) for j in inbox.accepted) if inbox is not None else None
    return RunResult(check_consistency(db, read_logs(workdir), delivered), codes, seconds, healthy, at_kill)


def _write_estate(workdir: Path, clients: int, meters: int) -> tuple[dict[str, Any], Path]:
    """The load estate, and the file ``serve --inventory`` reads it from."""
    workdir.mkdir(parents=True, exist_ok=True)
    data = load_estate(clients, meters)
    estate = workdir / "estate.json"
    estate.write_text(json.dumps(data), encoding="utf-8")
    return data, estate


def _drive(
    server: Any, plans: list[ClientPlan], db: Path, kill_after: int | None
) -> tuple[list[int], float, bool | None, int | None]:
    """Run the clients (killing the server with SIGKILL once the journal holds ``kill_after`` requests, then
    starting it again); their exit codes, the seconds they took, whether the restarted server is healthy, and the
    journal's size at the kill."""
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
    return codes, seconds, healthy, at_kill


def _wait_for_outbox(server: Any, timeout_s: float) -> None:
    """Give the server's deliveries time to finish (what is left stays in the outbox and is counted so)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        outbox = server.health().get("outbox", {})
        if not outbox.get("pending"):
            return
        time.sleep(0.1)


__all__ = [
    "ClientPlan",
    "LoadReport",
    "RunResult",
    "check_consistency",
    "load_estate",
    "read_logs",
    "run_client",
    "run_load",
    "start_clients",
    "wait_clients",
]

if __name__ == "__main__":
    run_client(ClientPlan(**json.loads(sys.argv[1])))

"""Reliability figures of the reference DCC, in one run (issue 6):

1. the hostile-input corpus (fixtures/hostile/), in process and against ``pytest-dcc serve --db``: cases tried,
   refused as documented, server still up, inventory byte-for-byte unchanged;
2. concurrent load: client processes joining, unjoining, returning local joins (8.13) and notifying installs
   (8.14.2) on shared meters; requests, rate, wrong answers, lost/duplicated/inconsistent updates, responses;
3. SIGKILL in the middle of a load, restart on the same --db: what was in flight, and the consistency check;
4. asynchronous delivery to a receiver answering 500 and to one that is down: retries, what was reported;
5. bounded work before trust: ``/health`` while the worst documents are refused by ``pytest-dcc serve``, and what
   the suite's receiver keeps of twelve 40 MiB junk deliveries streamed to it.

    .venv/bin/python benchmarks/stress.py [--clients 8] [--meters 4] [--operations 150] [--kill-after 300]

Exit status 1 when any check fails. Loopback only; the counts are bounded by the options.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import httpx

from pytest_dcc.duis.estates import BOXED_SUPPLIER
from pytest_dcc.duis.pki import load_or_create_pki
from pytest_dcc.reference.server import ResponsePoster
from pytest_dcc.transport.receiver import ServerThread, free_port
from qa.hostile import CorpusUsers, flood, load_corpus, prepare, run_case, run_corpus
from qa.load import run_load
from qa.serve import ServeProcess, dump_database

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fixtures" / "hostile"
PREMISES = ROOT / "fixtures" / "inventory" / "premises.yaml"
USERS = {
    "IS": BOXED_SUPPLIER,
    "GS": "90-B3-D5-1F-30-03-00-00",
    "OU": "90-B3-D5-1F-30-04-00-00",
    "ED": "90-B3-D5-1F-30-05-00-00",
}
failures: list[str] = []


def check(ok: bool, what: str) -> str:
    if not ok:
        failures.append(what)
    return "ok" if ok else "FAILED"


def hostile(workdir: Path) -> None:
    from pytest_dcc.reference.inventory import load_inventory_file
    from pytest_dcc.reference.setup import build_reference

    pki = load_or_create_pki(workdir / "pki", USERS.values())
    who = CorpusUsers(pki, USERS)
    dcc = build_reference(pki, inventory=load_inventory_file(PREMISES))

    def local(method: str, path: str, headers: object, body: bytes) -> tuple[int, bytes]:
        reply = dcc.handle(method, path, headers, body)  # type: ignore[arg-type]
        return reply.status, reply.body

    results = {"in process": run_corpus(CORPUS, who, local, dcc.inventory.dump, lambda: True)}
    db = workdir / "hostile.sqlite"
    args = ["--pki", str(workdir / "pki"), "--db", str(db), "--inventory", str(PREMISES), "--log-level", "warning"]
    with ServeProcess(args, workdir / "hostile-serve.log") as server, httpx.Client(timeout=120) as client:

        def remote(
            method: str, path: str, headers: Mapping[str, str], body: bytes | Iterable[bytes]
        ) -> tuple[int, bytes]:
            reply = client.request(method, server.url + path, headers=headers, content=body)
            return reply.status_code, reply.content

        timed: list[tuple[float, str]] = []
        results["over HTTP"] = []
        for case in load_corpus(CORPUS):
            started = time.perf_counter()
            results["over HTTP"].append(
                run_case(case, CORPUS, who, remote, lambda: dump_database(db), server.alive, remote)
            )
            timed.append((time.perf_counter() - started, case.id))
        health_during_floods(server.url, client, who)
    print("1. Hostile input (fixtures/hostile/cases.yaml; the oversized body streamed in chunks over HTTP)")
    for where, outcomes in results.items():
        hostile_cases = [o for o in outcomes if not o.case.changes_allowed]
        right = sum(o.ok for o in hostile_cases)
        unchanged = sum(not o.inventory_changed for o in hostile_cases)
        alive = all(o.alive for o in outcomes)
        control = all(o.ok for o in outcomes if o.case.changes_allowed)
        print(
            f"   {where:10}: {len(hostile_cases)} hostile cases, {right} refused as documented, inventory unchanged "
            f"after {unchanged}, server up throughout: {alive}, control request accepted: {control}  "
            f"[{check(right == unchanged == len(hostile_cases) and alive and control, f'corpus {where}')}]"
        )
        for o in outcomes:
            if not o.ok:
                print(f"      {o.case.id}: expected {o.case.expected}, got {o.answer} ({o.detail[:120]})")
    ranked = ", ".join(f"{case} {seconds * 1e3:.0f} ms" for seconds, case in sorted(timed, reverse=True)[:4])
    print(f"   slowest cases over HTTP (answer and inventory check): {ranked}")


BOUNDS: list[str] = []  # the figures of section 5 (the /health part is measured while section 1's serve is up)


def health_during_floods(url: str, client: httpx.Client, who: CorpusUsers) -> None:
    """``/health`` answer times, idle and while the worst documents within the size limit are sent back to back."""
    cases = {c.id: c for c in load_corpus(CORPUS)}
    bodies = [
        prepare(cases[name], CORPUS, who) for name in ("namespace-flood", "wide-tree-at-limit", "attribute-flood")
    ]
    timed: list[float] = []
    done = threading.Event()

    def attack() -> None:
        with httpx.Client(timeout=120) as attacker:
            for prepared in bodies * 5:
                started = time.perf_counter()
                attacker.post(url + prepared.path, headers=prepared.headers, content=prepared.body)
                timed.append(time.perf_counter() - started)
        done.set()

    idle = _health_times(client, url, lambda: False, 50)
    thread = threading.Thread(target=attack, daemon=True)
    thread.start()
    during = _health_times(client, url, done.is_set, 1_000_000)
    thread.join()
    ms = 1e3
    BOUNDS.append(
        f"   serve: 15 worst requests within 2 MiB (namespace flood, 50,000 elements, attribute flood) answered "
        f"in {min(timed) * ms:.0f}-{max(timed) * ms:.0f} ms each; meanwhile /health answered {len(during)} times, "
        f"median {statistics.median(during) * ms:.1f} ms, max {max(during) * ms:.0f} ms (idle median "
        f"{statistics.median(idle) * ms:.1f} ms)  [{check(len(during) >= len(timed), 'health during floods')}]"
    )


def _health_times(client: httpx.Client, url: str, stop: Callable[[], bool], at_most: int) -> list[float]:
    times: list[float] = []
    while not stop() and len(times) < at_most:
        started = time.perf_counter()
        client.get(url + "/health").raise_for_status()
        times.append(time.perf_counter() - started)
    return times


def receiver_memory(workdir: Path) -> None:
    """Twelve 40 MiB junk deliveries streamed to the suite's receiver, and ten 2 MiB namespace floods: what it keeps."""
    from pytest_dcc.duis.schema import load_schema
    from pytest_dcc.transport.admission import ResponseJudge
    from pytest_dcc.transport.receiver import REJECTED_KEEP_BYTES, ResponseReceiver

    pki = load_or_create_pki(workdir / "pki", USERS.values())
    receiver = ResponseReceiver(ResponseJudge(load_schema(None), pki.dsp_trust()))
    receiver.start()
    sent = [0]

    def junk() -> Iterator[bytes]:
        for _ in range(160):  # 40 MiB in 256 KiB chunks
            sent[0] += 256 * 1024
            yield b"<" * (256 * 1024)

    response = b"<?xml version='1.0'?><sr:Response xmlns:sr='urn:x'><sr:Body></sr:Body></sr:Response>"
    flooded = flood(response, {"kind": "namespaces-on-root", "size": "fill"}, 2 * 1024 * 1024)
    started = time.perf_counter()
    with httpx.Client(timeout=120) as client:
        answers = [_post(client, receiver.response_url, junk()) for _ in range(12)]
        answers += [_post(client, receiver.response_url, flooded) for _ in range(10)]
    seconds = time.perf_counter() - started
    receiver.stop()
    inbox = receiver.inbox
    kept = sum(len(r.raw) for r in inbox.rejected)
    BOUNDS.append(
        f"   receiver: 12 x 40 MiB streamed junk + 10 x 2 MiB namespace floods in {seconds:.1f}s, answers "
        f"{sorted(set(answers))}; the client got to send {sent[0] / 2**20:.0f} MiB of 480; the inbox keeps "
        f"{len(inbox.rejected)} refused deliveries of {inbox.rejected_total}, {kept} bytes in all  "
        f"[{check(kept <= 22 * REJECTED_KEEP_BYTES and sent[0] < 120 * 2**20, 'receiver memory')}]"
    )


def _post(client: httpx.Client, url: str, content: bytes | Iterator[bytes]) -> int:
    """The status of one delivery (0 when the receiver closed before the client had sent it all)."""
    try:
        return client.post(url, content=content, headers={"content-type": "application/xml"}).status_code
    except httpx.TransportError:
        return 0


def load(workdir: Path, clients: int, meters: int, operations: int) -> None:
    result = run_load(workdir / "load", clients=clients, meters=meters, operations=operations)
    r = result.report
    print("2. Concurrent load on pytest-dcc serve (SQLite file, one worker)")
    print(
        f"   {r.clients} client processes x {operations} operations on {meters} shared meters: {r.requests} requests "
        f"in {result.seconds:.1f}s ({result.requests_per_s:.0f}/s), {r.answered} answered, {r.journal} applied"
    )
    print(
        f"   wrong answers {len(r.unexpected)}, lost updates {len(r.lost)}, duplicated {len(r.duplicated)}, "
        f"phantom {len(r.phantom)}, inconsistent {len(r.inconsistent)}, integrity {r.integrity}; device responses "
        f"{r.responses}  [{check(r.consistent and not r.unexpected and r.answered == r.requests, 'load')}]"
    )
    for problem in r.problems[:10]:
        print(f"      {problem}")


def crash(workdir: Path, clients: int, meters: int, kill_after: int) -> None:
    result = run_load(workdir / "crash", clients=clients, meters=meters, operations=10_000, kill_after=kill_after)
    r = result.report
    print("3. SIGKILL mid-load, restart on the same --db")
    print(
        f"   killed with {result.journal_at_kill} requests applied; {r.requests} sent, {r.answered} answered, "
        f"{r.unanswered} in flight or after the kill; restarted healthy: {result.restarted_healthy}"
    )
    print(
        f"   acknowledged but lost {len(r.lost)}, half-applied or inconsistent {len(r.inconsistent)}, integrity "
        f"{r.integrity}; device responses {r.responses}  "
        f"[{check(r.consistent and bool(result.restarted_healthy) and not r.unexpected, 'crash-restart')}]"
    )
    for problem in r.problems[:10]:
        print(f"      {problem}")


def delivery() -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    answers = [500, 503, 500]

    async def flaky(request: Request) -> Response:
        await request.body()
        return Response(status_code=answers.pop(0) if answers else 204)

    outcomes: dict[int, str] = {}
    with ServerThread(Starlette(routes=[Route("/", flaky, methods=["POST"])])) as receiver:
        for name, url in (
            ("answering 500/503 three times", receiver.url + "/"),
            ("down", f"http://127.0.0.1:{free_port()}/"),
        ):
            poster = ResponsePoster(
                url,
                on_delivered=lambda i: outcomes.__setitem__(i, "delivered"),
                on_failed=lambda i, n, why: outcomes.__setitem__(i, f"failed after {n}: {why.split(':')[0]}"),
                attempts=5,
                backoff_s=0.02,
            )
            for item in range(1, 4):
                poster.submit(item, b"<x/>")
            drained = poster.drain(30)
            poster.close()
            print(
                f"   receiver {name}: 3 responses, {poster.stats['retried']} retries, outcomes "
                f"{sorted(set(outcomes.values()))}  [{check(drained and len(outcomes) == 3, f'delivery {name}')}]"
            )
            outcomes.clear()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--meters", type=int, default=4)
    parser.add_argument("--operations", type=int, default=150)
    parser.add_argument("--kill-after", type=int, default=300)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    print(
        f"pytest-dcc reliability figures: {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dcc-stress-") as scratch:
        workdir = args.workdir or Path(scratch)
        hostile(workdir)
        load(workdir, args.clients, args.meters, args.operations)
        crash(workdir, args.clients, args.meters, args.kill_after)
        print("4. Asynchronous delivery (5 attempts, backoff from 0.02s doubling)")
        delivery()
        receiver_memory(workdir)
        print("5. Bounded work before trust (xmlsafe limits, bodies refused while streaming)")
        print("\n".join(BOUNDS))
    verdict = "all checks passed" if not failures else "FAILED: " + ", ".join(failures)
    print(f"{verdict} in {time.monotonic() - started:.0f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

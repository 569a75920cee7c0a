"""Per-request cost of the reference DCC against the size of the Smart Metering Inventory.

Goal (issue 3): the cost of a Service Request does not grow with the estate (the SMI is indexed). Runs the same
signed requests (8.2 by DeviceID, 8.2 by MPxN, 3.2 to a device) against an SMI of --small and --large devices in
one process and prints the ratio large/small, measured in this run.

    .venv/bin/python benchmarks/bench_inventory.py [--small 1000] [--large 1000000] [--rounds 300]

Exit status 1 when the ratio exceeds --goal (default 1.5).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime

from pytest_dcc.duis.build import RequestBuilder
from pytest_dcc.duis.estates import BOXED_SUPPLIER
from pytest_dcc.duis.pki import TestPki
from pytest_dcc.duis.signing import sign
from pytest_dcc.reference.setup import build_reference

USER = BOXED_SUPPLIER
WHEN = datetime(2030, 1, 1, tzinfo=UTC)


def _eui(n: int) -> str:
    raw = f"{0x00DB000000000000 + n:016X}"
    return "-".join(raw[i : i + 2] for i in range(0, 16, 2))


def _estate(size: int, pki: TestPki):  # type: ignore[no-untyped-def]
    dcc = build_reference(pki, inventory={"users": [{"eui": USER, "role": "IS"}]}, verify_signatures=True)
    rows = (
        (_eui(n), "ESME", "Commissioned", "ACME", "M1", f"{1000000000000 + n}", 100000000000 + n // 2, USER)
        for n in range(size)
    )
    with dcc.inventory.transaction() as db:
        db.executemany(
            "INSERT INTO devices (eui, type, status, manufacturer, model, mpxn, uprn, supplier) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return dcc


def _requests(pki: TestPki, size: int, rounds: int) -> list[tuple[str, bytes]]:
    builder = RequestBuilder(USER)
    identity = pki.identity(USER)
    out = []
    for i in range(rounds):
        n = (i * 7919) % size
        for request in (
            builder.request("8.2", device_id=_eui(n)),
            builder.request("8.2", mpxn=f"{1000000000000 + n}"),
            builder.request("3.2", target=_eui(n), restriction_datetime=WHEN),
        ):
            sign(request.root, identity)
            out.append((request.path, request.to_bytes()))
    return out


def _per_request(dcc, requests: list[tuple[str, bytes]]) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(3):
        start = time.perf_counter()
        for path, body in requests:
            reply = dcc.handle("POST", path, {"content-type": "application/xml"}, body)
            assert reply.status == 200 and b"ResponseCode>I" in reply.body, reply.body[:300]
        samples.append((time.perf_counter() - start) / len(requests))
        dcc.inventory.db.execute("DELETE FROM counters")  # the same requests again, not replays
        dcc.inventory.db.execute("DELETE FROM journal")
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--goal", type=float, default=1.5)
    args = parser.parse_args(argv)
    pki = TestPki.generate([USER])
    results = {}
    for size in (args.small, args.large):
        start = time.perf_counter()
        dcc = _estate(size, pki)
        built = time.perf_counter() - start
        dcc.set_response_sink(lambda raw: None)
        results[size] = _per_request(dcc, _requests(pki, size, args.rounds))
        print(f"{size:>9} devices: seeded in {built:6.1f} s, {results[size] * 1e3:6.2f} ms/request")
        dcc.inventory.close()
    ratio = results[args.large] / results[args.small]
    verdict = "OK" if ratio <= args.goal else "OVER"
    print(f"ratio large/small: {ratio:.2f}x (goal <= {args.goal}x) -> {verdict}")
    return 0 if ratio <= args.goal else 1


if __name__ == "__main__":
    sys.exit(main())

"""Reference DCC throughput over loopback against a bare starlette + uvicorn endpoint echoing the same bytes.

Both servers run as their own process with one uvicorn worker, side by side; one client sends the same
pre-signed SR 8.2 requests (each with its own counter) over one keep-alive connection to each, in alternating
rounds, so the ratio compares the DCC's work (parse, schema, signature, counter, inventory, signed answer) with
HTTP alone, and a noisy machine slows both alike. The figures are the medians of the rounds.

    .venv/bin/python benchmarks/bench_server.py [--requests 600] [--rounds 5]

Goals (issue 7): reference / bare >= 0.5 and reference >= 1000 requests/s. Exit status 1 when either is missed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from pytest_dcc.duis.build import RequestBuilder
from pytest_dcc.duis.estates import BOXED_SUPPLIER
from pytest_dcc.duis.pki import load_or_create_pki
from pytest_dcc.duis.signing import sign
from pytest_dcc.transport.receiver import free_port
from qa.serve import ServeProcess

ROOT = Path(__file__).resolve().parent.parent
USER = BOXED_SUPPLIER
CHF = "00-DB-12-34-56-78-90-A2"
#: Every timed answer must be the DSPInventory success, not a refusal (which costs the DCC less).
SUCCESS = b"<sr:ResponseCode>I0</sr:ResponseCode>"
BARE = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
async def echo(request):
    return Response(await request.body(), media_type="application/xml")
uvicorn.run(Starlette(routes=[Route("/api/v1/serviceD", echo, methods=["POST"]),
                              Route("/health", echo)]), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _rate(client: httpx.Client, url: str, bodies: list[bytes], *, expect: bytes | None = None) -> float:
    """Requests per second for ``bodies[1:]`` (the first one connects and warms up). ``expect``: bytes every
    answer must contain (the reference must be timed doing the work, not refusing it)."""
    client.post(url, content=bodies[0])
    start = time.perf_counter()
    for body in bodies[1:]:
        reply = client.post(url, content=body)
        if reply.status_code != 200 or (expect is not None and expect not in reply.content):
            raise SystemExit(f"{url} answered {reply.status_code}: {reply.text[:300]}")
    return (len(bodies) - 1) / (time.perf_counter() - start)


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="requests per round and server")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        pki = load_or_create_pki(folder / "pki", [USER])
        builder = RequestBuilder(USER)
        rounds = []
        path = builder.request("8.2", device_id=CHF).path
        for _ in range(args.rounds):
            bodies = []
            for _ in range(args.requests + 1):
                request = builder.request("8.2", device_id=CHF)
                sign(request.root, pki.identity(USER))
                bodies.append(request.to_bytes())
            rounds.append(bodies)
        inventory = ROOT / "fixtures" / "inventory" / "premises.yaml"
        serve_args = ["--pki", str(folder / "pki"), "--inventory", str(inventory), "--log-level", "warning"]
        port = free_port()
        bare_process = subprocess.Popen([sys.executable, "-c", BARE, str(port)])
        bare_url = f"http://127.0.0.1:{port}{path}"
        headers = {"content-type": "application/xml"}
        try:
            with ServeProcess(serve_args, folder / "serve.log") as server:
                _wait_until_up(f"http://127.0.0.1:{port}/health")
                reference_url = server.url + path
                with httpx.Client(headers=headers) as to_reference, httpx.Client(headers=headers) as to_bare:
                    pairs = [
                        (_rate(to_reference, reference_url, bodies, expect=SUCCESS), _rate(to_bare, bare_url, bodies))
                        for bodies in rounds
                    ]
        finally:
            bare_process.terminate()
            bare_process.wait(10)
    reference = statistics.median(r for r, _ in pairs)
    bare = statistics.median(b for _, b in pairs)
    ratio = reference / bare
    ok = ratio >= 0.5 and reference >= 1000
    print("rounds (reference, bare req/s): " + ", ".join(f"({r:.0f}, {b:.0f})" for r, b in pairs))
    print(f"bare starlette+uvicorn echo : {bare:8.0f} requests/s")
    print(f"reference DCC (SR 8.2)      : {reference:8.0f} requests/s")
    print(
        f"ratio reference / bare: {ratio:.2f}x (goal >= 0.5x) and {reference:.0f}/s (goal >= 1000/s) -> "
        f"{'OK' if ok else 'OVER'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

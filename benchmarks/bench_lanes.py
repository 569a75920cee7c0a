"""What users wait for: the bundled suite against an endpoint with realistic timings, one worker vs parallel lanes.

    .venv/bin/python benchmarks/bench_lanes.py [--workers 4] [--latency 0.05] [--device-latency 0.5] [--repeat 3]

Starts ``pytest-dcc serve --latency 0.05 --device-latency 0.5`` (every synchronous answer 50 ms, every device
response delivered 0.5 s after the request), then runs the bundled suite against it twice in this run, side by
side: sequentially (``-n 0``) and with ``-n 4`` lanes. Prints both wall times, their ratio, and two lower bounds
for the parallel run, taken from the sequential run's verdicts: the critical path (the longest single scenario)
and the work bound (the scenarios' total time spread over the workers); the larger is what ``-n 4`` cannot beat.

Goals (issue 18): ``-n 4`` / sequential <= 0.35, and the parallel wall time within 1.5x of the bound. Exit status:
the number of goals missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import steady_env, timed

from pytest_dcc.transport.receiver import free_port
from qa.serve import ServeProcess

RATIO_GOAL = 0.35
BOUND_GOAL = 1.5


def _suite(endpoint: str, pki: Path, folder: Path, workers: int) -> float:
    command = [sys.executable, "-m", "pytest", "--pyargs", "pytest_dcc.suite", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "no:hypothesispytest", f"--dcc-endpoint={endpoint}", f"--dcc-pki={pki}"]
    command += [f"--dcc-receiver-port={free_port()}", f"--dcc-report-dir={folder}", "-n", str(workers)]
    return timed(command, folder.parent, steady_env())


def _pair(endpoint: str, pki: Path, folder: Path, workers: int) -> tuple[float, float]:
    """One sequential run then one parallel run (their own report folders)."""
    (folder / "seq").mkdir(parents=True)
    (folder / "par").mkdir()
    return _suite(endpoint, pki, folder / "seq", 0), _suite(endpoint, pki, folder / "par", workers)


def bounds(verdicts: dict[str, object], workers: int) -> tuple[float, float]:
    """(critical path, work bound) of a parallel run, from a sequential run's ``verdicts.json``."""
    durations = [float(s["duration_s"]) for s in verdicts["scenarios"]]  # type: ignore[attr-defined,index]
    return max(durations), sum(durations) / workers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--device-latency", type=float, default=0.5)
    parser.add_argument("--repeat", type=int, default=3, help="sequential/parallel pairs (median of each)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        pki = root / "pki"
        serve = ["--pki", str(pki), "--latency", str(args.latency), "--device-latency", str(args.device_latency)]
        with ServeProcess([*serve, "--log-level", "warning"], root / "serve.log") as server:
            pairs = [_pair(server.url, pki, root / f"round{k}", args.workers) for k in range(max(1, args.repeat))]
        verdicts = json.loads((root / "round0" / "seq" / "verdicts.json").read_text(encoding="utf-8"))
    sequential = statistics.median(seq for seq, _ in pairs)
    parallel = statistics.median(par for _, par in pairs)
    critical, work = bounds(verdicts, args.workers)
    bound = max(critical, work)
    ratio = parallel / sequential
    print(f"endpoint: pytest-dcc serve --latency {args.latency:g} --device-latency {args.device_latency:g}")
    each = ", ".join(f"{seq:.1f}/{par:.1f}" for seq, par in pairs)
    print(f"pairs (sequential/parallel s): {each}")
    print(f"sequential (-n 0), median  : {sequential:6.1f} s")
    print(f"{args.workers} lanes (-n {args.workers}), median    : {parallel:6.1f} s")
    print(f"ratio -n {args.workers} / sequential    : {ratio:.2f} (goal <= {RATIO_GOAL}) -> "
          f"{'OK' if ratio <= RATIO_GOAL else 'OVER'}")  # fmt: skip
    print(f"critical path (longest scenario): {critical:5.2f} s; work bound (total / {args.workers}): {work:5.1f} s")
    print(f"-n {args.workers} / bound {bound:.1f} s      : {parallel / bound:.2f}x (goal <= {BOUND_GOAL}x) -> "
          f"{'OK' if parallel <= BOUND_GOAL * bound else 'OVER'}")  # fmt: skip
    return int(ratio > RATIO_GOAL) + int(parallel > BOUND_GOAL * bound)


if __name__ == "__main__":
    sys.exit(main())

"""``pytest -n N --dcc-endpoint URL``: the pytest-xdist controller's part of parallel lanes.

Before any worker starts, the controller checks that the pool gives N lanes (:func:`pytest_dcc.suite.lanes.
lane_problems`; a UsageError names what is missing), listens on the suite's receiver address with the fan-out that
relays each asynchronous response to every worker (:mod:`pytest_dcc.transport.fanout`) and, where the endpoint
offers the reference's test control, makes that address the users' Receive Response Service address (put back at
the end). Each worker is told the fan-out's address and folder; it registers its own receiver there and checks
delivery through it. The controller outlives every worker, so the address stays up until the last scenario ends.

With ``--dist load`` (what ``-n N`` means by default) the lanes are scheduled by :class:`LaneScheduling`: a worker
gets scenarios as soon as it has collected (pytest-xdist's own waits for the slowest worker's collection, which on
a busy machine is seconds after the first), one at a time beyond the one it runs, the longest first (as measured in
the previous parallel run against an endpoint, kept in ``<state folder>/lane-durations.json``; with
``--dcc-shuffle`` the seed's order), so the lanes end together.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import pytest

from pytest_dcc.settings import DccSettings
from pytest_dcc.suite.lanes import lane_problems

#: The keys of ``workerinput`` a worker reads (the folder workers register in, the fan-out's address).
FANOUT_DIR = "dcc_fanout_dir"
FANOUT_URL = "dcc_fanout_url"
#: The file (in the state folder) of each scenario's duration in the last parallel run: the next one's order.
DURATIONS_FILE: Final = "lane-durations.json"
#: The most scenarios kept in it.
DURATIONS_KEEP: Final = 5000


def lanes_wanted(config: pytest.Config, settings: DccSettings) -> int:
    """How many lanes this controller's run needs: its worker count against an endpoint, else 0."""
    workers = getattr(config.option, "numprocesses", None)
    if settings.in_process or hasattr(config, "workerinput") or not isinstance(workers, int) or workers < 2:
        return 0
    return workers


class ParallelLanes:
    """The controller's plugin: the fan-out, the test-control registration, and what each worker is told."""

    def __init__(self, settings: DccSettings, count: int) -> None:
        problems = lane_problems(count, settings.statement)
        if problems:
            raise pytest.UsageError(f"-n {count} with --dcc-endpoint: " + "; ".join(problems))
        from pytest_dcc.transport.fanout import ResponseFanout

        self.settings = settings
        self.count = count
        self.folder = Path(tempfile.mkdtemp(prefix="pytest-dcc-lanes-"))
        self.fanout = ResponseFanout(self.folder, settings.receiver_host, settings.receiver_port)
        self._restore: Any = None
        self.durations: dict[str, float] = {}

    def start(self) -> None:
        try:
            self.fanout.start()
        except (OSError, RuntimeError) as exc:
            shutil.rmtree(self.folder, ignore_errors=True)
            where = f"{self.settings.receiver_host}:{self.settings.receiver_port}"
            raise pytest.UsageError(
                f"--dcc-receiver-port {self.settings.receiver_port}: the parallel run's receiver cannot listen on "
                f"{where} ({getattr(exc, 'strerror', None) or exc})"
            ) from None
        self._register()

    def _register(self) -> None:
        """With the reference's test control, deliver to the fan-out from now on (the previous address kept)."""
        import httpx

        from pytest_dcc.drivers.control_over_http import TestControlDriver
        from pytest_dcc.errors import DccError

        endpoint = self.settings.http()
        assert endpoint is not None  # lanes are planned against an endpoint only (lanes_wanted)
        client = endpoint.client()
        try:
            control = TestControlDriver.probe(endpoint.url, client, [self.settings.state_dir])
            if control is None:
                client.close()
                return
            previous = control.register_receiver(self.fanout.response_url)
        except (DccError, httpx.HTTPError):  # unreachable: every worker's session check says so, as ERRORs
            client.close()
            return

        def restore() -> None:
            with contextlib.suppress(DccError, httpx.HTTPError):
                control.register_receiver(previous)
            client.close()

        self._restore = restore

    @pytest.hookimpl
    def pytest_configure_node(self, node: Any) -> None:
        """Tell a worker where the fan-out is (xdist calls this in the controller for each worker)."""
        node.workerinput[FANOUT_DIR] = str(self.folder)
        node.workerinput[FANOUT_URL] = self.fanout.response_url

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        """Lanes are scheduled by :class:`LaneScheduling` where pytest-xdist would load-balance (``--dist load``);
        another ``--dist`` keeps its scheduler."""
        if config.getvalue("dist") != "load":
            return None
        shuffled = self.settings.shuffle_seed is not None  # the order drawn from the seed is kept
        return lane_scheduling(config, log, {} if shuffled else read_durations(self.settings.state_dir))

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Each scenario's time, set-up to teardown (the controller sees every worker's reports)."""
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration

    def stop(self) -> None:
        if self.durations:
            write_durations(self.settings.state_dir, self.durations)
            self.durations = {}
        if self._restore is not None:
            self._restore()
            self._restore = None
        self.fanout.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.stop()


def read_durations(state_dir: Path) -> dict[str, float]:
    """Each scenario's duration in the last parallel run (empty when there is none, or it cannot be read)."""
    try:
        document = json.loads((state_dir / DURATIONS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict):
        return {}
    return {str(k): float(v) for k, v in document.items() if isinstance(v, int | float)}


def write_durations(state_dir: Path, durations: Mapping[str, float]) -> None:
    """Keep ``durations`` (merged over the last ones) for the next parallel run's order; best effort."""
    merged = {**read_durations(state_dir), **{k: round(v, 3) for k, v in durations.items()}}
    kept = dict(list(merged.items())[-DURATIONS_KEEP:])
    with contextlib.suppress(OSError):
        state_dir.mkdir(parents=True, exist_ok=True)
        temporary = state_dir / f".{DURATIONS_FILE}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps(kept), encoding="utf-8")
        os.replace(temporary, state_dir / DURATIONS_FILE)


def longest_first(collection: Sequence[str], durations: Mapping[str, float]) -> list[int]:
    """The indices of ``collection``, the longest scenario first; those never timed first of all (they may be
    long), in collection order (all of it without ``durations``)."""
    unknown = float("inf")
    return sorted(range(len(collection)), key=lambda i: -durations.get(collection[i], unknown))


def lane_scheduling(config: pytest.Config, log: Any, durations: Mapping[str, float]) -> Any:
    """A :class:`LaneScheduling` (a subclass of pytest-xdist's ``LoadScheduling``, made here so that importing
    this module never needs pytest-xdist)."""
    from xdist.scheduler import LoadScheduling  # type: ignore[import-untyped]

    class LaneScheduling(LoadScheduling):  # type: ignore[misc]
        """pytest-xdist's load scheduling, except: a worker starts as soon as its collection is in (the same as the
        first worker's, else it gets nothing), it holds one scenario beyond the one it runs, and the longest
        scenarios go first."""

        @property
        def collection_is_completed(self) -> bool:
            return bool(self.node2collection)

        def schedule(self) -> None:
            if getattr(self, "collection", None) is None:
                collection: list[str] = next(iter(self.node2collection.values()))
                self.collection = collection
                self.pending[:] = longest_first(collection, durations)
            for node in list(self.node2collection):
                self.check_schedule(node)

        def check_schedule(self, node: Any, duration: float = 0) -> None:
            if node.shutting_down or node not in self.node2collection or node not in self.node2pending:
                return
            if not self.pending:
                node.shutdown()
                return
            wanted = 2 - len(self.node2pending[node])
            if wanted > 0:
                self._send_tests(node, wanted)

    return LaneScheduling(config, log)


class LaneWorker:
    """A lane worker's plugin: once its scenarios are collected, what the process holds so far (modules, the
    collected scenarios, pytest-bdd's features) is moved out of the garbage collector's view (``gc.freeze``). Eight
    workers share two cores: each full collection would otherwise walk that heap again, during the run and twice
    more at exit (pytest's unraisable-exception check, 0.15 s each), which is CPU the other lanes wait for."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        import gc

        gc.freeze()


def start_lanes(config: pytest.Config, settings: DccSettings) -> None:
    """In the xdist controller of a run against an endpoint with N >= 2 workers: check the lanes, start the fan-out
    and register the plugin that tells the workers. In a lane worker: :class:`LaneWorker`."""
    if fanout_of(config) is not None:
        config.pluginmanager.register(LaneWorker(), "pytest-dcc-lane-worker")
        return
    count = lanes_wanted(config, settings)
    if not count:
        return
    lanes = ParallelLanes(settings, count)
    lanes.start()
    config.pluginmanager.register(lanes, "pytest-dcc-parallel-lanes")


def fanout_of(config: pytest.Config) -> tuple[Path, str] | None:
    """In a worker of a parallel run against an endpoint: the fan-out's folder and address, else ``None``."""
    workerinput = getattr(config, "workerinput", None) or {}
    if FANOUT_DIR not in workerinput:
        return None
    return Path(workerinput[FANOUT_DIR]), str(workerinput[FANOUT_URL])


__all__ = [
    "DURATIONS_FILE",
    "FANOUT_DIR",
    "FANOUT_URL",
    "LaneWorker",
    "ParallelLanes",
    "fanout_of",
    "lane_scheduling",
    "lanes_wanted",
    "longest_first",
    "read_durations",
    "start_lanes",
    "write_durations",
]

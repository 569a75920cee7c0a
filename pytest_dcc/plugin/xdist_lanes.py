"""``pytest -n N --dcc-endpoint URL``: the pytest-xdist controller's part of parallel lanes.

Before any worker starts, the controller checks that the pool gives N lanes (:func:`pytest_dcc.suite.lanes.
lane_problems`; a UsageError names what is missing), listens on the suite's receiver address with the fan-out that
relays each asynchronous response to every worker (:mod:`pytest_dcc.transport.fanout`) and, where the endpoint
offers the reference's test control, makes that address the users' Receive Response Service address (put back at
the end). Each worker is told the fan-out's address and folder; it registers its own receiver there and checks
delivery through it. The controller outlives every worker, so the address stays up until the last scenario ends.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from pytest_dcc.settings import DccSettings
from pytest_dcc.suite.lanes import lane_problems

#: The keys of ``workerinput`` a worker reads (the folder workers register in, the fan-out's address).
FANOUT_DIR = "dcc_fanout_dir"
FANOUT_URL = "dcc_fanout_url"


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

    def stop(self) -> None:
        if self._restore is not None:
            self._restore()
            self._restore = None
        self.fanout.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.stop()


def start_lanes(config: pytest.Config, settings: DccSettings) -> None:
    """In the xdist controller of a run against an endpoint with N >= 2 workers: check the lanes, start the fan-out
    and register the plugin that tells the workers."""
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


__all__ = ["FANOUT_DIR", "FANOUT_URL", "ParallelLanes", "fanout_of", "lanes_wanted", "start_lanes"]

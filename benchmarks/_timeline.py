"""A pytest plugin for the lanes benchmark: where each process's time goes (``-p _timeline``, this folder on the
path, ``DCC_BENCH_TIMELINE`` naming a folder). Every process, the xdist controller and each worker, writes one
JSON file there: when it was configured, each test's start and end (setup to teardown, wall clock) and when it
unconfigured. Nothing else is changed."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

_EVENTS: dict[str, Any] = {"tests": [], "fixtures": {}}


def pytest_configure(config: Any) -> None:
    workerinput = getattr(config, "workerinput", None)
    distributed = bool(getattr(config.option, "numprocesses", None))
    _EVENTS["process"] = workerinput["workerid"] if workerinput else "controller" if distributed else "main"
    _EVENTS["configured"] = time.time()


def pytest_runtest_logstart(nodeid: str, location: object) -> None:
    if _EVENTS.get("process") != "controller":
        _EVENTS["tests"].append([nodeid, time.time(), None])


def pytest_runtest_logfinish(nodeid: str, location: object) -> None:
    if _EVENTS.get("process") != "controller" and _EVENTS["tests"]:
        _EVENTS["tests"][-1][2] = time.time()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: Any) -> Any:
    """Session fixtures: how long each took to set up (its own part, the fixtures it asks for excluded)."""
    if fixturedef.scope != "session":
        return (yield)
    start = time.time()
    try:
        return (yield)
    finally:
        _EVENTS["fixtures"][fixturedef.argname] = [start, time.time()]


def pytest_unconfigure(config: Any) -> None:
    folder = os.environ.get("DCC_BENCH_TIMELINE")
    if not folder:
        return
    _EVENTS["unconfigured"] = time.time()
    path = Path(folder) / f"{_EVENTS.get('process', 'controller')}.json"
    path.write_text(json.dumps(_EVENTS), encoding="utf-8")

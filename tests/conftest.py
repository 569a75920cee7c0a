from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Final

# httpx imports its HTTP core lazily. Imported here, before any test runs, it is in the snapshot of sys.modules
# that the pytester fixture restores after each test; first imported inside a pytester test, it would be dropped
# at that test's end and imported again as a second copy, whose exceptions httpx's map no longer knows (a raw
# httpcore.RemoteProtocolError instead of httpx.TransportError in a later test).
import httpcore  # noqa: F401
import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
XSD_VERSIONS = ("5.0", "5.1", "5.3a", "5.4")


def pytest_configure(config: pytest.Config) -> None:
    """The per-user state folder (originator counters, the default test PKI `pytest-dcc serve` and the suite share)
    is one of this test run's own, so no test reads or writes the user's ~/.cache/pytest-dcc; servers and pytester
    runs started from here inherit it. A test of the defaults themselves sets its own. Not for `dcc-conformance` run
    from inside the checkout (pytest loads this file for the testpaths then too): that run is a user's."""
    if config.getoption("pyargs", False):
        return
    os.environ.setdefault("PYTEST_DCC_STATE", tempfile.mkdtemp(prefix="pytest-dcc-state-"))


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"the shared reference data is expected beside the checkout at {SHARED}")
    return SHARED


def port_free(port: int, *, within_s: float = 0.0) -> bool:
    """Whether nothing listens on loopback ``port``, waiting up to ``within_s`` for a server on its way out (the
    README's commands and the no-argument server use fixed ports: DCC Boxed's 8079, the receiver's 8090)."""
    deadline = time.monotonic() + within_s
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def load_benchmark(name: str) -> ModuleType:
    """A script of benchmarks/ as a module (its functions are what the tests exercise)."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"dcc_benchmark_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# -- what workers share ------------------------------------------------------------------------------------------
# pytest-xdist's ``--dist loadgroup`` renames a grouped test's node ID, which pytest 9 no longer reads (its node IDs
# are structured): ``xdist_group`` marks are silently ignored. The groups are kept here instead, by module, in the
# scheduler; what must not overlap also takes a lock (another test run on this machine), and what two tests read is
# made once, whichever worker comes first (made_once).

#: Modules whose tests share one worker under ``-n N --dist loadgroup`` (a group name per module): the tests that
#: bind DCC Boxed's fixed ports, and the modules whose tests read one costly result (so no worker waits for it).
ONE_WORKER: Final = {
    "tests/test_readme.py": "fixed-ports",
    "tests/test_serve_defaults.py": "fixed-ports",
    "tests/test_duis_only.py": "duis-only-runs",
    "tests/test_reports.py": "certification-run",
}


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup`` with the groups of :data:`ONE_WORKER` (pytest-xdist's own scheduler otherwise)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class ModuleGroups(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return ONE_WORKER.get(nodeid.split("::", 1)[0]) or super()._split_scope(nodeid)

    return ModuleGroups(config, log)


def _shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder every worker of this run sees (the parent of the workers' base temporary folders)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture
def fixed_ports() -> Iterator[None]:
    """Held for the whole test: one test at a time binds DCC Boxed's fixed ports (8079, and the receiver's 8090),
    whichever worker, or other test run on this machine, runs it (an exclusive lock on a file in the temporary
    folder; the system releases it if the process dies)."""
    with (Path(tempfile.gettempdir()) / f"pytest-dcc-fixed-ports-{os.getuid()}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def made_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Any]) -> Any:
    """``make(folder)``'s JSON result, made by the first worker that asks (in a folder of the run's shared temporary
    folder) and read back from there by any other: a costly fixture two tests share, whichever workers run them. A
    ``make`` that raised is tried again by the next that asks, in an empty folder."""
    shared = _shared_folder(tmp_path_factory)
    made = shared / f"{name}.json"
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not made.exists():
                folder = shared / name
                shutil.rmtree(folder, ignore_errors=True)  # what an earlier attempt that failed left behind
                folder.mkdir()
                made.write_text(json.dumps(make(folder)), encoding="utf-8")
            return json.loads(made.read_text(encoding="utf-8"))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

"""What the project's own test run shares between its pytest-xdist workers (tests/conftest.py): the lock that keeps
the fixed-port tests apart, and a costly result made once whichever worker asks first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import made_once

LOCK = Path(tempfile.gettempdir()) / f"pytest-dcc-fixed-ports-{os.getuid()}.lock"
_TRY = """
import fcntl, sys
with open(sys.argv[1], "w") as lock:
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("held")
    else:
        print("free")
"""


def _another_process_sees() -> str:
    done = subprocess.run([sys.executable, "-c", _TRY, str(LOCK)], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_fixed_ports_lock_keeps_every_other_process_out_while_a_test_holds_it(
    fixed_ports: None,
) -> None:
    assert _another_process_sees() == "held"


def test_a_shared_result_is_made_once_and_read_back(tmp_path_factory: pytest.TempPathFactory) -> None:
    made: list[Path] = []

    def make(folder: Path) -> dict[str, int]:
        made.append(folder)
        (folder / "work").write_text("x")
        return {"runs": len(made)}

    name = f"made-once-{id(made)}"
    assert made_once(tmp_path_factory, name, make) == {"runs": 1}
    assert made_once(tmp_path_factory, name, make) == {"runs": 1}
    assert len(made) == 1 and (made[0] / "work").is_file()
    assert json.loads((made[0].parent / f"{name}.json").read_text()) == {"runs": 1}


def test_the_modules_that_share_one_worker_run_on_one_worker(pytester: pytest.Pytester) -> None:
    """The scheduler of tests/conftest.py keeps each module of ONE_WORKER on one worker under ``-n 2 --dist
    loadgroup`` (pytest-xdist's ``xdist_group`` marks are lost under pytest 9). Without it both workers would take
    tests of those modules, which come first in the queue."""
    conftest = Path(__file__).resolve().parent / "conftest.py"
    pytester.makeconftest(
        f"""
        import importlib.util
        spec = importlib.util.spec_from_file_location("project_conftest", {str(conftest)!r})
        project = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(project)
        pytest_xdist_make_scheduler = project.pytest_xdist_make_scheduler
        """
    )
    body = "import os, time\n" + "".join(
        f"def test_{n}(request):\n    time.sleep(0.2)\n"
        f"    (request.config.rootpath / f'{{request.node.name}}.{{request.module.__name__}}').write_text("
        "os.environ.get('PYTEST_XDIST_WORKER', ''))\n"
        for n in range(6)
    )
    pytester.mkdir("tests")
    for module in ("test_readme", "test_serve_defaults", "test_zz_elsewhere"):
        (pytester.path / "tests" / f"{module}.py").write_text(body)
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider", "tests")
    assert result.ret == 0, result.stdout.str()[-2000:]
    workers: dict[str, set[str]] = {}
    for path in pytester.path.glob("test_*.*"):
        workers.setdefault(path.suffix.lstrip("."), set()).add(path.read_text())
    assert len(workers["test_readme"] | workers["test_serve_defaults"]) == 1, workers  # one group: fixed-ports
    assert workers["test_zz_elsewhere"], workers


def test_a_result_whose_making_failed_is_made_again_in_an_empty_folder(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A ``make`` that raised (a failing run) leaves no result and no files for the next attempt to read as its own."""
    seen: list[list[str]] = []

    def make(folder: Path) -> int:
        seen.append(sorted(p.name for p in folder.iterdir()))
        (folder / f"attempt-{len(seen)}").write_text("partial")
        if len(seen) == 1:
            raise RuntimeError("the first run failed half way")
        return len(seen)

    name = f"made-again-{id(seen)}"
    with pytest.raises(RuntimeError, match="half way"):
        made_once(tmp_path_factory, name, make)
    assert made_once(tmp_path_factory, name, make) == 2
    assert seen == [[], []]

"""The fast loop (README): ``pytest -m "not slow"`` keeps at least 80 % of the project's tests, so that it is the
loop people run while they work and the ``slow`` marker stays for what is slow (a suite run, a server, a
subprocess). Its time is measured, not asserted: the README names the command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _collected(*args: str) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"(\d+)(?:/\d+)? tests? collected", done.stdout)
    assert found, done.stdout[-2000:] + done.stderr[-2000:]
    return int(found.group(1))


@pytest.mark.slow
def test_the_fast_loop_keeps_at_least_80_percent_of_the_tests() -> None:
    total, fast = _collected(), _collected("-m", "not slow")
    assert 0 < fast < total
    assert fast / total >= 0.8, f"the fast loop keeps {fast} of {total} tests"

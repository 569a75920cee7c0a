"""Shared by the benchmarks that time whole pytest runs in child processes."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path


def steady_env(**extra: str) -> dict[str, str]:
    """The environment for a timed run: bytecode caching on (a user's CI has it), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall seconds of ``command``; exits with its output when it fails (a failing run times nothing)."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:8])} ... failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    return elapsed

"""``pytest-dcc serve`` in a child process, for reliability runs and tests: start, wait until healthy, read its
inventory file from outside, stop it politely or kill it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from pytest_dcc.reference.inventory import Inventory
from pytest_dcc.transport.receiver import free_port


class ServeProcess:
    """One ``pytest-dcc serve --port P [args]`` process on loopback; its output goes to ``log``.

    :param args: further ``serve`` arguments (``--pki``, ``--db``, ``--inventory`` ...).
    :param port: the port; a free one by default (kept across :meth:`restart`).
    """

    def __init__(
        self,
        args: list[str],
        log: Path,
        *,
        port: int | None = None,
        startup_s: float = 30.0,
        command: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.args = list(args)
        self.env = env  # the child's environment (default: this process's)
        #: What runs before the ``serve`` arguments: ``python -m pytest_dcc.cli serve`` unless given (a script that
        #: ends up calling ``pytest_dcc.cli.main(["serve", ...])``).
        self.command = command or ["-m", "pytest_dcc.cli", "serve"]
        self.log = log
        self.port = port or free_port()
        self.startup_s = startup_s
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        """Start the server and wait until ``/health`` answers (AssertionError with its log if it does not)."""
        command = [sys.executable, *self.command, "--port", str(self.port), *self.args]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + self.startup_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"pytest-dcc serve exited with {self.process.returncode}:\n{self.output()}")
            if self.healthy():
                return self
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"pytest-dcc serve did not become healthy in {self.startup_s:g}s:\n{self.output()}")

    def healthy(self) -> bool:
        """Whether the server answers ``/health`` with 200 now."""
        try:
            return httpx.get(self.url + "/health", timeout=2).status_code == 200
        except Exception:  # polling: refused, reset, timed out (httpcore may re-raise its own classes)
            return False

    def health(self) -> dict[str, object]:
        """The ``/health`` document."""
        document = httpx.get(self.url + "/health", timeout=5).json()
        assert isinstance(document, dict)
        return document

    def output(self) -> str:
        """The server's log so far."""
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        """The process runs and answers ``/health``."""
        return self.process is not None and self.process.poll() is None and self.healthy()

    def stop(self, timeout_s: float = 15.0) -> int:
        """SIGTERM and wait; the exit status."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as a crash or the OOM killer would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def restart(self, args: list[str] | None = None) -> Self:
        """Start again on the same port (with other arguments if given)."""
        if args is not None:
            self.args = list(args)
        return self.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def dump_database(path: Path) -> str:
    """An SQLite file's contents as SQL text, read through a connection of its own (committed data only)."""
    store = Inventory.open_read_only(path)
    try:
        return store.dump()
    finally:
        store.close()


__all__ = ["ServeProcess", "dump_database"]

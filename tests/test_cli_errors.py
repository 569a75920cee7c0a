"""``pytest-dcc serve``: every option has help and its default; a bad port or a port in use is one line, exit 2."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "pytest-dcc"


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), "serve", *args], capture_output=True, text=True, timeout=60, check=False)


def test_every_serve_option_has_help_and_shows_its_default() -> None:
    from pytest_dcc.commands.serve import parser as _parser

    serve = next(a for a in _parser()._subparsers._group_actions if a.choices).choices["serve"]  # type: ignore[union-attr]
    options = [a for a in serve._actions if a.option_strings and a.dest != "help"]
    assert options and all(a.help for a in options), [a.dest for a in options if not a.help]
    text = _serve("--help").stdout
    assert "(default: 8079)" in text and "(default: 127.0.0.1)" in text
    assert "(default: None)" not in text  # an option without a value by default says what happens instead
    assert all(a.default is not None or "default" in str(a.help) or a.dest in _NO_DEFAULT for a in options), [
        a.dest for a in options if a.default is None and "default" not in str(a.help) and a.dest not in _NO_DEFAULT
    ]


#: Options that are simply absent unless given (a file, a key, a certificate): nothing happens without them.
_NO_DEFAULT = {"db", "signing_key", "signing_cert", "xsd", "tls_cert", "tls_key", "client_ca"}


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_bad_port_is_a_one_line_usage_error(port: str) -> None:
    done = _serve("--port", port)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"argument --port: must be a TCP port number (1-65535), given: {port!r}" in done.stderr or (
        f"given: {port}" in done.stderr
    )


def test_a_port_in_use_is_one_line_before_anything_is_logged_as_listening(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _serve("--pki", str(tmp_path / "pki"), "--port", str(port))
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [f"pytest-dcc: error: --port {port}: cannot listen on 127.0.0.1:{port} (Address already in use)"]


@pytest.mark.slow
def test_dcc_conformance_help_lists_the_suite_options(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "dcc-conformance"
    done = subprocess.run([str(script), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    for option in ("--dcc-endpoint", "--dcc-statement", "--dcc-release", "--dcc-pki", "--dcc-shuffle"):
        assert option in done.stdout, option
    assert "check-driver" in done.stdout and "statement-skeleton" in done.stdout

"""The test-control token: a secret per ``pytest-dcc serve`` process that every test-control request carries.

``serve`` makes a fresh random token when it starts and writes it to ``<state folder>/test-control-<port>.token``
(mode 0600, never through a link: :mod:`pytest_dcc.duis.private_files`); the suite, on the same machine and with
the same state folder, reads it for a loopback endpoint URL on that port and sends it as
``Authorization: Bearer <token>``. A web page the user happens to browse cannot read the file, so it cannot
forge a test-control request even when it can make the browser send one to the loopback port. The token never
leaves the machine: it is read only for a loopback URL, and never put on a command line.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from pytest_dcc.duis.private_files import read_private, write_private
from pytest_dcc.errors import ConfigError

#: The header the token travels in, and its scheme.
TOKEN_HEADER: Final = "authorization"
TOKEN_SCHEME: Final = "Bearer"
#: Characters of a token (``secrets.token_urlsafe``); anything else in a token file is refused.
_ALPHABET: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def token_file(state_dir: Path, port: int) -> Path:
    """Where the server on loopback ``port`` keeps its token: ``<state_dir>/test-control-<port>.token``."""
    return state_dir / f"test-control-{port}.token"


def new_token() -> str:
    """A fresh token: 256 random bits, URL-safe base64."""
    return secrets.token_urlsafe(32)


def write_token(state_dir: Path, port: int, token: str) -> Path:
    """Write ``token`` for the server on ``port`` (0600, atomically, never through a link); the file written."""
    path = token_file(state_dir, port)
    write_private(path, token.encode("ascii") + b"\n")
    return path


def remove_token(state_dir: Path, port: int, token: str) -> None:
    """Remove the token file of ``port`` if it still holds ``token`` (a later server on that port keeps its own)."""
    path = token_file(state_dir, port)
    try:
        if read_private(path).strip() == token.encode("ascii"):
            path.unlink()
    except (ConfigError, OSError):
        return


def _loopback_port(url: str) -> int | None:
    """The port of ``url`` when its host is a loopback name or address, else ``None``."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host != "localhost":
        try:
            if not ipaddress.ip_address(host).is_loopback:
                return None
        except ValueError:
            return None
    return port


def read_token(state_dirs: Iterable[Path], url: str) -> str | None:
    """The token of the test-control server at ``url``: read only when ``url`` is on loopback, from the newest
    ``test-control-<port>.token`` of ``state_dirs``; ``None`` when there is none. :class:`ConfigError` when the
    file is a link or does not hold a token."""
    port = _loopback_port(url)
    if port is None:
        return None
    found = [path for path in dict.fromkeys(token_file(d, port) for d in state_dirs) if path.exists()]
    if not found:
        return None
    newest = max(found, key=lambda path: path.lstat().st_mtime)
    text = read_private(newest).decode("ascii", errors="replace").strip()
    if not 16 <= len(text) <= 200 or not set(text) <= _ALPHABET:
        raise ConfigError(f"{newest} does not hold a test-control token (restart pytest-dcc serve to write one)")
    return text


def authorization(token: str | None) -> dict[str, str]:
    """The request header that carries ``token`` (none without one)."""
    return {TOKEN_HEADER: f"{TOKEN_SCHEME} {token}"} if token else {}


def token_matches(header: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header value carries ``token``, compared in constant time."""
    if not header:
        return False
    scheme, _, given = header.strip().partition(" ")
    if scheme.lower() != TOKEN_SCHEME.lower():
        return False
    return hmac.compare_digest(given.strip().encode("utf-8", errors="replace"), token.encode("ascii"))


__all__ = [
    "TOKEN_HEADER",
    "TOKEN_SCHEME",
    "authorization",
    "new_token",
    "read_token",
    "remove_token",
    "token_file",
    "token_matches",
    "write_token",
]

"""Files that hold secrets (private keys, the test-control token, originator counters): never written through a
symbolic link, keys 0600 and their folders 0700 whatever the umask.

A folder someone else could have prepared (``--pki DIR``, the state folder) may hold planted links: a key written
through one would land where the planter chose, with the target's mode. Every write here opens with ``O_NOFOLLOW``
into a folder that is itself no link, replaces the file atomically, and sets the mode with ``fchmod`` on the open
descriptor (the umask does not apply to it).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Final

from pytest_dcc.errors import ConfigError

#: Modes of secrets and of the folders that hold them.
FILE_MODE: Final = 0o600
DIR_MODE: Final = 0o700


def private_dir(folder: Path) -> Path:
    """Create ``folder`` (and its parents) if needed and hold it to mode 0700; :class:`ConfigError` when it is a
    symbolic link or not a folder."""
    if folder.is_symlink():
        raise ConfigError(f"{folder} is a symbolic link; a folder of keys or state must be a real folder")
    folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{folder} is not a folder")
    if stat.S_IMODE(info.st_mode) != DIR_MODE and info.st_uid == os.getuid():
        os.chmod(folder, DIR_MODE)
    return folder


def write_private(path: Path, data: bytes, *, mode: int = FILE_MODE) -> None:
    """Write ``data`` to ``path`` (mode ``mode``, 0600 by default) atomically, never through a link: the folder is
    held by :func:`private_dir`, a link at ``path`` is refused, and the bytes go to a fresh temporary file in the
    same folder (``O_EXCL | O_NOFOLLOW``) renamed over ``path``."""
    private_dir(path.parent)
    if path.is_symlink():
        raise ConfigError(f"{path} is a symbolic link; refusing to write a secret through it")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)  # a stale one of this process (or a planted link: unlink removes the link itself)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    os.replace(temporary, path)


def read_private(path: Path) -> bytes:
    """The bytes of a secret file, read without following a link (:class:`ConfigError` when ``path`` is one)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


__all__ = ["DIR_MODE", "FILE_MODE", "private_dir", "read_private", "write_private"]

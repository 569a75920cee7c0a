"""Files that hold secrets or state (private keys, the test PKI, the test-control token, originator counters, lock
files): never written or opened through a symbolic link, keys 0600 and their folders 0700 whatever the umask.

A folder someone else could have prepared (``--pki DIR``, the state folder) may hold planted links: a key written
through one would land where the planter chose, with the target's mode. So:

* a folder is held by :func:`private_dir`: created 0700 (missing parents too), refused when it is a link, not a
  folder or another user's, and brought to 0700 (``fchmod`` on a descriptor opened with ``O_NOFOLLOW``);
* a file is written by :func:`write_private`: a link (or anything but a file) at the path is refused, the bytes
  go to a fresh temporary file of a random name (``O_CREAT | O_EXCL | O_NOFOLLOW``, mode set with ``fchmod``,
  which the umask does not touch) renamed over the path, so nothing is ever written through whatever the path
  held (a link, a hard link to another file);
* :func:`read_private` and :func:`open_lock` open with ``O_NOFOLLOW`` and take regular files only.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path
from typing import BinaryIO, Final

from pytest_dcc.errors import ConfigError

#: Modes of secrets and of the folders that hold them.
FILE_MODE: Final = 0o600
DIR_MODE: Final = 0o700
#: Largest secret or state file read (keys, certificates, pki.json, counters: a few kB).
MAX_READ: Final = 1024 * 1024
_NOFOLLOW: Final = os.O_NOFOLLOW | os.O_CLOEXEC


def _refuse_link(path: Path, what: str) -> os.stat_result | None:
    """The ``lstat`` of ``path`` (``None`` when absent); :class:`ConfigError` when it is a symbolic link."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise ConfigError(f"{path} is a symbolic link; {what} must not be one (nothing written through it)")
    return info


def _foreign(info: os.stat_result) -> bool:
    """Whether a folder belongs to another user (root may use anyone's)."""
    return info.st_uid != os.geteuid() and os.geteuid() != 0


def _make_dirs(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each 0700 whatever the umask."""
    missing = []
    current = folder
    while not os.path.lexists(current) and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, DIR_MODE)
        except FileExistsError:
            continue  # made at the same moment by another process: held to 0700 below (the folder itself)
        except OSError as exc:
            raise ConfigError(f"cannot create {path}: {exc.strerror or exc}") from None
        with contextlib.suppress(OSError):
            os.chmod(path, DIR_MODE, follow_symlinks=False)


def private_dir(folder: Path) -> Path:
    """Create ``folder`` (and its missing parents) 0700 if needed and hold it to mode 0700; :class:`ConfigError`
    naming it when it is a symbolic link, not a folder, or another user's. A parent that already exists is left as
    it is."""
    info = _refuse_link(folder, "a folder of keys or state")
    if info is not None and stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == DIR_MODE:
        if _foreign(info):
            raise ConfigError(f"{folder} belongs to another user (uid {info.st_uid}); keys and state stay in your own")
        return folder  # the common case: one lstat
    if info is None:
        _make_dirs(folder)
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            _refuse_link(folder, "a folder of keys or state")
            raise ConfigError(f"{folder} is not a folder") from None
        raise ConfigError(f"cannot open the folder {folder}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if _foreign(info):
            raise ConfigError(f"{folder} belongs to another user (uid {info.st_uid}); keys and state stay in your own")
        if stat.S_IMODE(info.st_mode) != DIR_MODE:
            os.fchmod(fd, DIR_MODE)
    finally:
        os.close(fd)
    return folder


def write_private(path: Path, data: bytes, *, mode: int = FILE_MODE) -> None:
    """Write ``data`` to ``path`` (mode ``mode``, 0600 by default) atomically, never through a link: the folder is
    held by :func:`private_dir`, a link (or anything but a regular file) at ``path`` is refused, and the bytes go
    to a fresh temporary file of a random name in the same folder (``O_EXCL | O_NOFOLLOW``) renamed over
    ``path``."""
    private_dir(path.parent)
    info = _refuse_link(path, "a key or state file")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{path} is not a regular file; refusing to replace it")
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _open_regular(path: Path, flags: int, what: str) -> int:
    """A descriptor of regular file ``path`` opened with ``O_NOFOLLOW`` (and without blocking on a FIFO)."""
    try:
        fd = os.open(path, flags | os.O_NONBLOCK | _NOFOLLOW, FILE_MODE)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ConfigError(f"{path} is a symbolic link; {what} must not be one") from None
        if isinstance(exc, FileNotFoundError):
            raise
        raise ConfigError(f"cannot open {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ConfigError(f"{path} is not a regular file")
    os.set_blocking(fd, True)
    return fd


def read_private(path: Path, *, limit: int = MAX_READ) -> bytes:
    """The bytes of a secret or state file, read without following a link (:class:`ConfigError` when ``path`` is
    one, is missing, is not a regular file or holds more than ``limit`` bytes)."""
    data = read_private_if_present(path, limit=limit)
    if data is None:
        raise ConfigError(f"cannot read {path}: No such file or directory")
    return data


def read_private_if_present(path: Path, *, limit: int = MAX_READ) -> bytes | None:
    """As :func:`read_private`, but ``None`` when ``path`` does not exist."""
    try:
        fd = _open_regular(path, os.O_RDONLY, "a key or state file")
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ConfigError(f"{path} is over the {limit}-byte limit of a key or state file")
    return data


def open_lock(path: Path) -> BinaryIO:
    """Open (creating, mode 0600) the lock file ``path`` for ``fcntl.flock``, never through a link; the folder is
    the caller's to hold (:func:`private_dir`). :class:`ConfigError` names a link or anything but a file."""
    try:
        fd = _open_regular(path, os.O_RDWR | os.O_CREAT, "a lock file")
    except FileNotFoundError as exc:  # its folder is missing
        raise ConfigError(f"cannot open {path}: {exc.strerror or exc}") from None
    return os.fdopen(fd, "r+b")


__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "MAX_READ",
    "open_lock",
    "private_dir",
    "read_private",
    "read_private_if_present",
    "write_private",
]

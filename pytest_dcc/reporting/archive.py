"""Reading a ``.tar.gz`` someone else made, with bounded work: what ``verify-bundle`` reads a bundle with.

An archive is hostile input: a few kilobytes of gzip can decompress to gigabytes (a gzip or tar bomb), a header
can declare any size, a pax or long-name header can ask ``tarfile`` to read megabytes into memory at once, a
member can be a link, a device, an absolute or ``../`` name. :func:`read_bounded` reads it in two passes:

1. the headers only: every member must be a plain file with a canonical relative name, met once; their count,
   each declared size and their sum are checked against the limits **before any member is read**;
2. the members, each in chunks of :data:`CHUNK` bytes into a SHA-256 (only the few documents the caller keeps, each
   under :data:`MAX_DOCUMENT_BYTES`, are held in memory), never more than its header declared.

Under both, the decompressed stream itself is bounded: no single read larger than :data:`MAX_HEADER_READ` (a
header asking for more is refused before it is allocated) and no position beyond the total limit plus
:data:`HEADER_ALLOWANCE`, whatever the headers say. Nested archives are members like any other: hashed, never
opened. Every refusal is an :class:`~pytest_dcc.errors.ArchiveLimitError` naming the archive and the limit.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import tarfile
import zlib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Final

from pytest_dcc.errors import ArchiveLimitError, ConfigError

MiB: Final = 1024 * 1024
#: Limits of an archive (a bundle of a whole run has some hundreds of members and a few MiB: far below each).
MAX_MEMBERS: Final = 20_000
MAX_MEMBER_BYTES: Final = 64 * MiB
MAX_TOTAL_BYTES: Final = 512 * MiB
#: A member the caller keeps in memory (the manifest, verdicts.json, suite.json).
MAX_DOCUMENT_BYTES: Final = 16 * MiB
#: One read of the decompressed stream: a tar header and a pax or long-name header's data are read whole.
MAX_HEADER_READ: Final = 1 * MiB
#: What the headers (tar blocks, pax data, padding) may add to the members' bytes in the decompressed stream.
HEADER_ALLOWANCE: Final = 64 * MiB
MAX_NAME_CHARS: Final = 1024
CHUNK: Final = 64 * 1024
_PLAIN_TYPES: Final = (tarfile.REGTYPE, tarfile.AREGTYPE)
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class ArchiveContents:
    """What was read: the SHA-256 of every member, the bytes of the members the caller asked to keep."""

    digests: dict[str, str] = field(default_factory=dict)
    kept: dict[str, bytes] = field(default_factory=dict)


class _Bounded:
    """The decompressed stream as ``tarfile`` sees it: no read larger than :data:`MAX_HEADER_READ`, no position
    beyond ``limit``."""

    def __init__(self, inner: gzip.GzipFile, path: Path, limit: int) -> None:
        self.inner, self.path, self.limit = inner, path, limit

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0 or size > MAX_HEADER_READ:
            asked = "all of it" if size is None or size < 0 else f"{size} bytes"
            raise ArchiveLimitError(
                f"{self.path}: refused: one read of {asked} at once (a header's data over the {MAX_HEADER_READ}-byte "
                "limit)"
            )
        data = self.inner.read(size)
        self._check(self.inner.tell())
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0:
            self._check(offset)  # before decompressing up to it
        position = self.inner.seek(offset, whence)
        self._check(position)
        return position

    def tell(self) -> int:
        return self.inner.tell()

    def _check(self, position: int) -> None:
        if position > self.limit:
            raise ArchiveLimitError(
                f"{self.path}: refused: it decompresses to more than {self.limit} bytes (the limit: "
                f"{MAX_TOTAL_BYTES} bytes of members and {HEADER_ALLOWANCE} of headers)"
            )


def read_bounded(path: Path, keep: Collection[str] = ()) -> ArchiveContents:
    """Every member's SHA-256, and the bytes of those named in ``keep``, read with bounded work and memory."""
    _check_file(path)
    limit = MAX_TOTAL_BYTES + HEADER_ALLOWANCE
    try:
        with path.open("rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
            bounded = _Bounded(unzipped, path, limit)  # tarfile needs read, seek and tell only
            with tarfile.open(fileobj=bounded, mode="r:") as archive:  # type: ignore[call-overload]
                members = _headers(path, archive)
                return _contents(path, archive, members, set(keep))
    except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
        raise ConfigError(f"{path} is not a readable .tar.gz bundle: {exc}") from None


def _check_file(path: Path) -> None:
    """A regular file that starts as gzip does (a zip, a FIFO or a folder is refused before anything is read)."""
    if not path.is_file():
        raise ConfigError(f"{path} is not a readable .tar.gz bundle: not a regular file")
    with path.open("rb") as raw:
        magic = raw.read(4)
    if magic[:2] != b"\x1f\x8b":
        kind = " (a zip archive)" if magic == b"PK\x03\x04" else ""
        raise ConfigError(f"{path} is not a readable .tar.gz bundle: not gzip-compressed{kind}")


def _headers(path: Path, archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Pass 1: the headers, checked; nothing is read of any member."""
    members: list[tarfile.TarInfo] = []
    names: set[str] = set()
    total = 0
    for info in archive:
        if len(members) == MAX_MEMBERS:
            raise ArchiveLimitError(f"{path}: refused: more than {MAX_MEMBERS} members (the limit)")
        problem = _member_problem(info, names)
        if problem:
            raise ArchiveLimitError(f"{path}: refused: member {info.name[:200]!r} {problem}")
        if info.size > MAX_MEMBER_BYTES:
            raise ArchiveLimitError(
                f"{path}: refused: member {info.name} declares {info.size} bytes (the limit: {MAX_MEMBER_BYTES})"
            )
        total += info.size
        if total > MAX_TOTAL_BYTES:
            raise ArchiveLimitError(
                f"{path}: refused: its members declare more than {MAX_TOTAL_BYTES} bytes in all (the limit)"
            )
        info.pax_headers = {}  # read and checked; kept, a stream of large pax comments would add up in memory
        names.add(info.name)
        members.append(info)
    return members


def _member_problem(info: tarfile.TarInfo, seen: set[str]) -> str:
    """Why a member is not a plain relative file the bundle could hold ("" if it is)."""
    name = info.name
    if info.type not in _PLAIN_TYPES or info.sparse is not None:
        return "is not a plain relative file (a link, folder, device or sparse file)"
    if not name or len(name) > MAX_NAME_CHARS:
        return f"is not a plain relative file (a name of {len(name)} characters; the limit: {MAX_NAME_CHARS})"
    pure = PurePosixPath(name)
    odd = "\\" in name or any(ord(c) < 32 or ord(c) == 127 for c in name) or _DRIVE.match(name)
    if pure.is_absolute() or ".." in pure.parts or odd or pure.as_posix() != name:
        return "is not a plain relative file (an absolute, parent, non-canonical or control-character name)"
    if name in seen:
        return "is not a plain relative file (its name is in the archive twice)"
    return ""


def _contents(path: Path, archive: tarfile.TarFile, members: list[tarfile.TarInfo], keep: set[str]) -> ArchiveContents:
    """Pass 2: each member hashed in chunks; the kept ones (each under its limit) in memory too."""
    contents = ArchiveContents()
    for info in members:
        if info.name in keep and info.size > MAX_DOCUMENT_BYTES:
            raise ArchiveLimitError(
                f"{path}: refused: {info.name} declares {info.size} bytes (the limit: {MAX_DOCUMENT_BYTES})"
            )
        stream = archive.extractfile(info)
        if stream is None:  # pass 1 let only plain files through
            raise ArchiveLimitError(f"{path}: refused: member {info.name} has no data")
        digest, parts, seen = hashlib.sha256(), [], 0
        while chunk := stream.read(min(CHUNK, info.size - seen)):
            seen += len(chunk)
            digest.update(chunk)
            if info.name in keep:
                parts.append(chunk)
            if seen >= info.size:
                break
        if seen != info.size:
            raise ConfigError(f"{path} is not a readable .tar.gz bundle: member {info.name} is truncated")
        contents.digests[info.name] = digest.hexdigest()
        if info.name in keep:
            contents.kept[info.name] = b"".join(parts)
    return contents


__all__ = [
    "CHUNK",
    "HEADER_ALLOWANCE",
    "MAX_DOCUMENT_BYTES",
    "MAX_HEADER_READ",
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "MAX_NAME_CHARS",
    "MAX_TOTAL_BYTES",
    "ArchiveContents",
    "read_bounded",
]

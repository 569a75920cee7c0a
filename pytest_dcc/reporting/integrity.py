"""Hashes that say which suite ran: every feature file, and the suite as a whole (its code, schemas and features).

A certification body compares the hashes recorded in a run against those of the released pytest-dcc it trusts; a
suite changed in any file (a step relaxed, a feature edited) gives another ``suite_sha256``.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pytest_dcc._resources import features_dir

#: What makes up the suite: code, step and feature text, schemas. Caches and compiled files are left out.
_SUITE_SUFFIXES = frozenset({".py", ".feature", ".xsd", ".json", ".yaml", ".typed"})


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix in _SUITE_SUFFIXES and "__pycache__" not in p.parts and "_bundled" not in p.parts
    )


def feature_hashes() -> dict[str, str]:
    """``features/`` relative path -> SHA-256, for the features this installation runs."""
    base = features_dir()
    return {p.relative_to(base).as_posix(): sha256_file(p) for p in _files(base) if p.suffix == ".feature"}


@cache
def suite_digest() -> dict[str, Any]:
    """``{"suite_sha256": ..., "features": {...}}``: the suite's hash is over the sorted (path, SHA-256) list of the
    package's files and of the features it runs, so it does not depend on where the suite is installed."""
    package = Path(str(resources.files("pytest_dcc")))
    entries = [f"pytest_dcc/{p.relative_to(package).as_posix()} {sha256_file(p)}" for p in _files(package)]
    features = feature_hashes()
    entries += [f"features/{name} {digest}" for name, digest in sorted(features.items())]
    suite = hashlib.sha256("\n".join(entries).encode()).hexdigest()
    return {"suite_sha256": suite, "features": features}


__all__ = ["feature_hashes", "sha256_file", "suite_digest"]

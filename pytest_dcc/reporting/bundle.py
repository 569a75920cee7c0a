"""Certification bundles: one archive with everything a certification body needs to check a run offline.

The archive (``.tar.gz``) holds ``verdicts.json``, the clause matrix, the implementation statement, the computed
test list, ``junit.xml``, ``allure-results/``, ``suite.json`` (suite version, SHA-256 of the suite and of every
feature file, as installed where the bundle was made) and ``manifest.json`` (SHA-256 of every other member).

:func:`verify` checks, offline: every member is in the manifest with its hash and nothing else is in the archive;
the run was a certification-mode run; the suite that ran, the suite the bundle was made with and the suite installed
where it is verified are the same (``suite_sha256``), feature by feature; the statement is the one the run used.
Every document and field those checks read must be there with the type :func:`make_bundle` writes
(:data:`MANIFEST_FIELDS`, :data:`RUN_FIELDS` of a non-empty ``run``, :data:`SUITE_FIELDS`): one that is not is a
problem naming the member and the field (never skipped, never an exception), and the checks that need it are not made.
The manifest gives integrity, not authenticity: whoever can rewrite the archive can rewrite the manifest; sign
the archive itself (for example with the certification body's key) where that matters.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_dcc._version import __version__
from pytest_dcc.errors import ConfigError
from pytest_dcc.reporting.archive import (
    MAX_DOCUMENT_BYTES,
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    MAX_TOTAL_BYTES,
    ArchiveContents,
    read_bounded,
)
from pytest_dcc.reporting.integrity import suite_digest
from pytest_dcc.reporting.redaction import redact_url

#: Files of a report directory that go into a bundle when present (verdicts.json is required).
REPORT_FILES: Final = ("verdicts.json", "test-list.json", "junit.xml", "clause-matrix.md", "clause-matrix.html")
#: The members :func:`verify` reads (JSON documents); every other member is only hashed.
DOCUMENTS: Final = ("manifest.json", "verdicts.json", "suite.json")
#: At most this many JSON values (arrays, objects, elements) in one document: a run's verdicts.json has thousands.
MAX_JSON_VALUES: Final = 250_000
_SHA256: Final = re.compile(r"[0-9a-f]{64}")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _members(report_dir: Path) -> Iterator[tuple[str, bytes]]:
    verdicts = report_dir / "verdicts.json"
    if not verdicts.is_file():
        raise ConfigError(f"{report_dir} holds no verdicts.json: run the suite first (dcc-conformance)")
    for name in REPORT_FILES:
        if (report_dir / name).is_file():
            yield name, (report_dir / name).read_bytes()
    results = report_dir / "allure-results"
    if results.is_dir():
        for path in sorted(p for p in results.rglob("*") if p.is_file()):
            yield f"allure-results/{path.relative_to(results).as_posix()}", path.read_bytes()
    try:
        document = json.loads(verdicts.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise ConfigError(f"{verdicts} cannot be read as JSON: {type(exc).__name__}: {str(exc)[:200]}") from None
    run = document.get("run") if isinstance(document, dict) else None
    if isinstance(run, dict) and run.get("statement"):
        statement = Path(str(run["statement"]))
        if not statement.is_file():
            raise ConfigError(f"the run's implementation statement {statement} is gone; cannot bundle it")
        yield "statement.yaml", statement.read_bytes()


def make_bundle(report_dir: Path, output: Path) -> Path:
    """Pack the run in ``report_dir`` into ``output`` (a .tar.gz)."""
    members = dict(_members(report_dir))
    digest = suite_digest()
    members["suite.json"] = (
        json.dumps(
            {"suite_version": __version__, "suite_sha256": digest["suite_sha256"], "features": digest["features"]},
            indent=2,
        )
        + "\n"
    ).encode()
    manifest = {"format": 1, "files": {name: _sha256(data) for name, data in sorted(members.items())}}
    members["manifest.json"] = (json.dumps(manifest, indent=2) + "\n").encode()
    _check_limits(report_dir, members)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(output, "w:gz") as archive:
        for name, data in sorted(members.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            archive.addfile(info, io.BytesIO(data))
    return output


@dataclass
class Verification:
    problems: list[str]
    facts: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> str:
        lines = [f"  {fact}" for fact in self.facts] + [f"  PROBLEM: {p}" for p in self.problems]
        verdict = "bundle verified" if self.ok else f"bundle NOT verified ({len(self.problems)} problem(s))"
        return "\n".join([*lines, verdict])


def _check_limits(report_dir: Path, members: dict[str, bytes]) -> None:
    """A bundle :func:`verify` would refuse is not made."""
    sizes = {name: len(data) for name, data in members.items()}
    over = [n for n, size in sizes.items() if size > (MAX_DOCUMENT_BYTES if n in DOCUMENTS else MAX_MEMBER_BYTES)]
    if len(sizes) > MAX_MEMBERS or sum(sizes.values()) > MAX_TOTAL_BYTES or over:
        raise ConfigError(
            f"{report_dir}: too large to bundle ({len(sizes)} files, {sum(sizes.values())} bytes{', ' if over else ''}"
            f"{', '.join(over)}); the limits: {MAX_MEMBERS} files, {MAX_TOTAL_BYTES} bytes, {MAX_MEMBER_BYTES} a "
            f"file, {MAX_DOCUMENT_BYTES} for {', '.join(DOCUMENTS)}"
        )


def _json(files: ArchiveContents, name: str, problems: list[str]) -> dict[str, Any] | None:
    """The JSON object a member holds, or None (the problem listed)."""
    data = files.kept.get(name)
    if data is None:
        problems.append(f"{name} is missing")
        return None
    values = data.count(b",") + data.count(b"[") + data.count(b"{")
    if values > MAX_JSON_VALUES:
        problems.append(f"{name} holds more than {MAX_JSON_VALUES} JSON values (the limit); not read")
        return None
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as exc:
        problems.append(f"{name} is not JSON: {type(exc).__name__}: {str(exc)[:200]}")
        return None
    if not isinstance(value, dict):
        problems.append(f"{name} must be a JSON object (it is {_kind(value)})")
        return None
    return value


def _kind(value: Any) -> str:
    """What a JSON value is, for a problem line."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    if value is None or value == "":
        return "null" if value is None else "an empty string"
    return names.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    """A value from the bundle as a report line shows it: one line (control characters escaped), 200 at most."""
    text = str(value)
    text = repr(text)[1:-1] if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text) else text
    return text if len(text) <= 200 else f"{text[:200]}..."


def _is_sha256(value: Any) -> bool:
    return isinstance(value, str) and _SHA256.fullmatch(value) is not None


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


#: What each field :func:`verify` reads must be: a description and its test.
_SHAPES: Final[dict[str, tuple[str, Callable[[Any], bool]]]] = {
    "text": ("a non-empty string", lambda v: isinstance(v, str) and bool(v)),
    "sha256": ("a SHA-256 (64 lowercase hex digits)", _is_sha256),
    "sha256 or null": ("a SHA-256 (64 lowercase hex digits) or null", lambda v: v is None or _is_sha256(v)),
    "digests": (
        "an object of names to SHA-256s",
        lambda v: isinstance(v, dict) and all(_is_sha256(d) for d in v.values()),
    ),
    "counts": ("an object of verdicts to counts", lambda v: isinstance(v, dict) and all(map(_is_count, v.values()))),
    "format 1": ("1 (the bundle format this pytest-dcc reads)", lambda v: v == 1 and not isinstance(v, bool)),
}
#: The fields of each document :func:`verify` relies on (every bundle :func:`make_bundle` writes has them).
MANIFEST_FIELDS: Final = {"format": "format 1", "files": "digests"}
RUN_FIELDS: Final = {
    "mode": "text",
    "release": "text",
    "endpoint": "text",
    "finished": "text",
    "totals": "counts",
    "suite_sha256": "sha256",
    "feature_sha256": "digests",
    "statement_sha256": "sha256 or null",
}
SUITE_FIELDS: Final = {"suite_version": "text", "suite_sha256": "sha256", "features": "digests"}


def _shaped(document: dict[str, Any], where: str, fields: dict[str, str], problems: list[str]) -> bool:
    """Whether every field of ``fields`` is in ``document`` with its shape (each one that is not: a problem)."""
    before = len(problems)
    for key, shape in fields.items():
        description, test = _SHAPES[shape]
        if key not in document:
            problems.append(f"{where}: {key} is missing")
        elif not test(document[key]):
            problems.append(f"{where}: {key} must be {description} (it is {_kind(document[key])})")
    return len(problems) == before


def _manifest(files: ArchiveContents, problems: list[str]) -> dict[str, str]:
    """manifest.json's ``files`` (empty, the problems listed, when the manifest is missing or not of its shape)."""
    document = _json(files, "manifest.json", problems)
    if document is None:
        return {}
    _shaped(document, "manifest.json", MANIFEST_FIELDS, problems)
    listed: dict[str, str] = document.get("files") or {}
    return dict(listed) if _SHAPES[MANIFEST_FIELDS["files"]][1](listed) else {}


def _run(files: ArchiveContents, problems: list[str]) -> dict[str, Any] | None:
    """verdicts.json's ``run``: a non-empty object with every field :func:`verify` reads, or None (problems listed)."""
    document = _json(files, "verdicts.json", problems)
    if document is None:
        return None
    run = document.get("run")
    if not isinstance(run, dict) or not run:
        what = "missing" if run is None else "empty" if not run else f"{_kind(run)}, not an object"
        problems.append(f"verdicts.json: run (the run's record) is {what}")
        return None
    return run if _shaped(run, "verdicts.json: run", RUN_FIELDS, problems) else None


def _suite(files: ArchiveContents, problems: list[str]) -> dict[str, Any] | None:
    """suite.json, when it has every field :func:`verify` reads (else None, the problems listed)."""
    suite = _json(files, "suite.json", problems)
    if suite is None:
        return None
    if not suite:
        problems.append("suite.json is empty (no suite recorded)")
        return None
    return suite if _shaped(suite, "suite.json", SUITE_FIELDS, problems) else None


def verify(path: Path) -> Verification:
    """Check a bundle offline against the pytest-dcc installed here. The archive is read with bounded work and
    memory (:func:`pytest_dcc.reporting.archive.read_bounded`): refused, before any member is read, when its
    members' count or declared sizes exceed the limits or one is not a plain relative file. Every document and
    field the checks read must be there with its type: one that is not is a problem (never skipped, never an
    exception), and the checks that need it are not made."""
    files = read_bounded(path, keep=DOCUMENTS)
    problems: list[str] = []
    facts: list[str] = []
    manifest = _manifest(files, problems)
    problems += _manifest_problems(files, manifest)
    run, suite = _run(files, problems), _suite(files, problems)
    if run is not None:
        totals = ", ".join(f"{k} {v}" for k, v in sorted(run["totals"].items()))
        facts.append(
            f"run: release {_shown(run['release'])}, endpoint {_shown(redact_url(run['endpoint']))}, "
            f"mode {_shown(run['mode'])}, finished {_shown(run['finished'])}; {_shown(totals)}"
        )
        if run["mode"] != "certification":
            problems.append(f"the run was a {_shown(run['mode'])}-mode run, not a certification run")
        problems += _statement_problems(files, run)
    if suite is not None:
        facts.append(f"suite: pytest-dcc {_shown(suite['suite_version'])}, SHA-256 {suite['suite_sha256']}")
        if run is not None:
            problems += _suite_problems(run, suite)
    if "test-list.json" not in files.digests:
        problems.append("test-list.json (the computed test list) is missing")
    facts.append(f"{len(manifest)} files in the manifest")
    return Verification(problems, facts)


def _manifest_problems(files: ArchiveContents, manifest: dict[str, str]) -> list[str]:
    """Every file listed, present and unchanged; nothing in the archive that is not listed."""
    problems = []
    for name, expected in sorted(manifest.items()):
        if name not in files.digests:
            problems.append(f"{_shown(name)} is listed in the manifest but missing")
        elif files.digests[name] != expected:
            problems.append(f"{_shown(name)} does not match its manifest hash (changed after bundling)")
    extra = sorted(set(files.digests) - set(manifest) - {"manifest.json"})
    return problems + [f"{name} is in the archive but not in the manifest" for name in extra]


def _suite_problems(run: dict[str, Any], suite: dict[str, Any]) -> list[str]:
    """The suite that ran is the released suite installed here, features included."""
    problems = []
    installed = suite_digest()
    if run["suite_sha256"] != suite["suite_sha256"]:
        problems.append("the suite that ran differs from the suite the bundle was made with")
    if suite["suite_version"] != __version__:
        problems.append(
            f"the run used pytest-dcc {_shown(suite['suite_version'])}; pytest-dcc {__version__} is installed here "
            "(verify with the same released version)"
        )
    elif suite["suite_sha256"] != installed["suite_sha256"]:
        problems.append("the suite that ran is not the released pytest-dcc installed here (modified suite)")
    ran_features: dict[str, str] = run["feature_sha256"]
    if suite["features"] != ran_features:
        problems.append("suite.json's features differ from the features the run recorded (feature_sha256)")
    for name, digest in sorted(installed["features"].items()):
        if ran_features.get(name) != digest:
            problems.append(f"feature {_shown(name)} differs from the released suite (or is missing)")
    strangers = sorted(set(ran_features) - set(installed["features"]))
    return problems + [f"feature {_shown(n)} is not part of the released suite" for n in strangers]


def _statement_problems(files: ArchiveContents, run: dict[str, Any]) -> list[str]:
    """The statement the run used is the bundle's statement.yaml (``run`` is of its shape: :data:`RUN_FIELDS`)."""
    if run["statement_sha256"] is None:
        return ["the run recorded no implementation statement (certification needs one)"]
    if "statement.yaml" not in files.digests:
        return ["the run used an implementation statement, but it is not in the bundle"]
    if files.digests["statement.yaml"] != run["statement_sha256"]:
        return ["statement.yaml is not the statement the run used"]
    return []


__all__ = [
    "DOCUMENTS",
    "MANIFEST_FIELDS",
    "MAX_JSON_VALUES",
    "REPORT_FILES",
    "RUN_FIELDS",
    "SUITE_FIELDS",
    "Verification",
    "make_bundle",
    "verify",
]

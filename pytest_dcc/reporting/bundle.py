"""Certification bundles: one archive with everything a certification body needs to check a run offline.

The archive (``.tar.gz``) holds ``verdicts.json``, the clause matrix, the implementation statement, the computed
test list, ``junit.xml``, ``allure-results/``, ``suite.json`` (suite version, SHA-256 of the suite and of every
feature file, as installed where the bundle was made) and ``manifest.json`` (SHA-256 of every other member).

:func:`verify` checks, offline: every member is in the manifest with its hash and nothing else is in the archive;
the run was a certification-mode run; the suite that ran, the suite the bundle was made with and the suite installed
where it is verified are the same (``suite_sha256``), feature by feature; the statement is the one the run used.
The manifest gives integrity, not authenticity: whoever can rewrite the archive can rewrite the manifest; sign
the archive itself (for example with the certification body's key) where that matters.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_dcc import __version__
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
    run = json.loads(verdicts.read_text(encoding="utf-8")).get("run", {})
    if run.get("statement"):
        statement = Path(run["statement"])
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


def _json(files: ArchiveContents, name: str, problems: list[str]) -> dict[str, Any]:
    data = files.kept.get(name)
    if data is None:
        problems.append(f"{name} is missing")
        return {}
    values = data.count(b",") + data.count(b"[") + data.count(b"{")
    if values > MAX_JSON_VALUES:
        problems.append(f"{name} holds more than {MAX_JSON_VALUES} JSON values (the limit); not read")
        return {}
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as exc:
        problems.append(f"{name} is not JSON: {type(exc).__name__}: {str(exc)[:200]}")
        return {}
    return value if isinstance(value, dict) else {}


def verify(path: Path) -> Verification:
    """Check a bundle offline against the pytest-dcc installed here. The archive is read with bounded work and
    memory (:func:`pytest_dcc.reporting.archive.read_bounded`): refused, before any member is read, when its
    members' count or declared sizes exceed the limits or one is not a plain relative file."""
    files = read_bounded(path, keep=DOCUMENTS)
    problems: list[str] = []
    facts: list[str] = []
    manifest = _json(files, "manifest.json", problems).get("files", {})
    problems += _manifest_problems(files, manifest)
    run = _json(files, "verdicts.json", problems).get("run", {})
    suite = _json(files, "suite.json", problems)
    if run:
        totals = ", ".join(f"{k} {v}" for k, v in sorted(run.get("totals", {}).items()))
        facts.append(
            f"run: release {run.get('release')}, endpoint {redact_url(str(run.get('endpoint')))}, "
            f"mode {run.get('mode')}, "
            f"finished {run.get('finished')}; {totals}"
        )
        if run.get("mode") != "certification":
            problems.append(f"the run was a {run.get('mode') or 'development'}-mode run, not a certification run")
    if suite:
        problems += _suite_problems(run, suite)
        facts.append(f"suite: pytest-dcc {suite.get('suite_version')}, SHA-256 {suite.get('suite_sha256')}")
    problems += _statement_problems(files, run)
    if "test-list.json" not in files.digests:
        problems.append("test-list.json (the computed test list) is missing")
    facts.append(f"{len(manifest)} files in the manifest")
    return Verification(problems, facts)


def _manifest_problems(files: ArchiveContents, manifest: dict[str, str]) -> list[str]:
    """Every file listed, present and unchanged; nothing in the archive that is not listed."""
    problems = []
    for name, expected in sorted(manifest.items()):
        if name not in files.digests:
            problems.append(f"{name} is listed in the manifest but missing")
        elif files.digests[name] != expected:
            problems.append(f"{name} does not match its manifest hash (changed after bundling)")
    extra = sorted(set(files.digests) - set(manifest) - {"manifest.json"})
    return problems + [f"{name} is in the archive but not in the manifest" for name in extra]


def _suite_problems(run: dict[str, Any], suite: dict[str, Any]) -> list[str]:
    """The suite that ran is the released suite installed here, features included."""
    problems = []
    installed = suite_digest()
    if run.get("suite_sha256") != suite.get("suite_sha256"):
        problems.append("the suite that ran differs from the suite the bundle was made with")
    if suite.get("suite_version") != __version__:
        problems.append(
            f"the run used pytest-dcc {suite.get('suite_version')}; pytest-dcc {__version__} is installed here "
            "(verify with the same released version)"
        )
    elif suite.get("suite_sha256") != installed["suite_sha256"]:
        problems.append("the suite that ran is not the released pytest-dcc installed here (modified suite)")
    ran_features = run.get("feature_sha256") or suite.get("features", {})
    for name, digest in sorted(installed["features"].items()):
        if ran_features.get(name) != digest:
            problems.append(f"feature {name} differs from the released suite (or is missing)")
    return problems + [
        f"feature {n} is not part of the released suite" for n in sorted(set(ran_features) - set(installed["features"]))
    ]


def _statement_problems(files: ArchiveContents, run: dict[str, Any]) -> list[str]:
    if run.get("statement_sha256"):
        if "statement.yaml" not in files.digests:
            return ["the run used an implementation statement, but it is not in the bundle"]
        if files.digests["statement.yaml"] != run["statement_sha256"]:
            return ["statement.yaml is not the statement the run used"]
        return []
    return ["the run recorded no implementation statement (certification needs one)"] if run else []


__all__ = ["DOCUMENTS", "MAX_JSON_VALUES", "REPORT_FILES", "Verification", "make_bundle", "verify"]

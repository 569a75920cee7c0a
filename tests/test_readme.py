"""The README is executed: its quick start, the wheel in an empty directory, the server section, the parallel lanes
and the DCC Boxed section, verbatim, each in bash as a newcomer would paste it, in a copy of the checkout with
``../shared`` beside it, a fresh home directory (so the per-user state folder starts empty) and no
``PYTEST_DCC_STATE``. Each must do what the README says of it.

The blocks are the indented code blocks that follow a ``<!-- readme-test: NAME ... -->`` line; the project's own
test command (the quick start's second command) is what CI runs, so it is checked to be in ``.ci/run`` instead of
being run from inside itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SHARED, port_free

#: These tests bind DCC Boxed's fixed ports: one at a time, whichever worker runs them (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fixed_ports")

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
_MARK = re.compile(r"<!-- readme-test: ([a-z-]+)")
_SKIP = {".venv", "node_modules", "reports", "dist", ".git", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


#: The documents whose marked blocks are executed: the README (its quick start) and the docs it links to.
DOCUMENTS = (README, *sorted((ROOT / "docs").glob("*.md")))


def blocks() -> dict[str, str]:
    """NAME -> the commands of the indented block after its marker, in the README or a document of docs/."""
    found: dict[str, str] = {}
    for document in DOCUMENTS:
        for name, body in _marked(document.read_text(encoding="utf-8")):
            assert name not in found, f"readme-test block {name!r} is marked twice (again in {document.name})"
            found[name] = body
    return found


def _marked(text: str) -> Iterator[tuple[str, str]]:
    lines = text.splitlines()
    for at, line in enumerate(lines):
        mark = _MARK.match(line.strip())
        if mark is None:
            continue
        body: list[str] = []
        for following in lines[at + 1 :]:
            if following.startswith("    "):
                body.append(following[4:])
            elif following.strip() or body:
                break
        yield mark.group(1), "\n".join(body)


def test_the_readme_marks_the_sections_it_promises_and_ci_runs_the_test_command() -> None:
    found = blocks()
    assert set(found) == {"quick-start", "wheel", "server", "lanes", "dccboxed"}, found
    assert all(found.values())
    text = README.read_text(encoding="utf-8")
    start = text.index("## Quick start")
    quick = text[start : text.index("\n## ", start + 1)]
    commands = [line.strip() for line in quick.splitlines() if line.startswith("    ") and "venv" in line]
    assert len(commands) == 2 and commands[0] == found["quick-start"]  # exactly two commands
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")  # CI runs the test command verbatim

    assert "quick-start" in dict(_marked(text))  # the quick start is the README's own, not a linked document's


#: A screen: the two commands must be on the first one, before anything else a newcomer has to read.
FIRST_SCREEN_LINES = 40
_LINK = re.compile(r"\]\(([^)#]+)\)")


def test_the_readme_starts_short_with_both_commands_then_links_every_topic() -> None:
    text = README.read_text(encoding="utf-8")
    first_screen = "\n".join(text.splitlines()[:FIRST_SCREEN_LINES])
    commands = [line for line in first_screen.splitlines() if line.startswith("    ") and "venv" in line]
    assert len(commands) == 2, f"the two quick-start commands are not both within the first {FIRST_SCREEN_LINES} lines"
    targets = _LINK.findall(text)
    missing = [target for target in targets if not (ROOT / target).exists()]
    assert not missing, f"the README links to what does not exist: {missing}"
    pictures = [target for target in targets if target.endswith(".png")]
    assert len(pictures) >= 2 and all((ROOT / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pictures)
    unlinked = [d.name for d in sorted((ROOT / "docs").glob("*.md")) if f"docs/{d.name}" not in targets]
    assert not unlinked, f"documents the README does not link to: {unlinked}"


def _run(name: str, script: str, cwd: Path, env: dict[str, str]) -> str:
    """Run one README block in bash; whatever it left in the background is stopped afterwards. Its output goes to
    a file (a server left running would hold a pipe open)."""
    log = cwd.parent / f"readme-{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bash", "-e", "-c", script], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            code = process.wait(timeout=300)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            stuck = _stop_group(process.pid)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert not stuck, f"README block {name!r} left port(s) {stuck} taken even after SIGKILL:\n{text[-3000:]}"
    assert code == 0, (
        f"README block {name!r} {'timed out' if code is None else f'exited {code}'}:\n{script}\n---\n{text[-6000:]}"
    )
    return text


def _stop_group(group: int) -> list[int]:
    """Stop what a block left running (SIGTERM, then SIGKILL if the fixed ports are still taken 20 s later): the
    next block, or test, binds the same ports. Answers the ports still taken after that."""
    for number, wait_s in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, number)
        taken = [port for port in (8079, 8090) if not port_free(port, within_s=wait_s)]
        if not taken:
            return []
        if number == signal.SIGTERM:
            print(f"README block's process group {group} still held port(s) {taken} 20 s after SIGTERM; SIGKILL")
    return taken


def _verdicts(folder: Path) -> dict[str, object]:
    return dict(json.loads((folder / "reports" / "verdicts.json").read_text()))


@pytest.mark.slow
def test_the_readme_does_what_it_says(tmp_path: Path) -> None:
    if not SHARED.is_dir():
        pytest.fail(f"the shared reference data is expected beside the checkout at {SHARED}")
    for port in (8079, 8090):  # the README uses DCC Boxed's port and the receiver port it names
        assert port_free(port), f"port {port} is taken on this machine; the README's commands need it"
    checkout = tmp_path / "main"
    shutil.copytree(ROOT, checkout, ignore=lambda folder, names: [n for n in names if n in _SKIP])
    (tmp_path / "shared").symlink_to(SHARED)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_DCC_STATE" and not k.startswith("PYTEST_")}
    env |= {"HOME": str(home), "PIP_CACHE_DIR": _pip_cache(), "npm_config_cache": str(Path.home() / ".npm")}
    found = blocks()

    # Quick start: the suite against the embedded reference, every report written
    _run("quick-start", found["quick-start"], checkout, env)
    document = _verdicts(checkout)
    totals = document["run"]["endpoint_totals"]  # type: ignore[index]
    assert set(totals) == {"PASS", "NOT_APPLICABLE"}, totals
    for name in ("junit.xml", "test-list.json", "clause-matrix.md", "clause-matrix.html"):
        assert (checkout / "reports" / name).is_file(), name
    if shutil.which("npm") or os.environ.get("DCC_REQUIRE_INTEROP"):
        assert (checkout / "reports" / "allure-report" / "index.html").is_file()
        assert "allure-report/index.html#/" in (checkout / "reports" / "clause-matrix.html").read_text()
    scenarios = len(document["scenarios"])  # type: ignore[arg-type]

    # From a wheel, in an empty directory: the same suite, from the wheel alone
    _run("wheel", found["wheel"], checkout, env)
    elsewhere = tmp_path / "try-pytest-dcc"
    from_wheel = _verdicts(elsewhere)
    assert len(from_wheel["scenarios"]) == scenarios  # type: ignore[arg-type]
    assert set(from_wheel["run"]["endpoint_totals"]) == {"PASS", "NOT_APPLICABLE"}  # type: ignore[index]
    assert not (elsewhere / "features").exists() and not (elsewhere / "pki").exists()

    # The server: `pytest-dcc serve` alone, and the suite with only the URL assesses every clause
    _run("server", found["server"], checkout, env)
    served = _verdicts(checkout)
    run = served["run"]  # type: ignore[index]
    assert run["endpoint"] == "http://127.0.0.1:8079" and set(run["endpoint_totals"]) == {"PASS", "NOT_APPLICABLE"}
    clauses = served["clauses"]  # type: ignore[index]
    assert [c for c, entry in clauses.items() if entry["verdict"] != "PASS"] == ["DP178-E080801"]  # not in 2025-11
    assert (home / ".cache" / "pytest-dcc" / "pki").is_dir() and not (checkout / "pki").exists()

    # Parallel lanes from the quick start's plain install (pytest-xdist is a dependency), against one endpoint
    text = _run("lanes", found["lanes"], checkout, env)
    assert "created: 2/2 workers" in text, text[-3000:]
    lanes = _verdicts(checkout)
    assert lanes["run"]["endpoint"] == "http://127.0.0.1:8079"  # type: ignore[index]
    assert set(lanes["run"]["endpoint_totals"]) == {"PASS", "NOT_APPLICABLE"}  # type: ignore[index]
    assert len(lanes["scenarios"]) == 4  # type: ignore[arg-type]

    # DCC Boxed: its keys, no test control; the skeleton from SR 8.2, then a run over DUIS alone
    _run("dccboxed", found["dccboxed"], checkout, env)
    assert (checkout / "my-dccboxed.yaml").is_file()
    boxed = _verdicts(checkout)
    assert set(boxed["run"]["endpoint_totals"]) == {"PASS", "NOT_APPLICABLE"}  # type: ignore[index]
    assessed = [c for c, entry in boxed["clauses"].items() if entry["verdict"] == "PASS"]  # type: ignore[union-attr]
    assert len(assessed) >= 5, boxed["clauses"]  # type: ignore[index]


def _pip_cache() -> str:
    done = subprocess.run(["python3", "-m", "pip", "cache", "dir"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or str(Path.home() / ".cache" / "pip")

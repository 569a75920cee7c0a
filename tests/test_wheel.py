"""The wheel holds the product alone: the QA tooling (``qa``: the hostile corpus runner, load, consistency, serve as
a child process, the mutants) lives beside ``pytest_dcc`` in the checkout and never in the distribution. Checked from
pyproject.toml and the package tree, and, where hatchling is importable, on a wheel built into a temporary folder."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pytest_dcc"
#: Names only the QA tooling uses (the old home of the tooling included): no module of the product carries them.
QA_NAMES = frozenset({"qa", "stress", "mutating", "mutants", "hostile", "consistency"})


def _wheel_target() -> dict[str, object]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return dict(config["tool"]["hatch"]["build"]["targets"]["wheel"])


def test_the_wheel_packages_the_product_alone() -> None:
    target = _wheel_target()
    assert target["packages"] == ["pytest_dcc"]
    # besides the package, only the features go in (as data of the package)
    assert target.get("force-include") == {"features": "pytest_dcc/_bundled/features"}
    assert (ROOT / "qa" / "__init__.py").is_file()  # the tooling is beside the package, outside it


def test_no_module_of_the_product_is_qa_tooling() -> None:
    """No ``stress`` package (the tooling's old home) nor any QA-only name under pytest_dcc, and no module there
    imports ``qa``, at module level or inside a function (tests/layers.py holds the same as a layer rule)."""
    named = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py") if QA_NAMES & {*p.parts[-3:-1], p.stem}]
    assert named == []
    importers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            if any(n == "qa" or n.startswith("qa.") for n in names):
                importers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert importers == []


@pytest.mark.slow
def test_the_built_wheel_holds_no_qa_tooling(tmp_path: Path) -> None:
    """Build the wheel as pip would (hatchling's PEP 517 hook) and list it: pytest_dcc and its metadata only."""
    pytest.importorskip("hatchling")
    code = "import sys, hatchling.build as b; print(b.build_wheel(sys.argv[1]))"
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, check=False, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    with zipfile.ZipFile(tmp_path / out.stdout.strip().splitlines()[-1]) as wheel:
        names = wheel.namelist()
    tops = {name.split("/")[0] for name in names}
    assert "pytest_dcc" in tops
    assert all(t == "pytest_dcc" or (t.startswith("pytest_dcc-") and t.endswith(".dist-info")) for t in tops), tops
    assert "pytest_dcc/plugin/__init__.py" in names
    assert any(name.startswith("pytest_dcc/_bundled/features/") for name in names)
    assert [n for n in names if QA_NAMES & {*n.split("/")[:-1], Path(n).stem}] == []

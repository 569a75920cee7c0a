"""The layering of ARCHITECTURE.md, enforced: neutral layers never reach into pytest or the suite side."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import pytest_dcc

PACKAGE = Path(pytest_dcc.__file__).parent
SUITE_SIDE = (
    "pytest_dcc.plugin",
    "pytest_dcc.fixtures",
    "pytest_dcc.steps",
    "pytest_dcc.suite",
    "pytest_dcc._settings",
    "pytest_dcc.transport",
    "pytest_dcc.report",
)
TEST_TOOLS = ("pytest", "_pytest", "pytest_bdd", "allure", "allure_commons", "pluggy")

#: layer -> modules it must not import (prefix match)
FORBIDDEN = {
    "spec": (*TEST_TOOLS, *SUITE_SIDE, "pytest_dcc.duis", "pytest_dcc.reference"),
    "duis": (*TEST_TOOLS, *SUITE_SIDE, "pytest_dcc.reference"),
    "reference": (*TEST_TOOLS, *SUITE_SIDE),
    "errors": (*TEST_TOOLS, "pytest_dcc."),
    # Reliability tooling drives the reference DCC and the transports, never the suite side.
    "stress": (*TEST_TOOLS, "pytest_dcc.plugin", "pytest_dcc.fixtures", "pytest_dcc.steps", "pytest_dcc.suite"),
    "transport": (
        *TEST_TOOLS,
        "pytest_dcc.reference",
        "pytest_dcc.plugin",
        "pytest_dcc.fixtures",
        "pytest_dcc.steps",
        "pytest_dcc.suite",
    ),
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _layer_files(layer: str) -> list[Path]:
    target = PACKAGE / layer
    return sorted(target.rglob("*.py")) if target.is_dir() else [PACKAGE / f"{layer}.py"]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_what_the_architecture_allows(layer: str) -> None:
    files = [f for f in _layer_files(layer) if f.exists()]
    if layer == "reference" and not files:
        pytest.skip("no reference package in this build")
    assert files, layer
    bad = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in files
        for name in sorted(_imports(path))
        if any(
            name == f or name.startswith(f + ".") or (f.endswith(".") and name.startswith(f)) for f in FORBIDDEN[layer]
        )
    ]
    assert bad == []


def test_importing_the_neutral_layers_loads_no_test_tooling() -> None:
    modules = sorted(
        "pytest_dcc." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)
        for layer in ("spec", "duis", "reference")
        for p in _layer_files(layer)
        if p.exists() and p.name != "__main__.py"
    )
    code = (
        "import sys\n"
        f"for name in {modules!r}:\n"
        "    __import__(name.removesuffix('.__init__'))\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {TEST_TOOLS!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

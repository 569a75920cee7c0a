"""The layer contracts of ARCHITECTURE.md (tests/layers.py), enforced on the package and the QA tooling beside it
(``qa``, outside the wheel) and proven able to fail: each rule is broken once in a copy of both and the checker must
name the break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from layers import LAYERS, PRODUCT, QA, check_tree, layer_of, loaded_violations, modules

import pytest_dcc
import qa

PACKAGE = Path(pytest_dcc.__file__).parent
QA_TOOLING = Path(qa.__file__).parent
ROOTS = (PACKAGE, QA_TOOLING)


def test_every_module_belongs_to_a_layer() -> None:
    lost = [name for name in modules(ROOTS) if layer_of(name) == ""]
    assert lost == []


def test_the_package_keeps_every_static_rule() -> None:
    assert [str(v) for v in check_tree(ROOTS)] == []


@pytest.mark.slow
def test_importing_each_layer_loads_only_what_its_contract_allows() -> None:
    assert [str(v) for v in loaded_violations(ROOTS)] == []


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pristine copy of the package and of qa (side by side); each planted violation works on its own copy."""
    base = tmp_path_factory.mktemp("pristine")
    for root in ROOTS:
        shutil.copytree(root, base / root.name, ignore=shutil.ignore_patterns("__pycache__", "_bundled"))
    return base


def _plant(copy: Path, tmp_path: Path, module: str, text: str) -> list[Path]:
    """A copy of both packages with ``text`` appended to ``module``; answers the roots [pytest_dcc, qa]."""
    shutil.copytree(copy, tmp_path, dirs_exist_ok=True)
    path = tmp_path.joinpath(*module.split(".")).with_suffix(".py")
    if not path.exists():
        path = path.with_suffix("") / "__init__.py"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")
    return [tmp_path / PRODUCT, tmp_path / QA]


PLANTED = {
    "reference imports the suite side": (
        "pytest_dcc.reference.dcc",
        "from pytest_dcc.suite import judging",
        "allowed",
        "imports pytest_dcc.suite.judging",
    ),
    "spec imports duis": ("pytest_dcc.spec.chism", "import pytest_dcc.duis.ids", "allowed", "pytest_dcc.duis.ids"),
    "pure reporting imports pytest": (
        "pytest_dcc.reporting.matrix",
        "def _late():\n    import pytest",
        "allowed",
        "imports pytest",
    ),
    "transport imports the reference": (
        "pytest_dcc.transport.http",
        "from pytest_dcc.reference.dcc import ReferenceDcc",
        "allowed",
        "pytest_dcc.reference.dcc",
    ),
    "a cycle through a function-level import": (
        "pytest_dcc.spec.releases",
        "def _late():\n    from pytest_dcc.spec import clauses",
        "cycle",
        "pytest_dcc.spec.clauses -> pytest_dcc.spec.releases",
    ),
    "a private name across modules": (
        "pytest_dcc.steps.wire",
        "from pytest_dcc.duis.signing import _c14n",
        "private",
        "imports _c14n from pytest_dcc.duis.signing",
    ),
    "a private module from outside its package": (
        "pytest_dcc.duis.ids",
        "from pytest_dcc.spec import _codes",
        "private",
        "pytest_dcc.spec._codes",
    ),
    "a private attribute of another module's object": (
        "pytest_dcc.reference.server",
        "def _peek(dcc):\n    return dcc._sink",
        "private",
        "reads dcc._sink",
    ),
    "the product imports the QA tooling": (
        "pytest_dcc.reporting.gate",
        "from qa.mutants import catalogue",
        "allowed",
        "imports qa.mutants",
    ),
    "the product imports the QA tooling inside a function": (
        "pytest_dcc.reference.dcc",
        "def _late():\n    import qa.serve",
        "allowed",
        "imports qa.serve",
    ),
    "reporting imports the package root": (
        "pytest_dcc.reporting.matrix",
        "from pytest_dcc import __version__",
        "allowed",
        "imports the package root",
    ),
    "the settings import pytest": ("pytest_dcc.settings", "import pytest", "allowed", "imports pytest"),
    "a wiring module other than the fixtures builds the reference": (
        "pytest_dcc.plugin.recorder",
        "from pytest_dcc.reference.setup import build_reference",
        "allowed",
        "imports pytest_dcc.reference.setup",
    ),
    "the pytest-bdd introspection imports the suite": (
        "pytest_dcc.plugin.bdd_items",
        "from pytest_dcc.suite import judging",
        "allowed",
        "imports pytest_dcc.suite.judging",
    ),
    "the driver contract imports the transport": (
        "pytest_dcc.drivers.records",
        "from pytest_dcc.transport import http",
        "allowed",
        "imports pytest_dcc.transport.http",
    ),
    "the endpoint contract imports the message library": (
        "pytest_dcc.duis.endpoint",
        "from pytest_dcc.duis import ids",
        "allowed",
        "imports pytest_dcc.duis.ids",
    ),
    "the entry points import more than the commands": (
        "pytest_dcc.cli",
        "from pytest_dcc.reference.setup import build_reference",
        "allowed",
        "imports pytest_dcc.reference.setup",
    ),
    "the fixtures import allure": ("pytest_dcc.plugin.fixtures", "import allure", "allowed", "imports allure"),
    "the DUIS driver imports a web framework": (
        "pytest_dcc.drivers.duis",
        "import starlette",
        "allowed",
        "imports starlette",
    ),
    "the QA tooling imports the suite side": (
        "qa.hostile",
        "from pytest_dcc.suite import judging",
        "allowed",
        "imports pytest_dcc.suite.judging",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(PLANTED))
def test_a_planted_violation_is_named(case: str, copy: Path, tmp_path: Path) -> None:
    module, text, rule, detail = PLANTED[case]
    found = [v for v in check_tree(_plant(copy, tmp_path, module, text)) if v.rule == rule]
    assert any(module in (v.module, *v.detail.split()) and detail in v.detail for v in found), [str(v) for v in found]


@pytest.mark.slow
def test_a_module_in_no_layer_is_named(copy: Path, tmp_path: Path) -> None:
    roots = _plant(copy, tmp_path, "pytest_dcc.errors", "")
    (roots[0] / "stray.py").write_text('"""Not in any layer."""\n', encoding="utf-8")
    assert any(v.module == "pytest_dcc.stray" and "no layer" in v.detail for v in check_tree(roots))


def test_an_edit_after_a_check_is_seen(copy: Path, tmp_path: Path) -> None:
    """The checker reads each module once per content (tests/layers.py caches the parse): a file edited after a check,
    in place, is read again, its new import and private read are named, and named no longer once it is put back."""
    roots = _plant(copy, tmp_path, "pytest_dcc.reference.server", "")
    path = roots[0] / "reference" / "server.py"
    clean = path.read_text(encoding="utf-8")

    def planted() -> list[str]:
        return [str(v) for v in check_tree(roots) if v.module == "pytest_dcc.reference.server"]

    assert planted() == []
    path.write_text(clean + "\nfrom pytest_dcc.suite import judging\ndef _peek(dcc):\n    return dcc._sink\n")
    found = planted()
    assert any("[allowed]" in v and "imports pytest_dcc.suite.judging" in v for v in found), found
    assert any("[private]" in v and "reads dcc._sink" in v for v in found), found
    path.write_text(clean, encoding="utf-8")
    assert planted() == []


def test_the_product_alone_importing_qa_is_named(copy: Path, tmp_path: Path) -> None:
    """The product checked without qa beside it (as the wheel holds it) still names an import of qa."""
    roots = _plant(copy, tmp_path, "pytest_dcc.duis.ids", "import qa.mutants.catalogue")
    found = [str(v) for v in check_tree(roots[0]) if v.rule == "allowed"]
    assert any("pytest_dcc.duis.ids" in v and "imports qa.mutants.catalogue (layer qa)" in v for v in found), found


def test_no_product_layer_may_import_qa() -> None:
    """The contracts themselves: no layer of the product lists qa (or anything in it)."""
    leaks = {
        layer: sorted(other for other in (*c.may_import, *c.typing_only) if layer_of(other) == QA)
        for layer, c in LAYERS.items()
        if layer.split(".")[0] == PRODUCT
    }
    assert {layer: names for layer, names in leaks.items() if names} == {}


@pytest.mark.slow
def test_an_eager_import_that_loads_a_forbidden_layer_is_named(copy: Path, tmp_path: Path) -> None:
    """Statically allowed (the package root may import its API), but at run time the gate would load the reference
    DCC and pytest: the fresh-interpreter rule catches what a package ``__init__`` drags in."""
    root = _plant(copy, tmp_path, "pytest_dcc", "from pytest_dcc.plugin import recorder as _recorder  # noqa")
    found = loaded_violations(root, ["pytest_dcc.reporting"])
    assert any(v.rule == "loaded" and "pytest" in v.detail for v in found), [str(v) for v in found]


def test_every_contract_names_only_known_layers() -> None:
    unknown = {(layer, other) for layer, c in LAYERS.items() for other in c.may_import if other not in LAYERS}
    assert unknown == set()


def test_every_exception_the_project_defines_is_in_the_one_tree() -> None:
    """Every exception class under pytest_dcc and qa derives from DccError, and is defined in pytest_dcc.errors."""
    import ast

    strays = []
    for name, module in modules(ROOTS).items():
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.ClassDef)
                and any(ast.unparse(b).endswith(("Error", "Exception", "Refusal", "Assertion")) for b in node.bases)
                and name != "pytest_dcc.errors"
            ):
                strays.append(f"{name}.{node.name}")
    assert strays == []
    from pytest_dcc import errors

    classes = [v for v in vars(errors).values() if isinstance(v, type) and issubclass(v, BaseException)]
    assert all(issubclass(c, errors.DccError) for c in classes if c.__module__ == errors.__name__)


def test_the_tree_drawn_in_errors_is_the_class_tree() -> None:
    """The tree in pytest_dcc.errors' docstring names every public exception class, under its own parent, and
    nothing else."""
    import re

    from pytest_dcc import errors

    drawn: dict[str, str] = {}
    parents: list[str] = []
    for line in (errors.__doc__ or "").splitlines():
        found = re.match(r"^    ([│ ]*)(?:[├└]── )?(\w+)", line)
        if found is None or not found.group(2)[0].isupper():
            continue
        depth = len(found.group(1)) // 4 + (1 if "──" in line else 0)
        parents[depth:] = [found.group(2)]
        if depth:
            drawn[found.group(2)] = parents[depth - 1]
    public = {
        n: c for n, c in vars(errors).items() if isinstance(c, type) and issubclass(c, errors.DccError) and n[0] != "_"
    }

    def parent(cls: type) -> str:
        base = next(b for b in cls.__mro__[1:] if issubclass(b, errors.DccError) or b is errors.DccError)
        return base.__name__ if not base.__name__.startswith("_") else parent(base)

    actual = {n: parent(c) for n, c in public.items() if c is not errors.DccError}
    assert drawn == actual


def test_no_module_over_500_lines_and_no_function_over_50() -> None:
    """Small enough to read: every module under 500 lines, every function under 50 (the product and qa alike)."""
    import ast

    too_big = []
    for name, module in modules(ROOTS).items():
        lines = len(module.path.read_text(encoding="utf-8").splitlines())
        if lines > 500:
            too_big.append(f"{name}: {lines} lines")
        for node in ast.walk(module.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 50:
                    too_big.append(f"{name}.{node.name}: {length} lines")
    assert too_big == []

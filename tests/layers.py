"""The layer contracts of ARCHITECTURE.md as allow-lists, and a checker that reads a package tree against them.

Every module of ``pytest_dcc`` and of ``qa`` (the QA tooling outside the wheel) belongs to exactly one layer (the
longest prefix in :data:`LAYERS`); a layer lists the layers it may import and the test tooling it may load. No layer
of the product (``pytest_dcc``) may import ``qa``. Four rules:

* ``allowed``: a module imports only its own layer, the layers its contract allows and no test tooling it is not
  allowed (every ``import``, at module level or inside a function);
* ``cycle``: the graph of imports between modules (function-level imports included, ``TYPE_CHECKING`` ones not)
  has no cycle;
* ``private``: no ``_name`` is imported from another module, and a private module (``pkg._mod``) is imported only
  from inside ``pkg``; no ``obj._attr`` is read on anything but ``self``/``cls`` or a module's own names;
* ``loaded``: importing a layer's modules in a fresh interpreter loads nothing its contract forbids (what a lazy
  import at module level or a package ``__init__`` would drag in).

``check_tree(roots)`` answers the violations of the first three; ``loaded_violations(roots)`` the fourth (``roots``:
one package folder or several, ``pytest_dcc`` and ``qa``). The tests run both on the packages as they are (no
violation) and on copies with one violation planted per rule.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

TEST_TOOLS = frozenset(
    {"pytest", "_pytest", "pytest_bdd", "allure", "allure_commons", "allure_pytest_bdd", "pluggy", "xdist"}
)
WEB = frozenset({"httpx", "starlette", "uvicorn"})
#: The project's own top-level packages: the product (the wheel) and the QA tooling beside it (a checkout only).
PRODUCT = "pytest_dcc"
QA = "qa"
PROJECT = frozenset({PRODUCT, QA})


@dataclass(frozen=True)
class Layer:
    """What the modules of one layer may import: other layers (by name in :data:`LAYERS`) and third-party tools."""

    may_import: frozenset[str]
    tools: frozenset[str] = frozenset()
    note: str = ""
    #: layers it may name only under ``TYPE_CHECKING`` (the package root's lazy public API)
    typing_only: frozenset[str] = frozenset()


def _layer(*names: str, tools: Iterable[str] = (), note: str = "", typing_only: Iterable[str] = ()) -> Layer:
    return Layer(frozenset(names), frozenset(tools), note, frozenset(typing_only))


NEUTRAL = (
    "pytest_dcc.errors",
    "pytest_dcc.spec",
    "pytest_dcc.duis",
    "pytest_dcc.duis.endpoint",
    "pytest_dcc.reporting.redaction",
)
#: The driver seam (the contract) and the bundled drivers the suite side chooses between.
_DRIVER_CONTRACT = "pytest_dcc.drivers"
_TEST_CONTROL_DRIVER = "pytest_dcc.drivers.control_over_http"
#: What the commands (outside both sides) may import: everything but the pytest wiring.
_COMMANDS_MAY_IMPORT = (
    "pytest_dcc",
    "pytest_dcc._resources",
    *NEUTRAL,
    "pytest_dcc.statement",
    "pytest_dcc.settings",
    "pytest_dcc.reference",
    "pytest_dcc.transport",
    "pytest_dcc.drivers",
    "pytest_dcc.drivers.check",
    "pytest_dcc.reporting",
    "pytest_dcc.skeleton",
)
#: layer (module prefix) -> its contract. The longest matching prefix wins.
LAYERS: dict[str, Layer] = {
    "pytest_dcc": _layer(
        "pytest_dcc._version",
        note="the package root: its version and the public API, each name imported on first use",
        typing_only=(
            "pytest_dcc.drivers",
            "pytest_dcc.errors",
            "pytest_dcc.plugin.hookspecs",
            "pytest_dcc.reporting",
            "pytest_dcc.settings",
            "pytest_dcc.statement",
        ),
    ),
    "pytest_dcc._version": _layer(note="__version__, which every layer may name (no layer imports the root for it)"),
    "pytest_dcc.errors": _layer(note="the exception tree, imported by every side"),
    "pytest_dcc._resources": _layer("pytest_dcc.errors", note="data files of the distribution"),
    "pytest_dcc.spec": _layer("pytest_dcc.errors", note="normative facts"),
    "pytest_dcc.duis": _layer("pytest_dcc.errors", "pytest_dcc.spec", note="the neutral message library"),
    "pytest_dcc.duis.endpoint": _layer(
        "pytest_dcc.errors", note="the endpoint seam: the in-process contract (HTTP-shaped), pure and typed"
    ),
    "pytest_dcc.statement": _layer(*NEUTRAL, note="the implementation statement, a document both sides read"),
    "pytest_dcc.settings": _layer(
        *NEUTRAL,
        "pytest_dcc.statement",
        "pytest_dcc.transport",
        tools=("httpx",),
        note="the options described once and the settings they give (pure: no pytest); the transport chooser",
    ),
    "pytest_dcc.reference": _layer(*NEUTRAL, tools=WEB, note="the reference DCC: never the suite side"),
    "pytest_dcc.transport": _layer(*NEUTRAL, tools=WEB, note="the suite's eyes and wire"),
    _DRIVER_CONTRACT: _layer(
        "pytest_dcc.errors",
        note="the driver seam: Capability, the Driver protocol, the records, NoDriver (never the transport or the "
        "reference)",
    ),
    "pytest_dcc.drivers.duis": _layer(
        *NEUTRAL, _DRIVER_CONTRACT, "pytest_dcc.transport", note="arrangement over DUIS, by the run's client"
    ),
    _TEST_CONTROL_DRIVER: _layer(*NEUTRAL, _DRIVER_CONTRACT, tools=WEB, note="test control over HTTP"),
    "pytest_dcc.drivers.check": _layer(*NEUTRAL, _DRIVER_CONTRACT, note="a vendor's driver checked offline"),
    "pytest_dcc.drivers.reference_control": _layer(
        *NEUTRAL, "pytest_dcc.drivers", "pytest_dcc.reference", note="test control of the in-process reference"
    ),
    "pytest_dcc.reporting": _layer(
        "pytest_dcc._version",
        "pytest_dcc._resources",
        "pytest_dcc.errors",
        "pytest_dcc.spec",
        "pytest_dcc.reporting.redaction",
        note="pure reporting",
        typing_only=("pytest_dcc.settings",),
    ),
    "pytest_dcc.reporting.redaction": _layer(
        note="how a credential is shown (pure, standard library only): every side may import it"
    ),
    "pytest_dcc.reporting.allure": _layer(
        "pytest_dcc._version",
        *NEUTRAL,
        "pytest_dcc.reporting",
        "pytest_dcc.transport",
        tools=("allure", "allure_commons", "pytest", "_pytest"),
        note="the only allure import",
    ),
    "pytest_dcc.suite": _layer(
        *NEUTRAL,
        "pytest_dcc.statement",
        "pytest_dcc.transport",
        _DRIVER_CONTRACT,
        _TEST_CONTROL_DRIVER,
        tools=("pytest", "_pytest", "httpx"),
        note="the suite's judgements and scenario state",
    ),
    "pytest_dcc.steps": _layer(
        *NEUTRAL,
        "pytest_dcc._resources",
        "pytest_dcc.transport",
        "pytest_dcc.drivers",
        "pytest_dcc.suite",
        "pytest_dcc.reporting",
        tools=("pytest", "_pytest", "pytest_bdd"),
        note="step definitions",
    ),
    "pytest_dcc.skeleton": _layer(*NEUTRAL, "pytest_dcc.transport", note="a statement skeleton read over DUIS"),
    "pytest_dcc.commands": _layer(
        *_COMMANDS_MAY_IMPORT,
        tools=(*WEB, "pytest"),
        note="the commands: wire the reference to uvicorn, run pytest, the report commands",
    ),
    "pytest_dcc.cli": _layer("pytest_dcc.errors", "pytest_dcc.commands", note="entry points: the commands only"),
}
#: The pytest wiring, the package ``pytest_dcc.plugin``: each module its own contract. The entry point (the package
#: itself) registers the others and asks the suite side; only the fixtures build the in-process reference DCC.
_PLUGIN = "pytest_dcc.plugin"
_PYTEST = ("pytest", "_pytest")
LAYERS.update(
    {
        _PLUGIN: _layer(
            "pytest_dcc._version",
            *NEUTRAL,
            "pytest_dcc.settings",
            "pytest_dcc.suite",
            "pytest_dcc.reporting",
            "pytest_dcc.reporting.allure",
            *(f"{_PLUGIN}.{m}" for m in ("options", "certification", "recorder", "xdist_lanes", "hookspecs")),
            *(f"{_PLUGIN}.{m}" for m in ("allure_compat", "step_lookup")),
            tools=_PYTEST,
            note="the pytest11 entry point: options, configure, tags as markers, the report header",
        ),
        f"{_PLUGIN}.hookspecs": _layer(
            tools=_PYTEST,
            typing_only=("pytest_dcc.settings", "pytest_dcc.drivers"),
            note="the hooks a vendor implements (pytest_dcc_driver)",
        ),
        f"{_PLUGIN}.options": _layer(
            *NEUTRAL,
            "pytest_dcc._resources",
            "pytest_dcc.settings",
            "pytest_dcc.statement",
            "pytest_dcc.transport",
            tools=_PYTEST,
            note="the --dcc-* options and ini keys read into DccSettings",
        ),
        f"{_PLUGIN}.fixtures": _layer(
            *NEUTRAL,
            "pytest_dcc._resources",
            "pytest_dcc.settings",
            "pytest_dcc.statement",
            "pytest_dcc.transport",
            "pytest_dcc.drivers",
            "pytest_dcc.drivers.duis",
            _TEST_CONTROL_DRIVER,
            "pytest_dcc.drivers.reference_control",
            "pytest_dcc.reference",
            "pytest_dcc.suite",
            "pytest_dcc.reporting",
            "pytest_dcc.reporting.allure",
            *(f"{_PLUGIN}.{m}" for m in ("options", "recorder", "xdist_lanes")),
            tools=_PYTEST,
            note="the fixtures: the only wiring that may build the in-process reference",
        ),
        f"{_PLUGIN}.recorder": _layer(
            *NEUTRAL,
            "pytest_dcc.statement",
            "pytest_dcc.reporting",
            "pytest_dcc.reporting.allure",
            f"{_PLUGIN}.bdd_items",
            f"{_PLUGIN}.options",
            tools=_PYTEST,
            note="records a verdict per scenario, writes verdicts.json and the matrix",
        ),
        f"{_PLUGIN}.certification": _layer(
            "pytest_dcc._resources",
            "pytest_dcc.errors",
            "pytest_dcc.settings",
            "pytest_dcc.suite",
            f"{_PLUGIN}.bdd_items",
            tools=(*_PYTEST, "pytest_bdd"),
            note="the computed test list and the certification run's completeness",
        ),
        f"{_PLUGIN}.xdist_lanes": _layer(
            *NEUTRAL,
            "pytest_dcc.settings",
            "pytest_dcc.suite",
            "pytest_dcc.transport",
            _DRIVER_CONTRACT,
            _TEST_CONTROL_DRIVER,
            tools=(*_PYTEST, "xdist", *WEB),
            note="pytest -n N against an endpoint: the controller's lanes and fan-out",
        ),
        f"{_PLUGIN}.bdd_items": _layer(tools=(*_PYTEST, "pytest_bdd"), note="what pytest-bdd knows of a test"),
        f"{_PLUGIN}.step_lookup": _layer(tools=(*_PYTEST, "pytest_bdd"), note="pytest-bdd's step lookup, cached"),
        f"{_PLUGIN}.allure_compat": _layer(tools=("allure_pytest_bdd",), note="allure-pytest-bdd's title path"),
        "pytest_dcc.suite.test_features": _layer(
            "pytest_dcc._resources", tools=("pytest_bdd",), note="the test module pytest collects: binds features/"
        ),
    }
)
#: The QA tooling (hostile corpus, load, consistency, serve, the mutants): outside the wheel, beside both sides. It
#: may import the product (the neutral layers, the transport, the reference DCC); nothing in the product imports it.
LAYERS[QA] = _layer(
    *NEUTRAL, "pytest_dcc.transport", "pytest_dcc.reference", tools=WEB, note="QA tooling, outside the wheel"
)
#: What a tool brings with it: allowing pytest allows what importing pytest loads.
TOOL_COMPANIONS = {"pytest": frozenset({"_pytest", "pluggy", "iniconfig"}), "pytest_bdd": frozenset({"_pytest"})}


def _tools(contract: Layer) -> frozenset[str]:
    return contract.tools.union(*(TOOL_COMPANIONS.get(t, frozenset()) for t in contract.tools))


@dataclass(frozen=True)
class Violation:
    rule: str
    module: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.module}: {self.detail}"


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    #: (imported module or name, line, inside TYPE_CHECKING)
    imports: list[tuple[str, int, bool]] = field(default_factory=list)
    private_names: list[tuple[str, str, int]] = field(default_factory=list)  # (from module, name, line)
    #: the private names the module defines, and the ``obj._name`` it reads (name, line, on self/cls, as written)
    private_defined: frozenset[str] = frozenset()
    private_reads: tuple[tuple[str, int, bool, str], ...] = ()


@dataclass(frozen=True)
class _Parsed:
    """What the rules need of one module's source: a pure function of (name, source, is_package), so cached."""

    tree: ast.Module
    imports: tuple[tuple[str, int, bool], ...]
    private_names: tuple[tuple[str, str, int], ...]
    private_defined: frozenset[str]
    private_reads: tuple[tuple[str, int, bool, str], ...]


def layer_of(module: str) -> str:
    """The layer ``module`` belongs to: the longest prefix in :data:`LAYERS` (the package root only itself)."""
    best = ""
    for prefix in LAYERS:
        covers = module == prefix or (prefix != PRODUCT and module.startswith(prefix + "."))
        if covers and len(prefix) > len(best):
            best = prefix
    return best


def _roots(roots: Path | Iterable[Path]) -> list[Path]:
    return [roots] if isinstance(roots, Path) else list(roots)


def modules(roots: Path | Iterable[Path]) -> dict[str, Module]:
    """Every module under ``roots`` (the ``pytest_dcc`` folder, the ``qa`` folder, or both), parsed."""
    found: dict[str, Module] = {}
    for root in _roots(roots):
        found.update(_modules_of(root))
    return found


def _modules_of(root: Path) -> dict[str, Module]:
    found: dict[str, Module] = {}
    for path in sorted(root.rglob("*.py")):
        if "_bundled" in path.parts:
            continue
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        parsed = _parse(name, path.read_text(encoding="utf-8"), path, is_package=path.name == "__init__.py")
        found[name] = Module(
            name,
            path,
            parsed.tree,
            list(parsed.imports),
            list(parsed.private_names),
            parsed.private_defined,
            parsed.private_reads,
        )
    return found


#: (name, source, is_package) -> what the rules read of it: a copy of the tree that differs in one file parses
#: that file again only (the path is not part of the key: a copy elsewhere with the same content is the same module).
_PARSED: dict[tuple[str, str, bool], _Parsed] = {}


def _parse(name: str, source: str, path: Path, *, is_package: bool) -> _Parsed:
    key = (name, source, is_package)
    if key not in _PARSED:
        module = Module(name, path, ast.parse(source, str(path)))
        _read_imports(module, is_package=is_package)
        _PARSED[key] = _Parsed(
            module.tree,
            tuple(module.imports),
            tuple(module.private_names),
            frozenset(_defined_private_names(module.tree)),
            tuple(_private_reads(module.tree)),
        )
    return _PARSED[key]


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return inside


def _read_imports(module: Module, *, is_package: bool) -> None:
    typing_only = _type_checking_nodes(module.tree)
    for node in ast.walk(module.tree):
        guarded = id(node) in typing_only
        if isinstance(node, ast.Import):
            module.imports.extend((alias.name, node.lineno, guarded) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module.name, node, is_package=is_package)
            for alias in node.names:
                module.imports.append((f"{base}.{alias.name}" if alias.name != "*" else base, node.lineno, guarded))
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    module.private_names.append((base, alias.name, node.lineno))


def _absolute(name: str, node: ast.ImportFrom, *, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = name.split(".") if is_package else name.split(".")[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, *([node.module] if node.module else [])])


def _target(imported: str, known: dict[str, Module]) -> str:
    """The module an import refers to (``pkg.mod.name`` -> ``pkg.mod``; a project module not read: itself)."""
    name = imported
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or imported


def _ours(imported: str) -> bool:
    return imported.split(".")[0] in PROJECT


def check_tree(roots: Path | Iterable[Path]) -> list[Violation]:
    """The violations of the ``allowed``, ``cycle`` and ``private`` rules in the packages at ``roots``."""
    known = modules(roots)
    return list(dict.fromkeys([*_allowed(known), *_cycles(known), *_private(known)]))


def _allowed(known: dict[str, Module]) -> Iterator[Violation]:
    for module in known.values():
        own = layer_of(module.name)
        if not own:
            yield Violation("allowed", module.name, "belongs to no layer: add it to tests/layers.py LAYERS")
            continue
        contract = LAYERS[own]
        for imported, line, guarded in module.imports:
            top = imported.split(".")[0]
            if top in PROJECT:
                target = _target(imported, known)
                there = layer_of(target)
                lazy = guarded and there in contract.typing_only
                if there != own and there not in contract.may_import and target != PRODUCT and not lazy:
                    yield Violation("allowed", module.name, f"line {line} imports {target} (layer {there})")
                if target == "pytest_dcc" and "pytest_dcc" not in contract.may_import and own != "pytest_dcc":
                    yield Violation("allowed", module.name, f"line {line} imports the package root")
            elif top in TEST_TOOLS | WEB and top not in _tools(contract):
                yield Violation("allowed", module.name, f"line {line} imports {imported}")


def _cycles(known: dict[str, Module]) -> Iterator[Violation]:
    graph: dict[str, set[str]] = {name: set() for name in known}
    for module in known.values():
        for imported, _, guarded in module.imports:
            target = _target(imported, known) if _ours(imported) else ""
            if target in graph and target != module.name and not guarded and not module.name.startswith(target + "."):
                graph[module.name].add(target)
    seen: set[frozenset[str]] = set()
    for component in _strongly_connected(graph):
        if len(component) > 1 and frozenset(component) not in seen:
            seen.add(frozenset(component))
            yield Violation("cycle", min(component), "import cycle: " + " -> ".join(sorted(component)))


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    found.append(component)
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def _private(known: dict[str, Module]) -> Iterator[Violation]:
    defined = _private_definitions(known)
    for module in known.values():
        for base, name, line in module.private_names:
            if base != module.name and f"{base}.{name}" not in known:
                yield Violation("private", module.name, f"line {line} imports {name} from {base}")
        for imported, line, _ in module.imports:
            target = _target(imported, known) if _ours(imported) else ""
            parent, _, leaf = target.rpartition(".")
            if leaf.startswith("_") and not leaf.startswith("__") and not _inside(module.name, parent):
                yield Violation("private", module.name, f"line {line} imports the private module {target}")
        yield from _private_attributes(module, defined)


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _private_definitions(known: dict[str, Module]) -> dict[str, set[str]]:
    """private name -> the modules that define it (functions, classes, methods, assignments, ``self._x``)."""
    defined: dict[str, set[str]] = {}
    for module in known.values():
        for name in module.private_defined:
            defined.setdefault(name, set()).add(module.name)
    return defined


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _defined_private_names(tree: ast.Module) -> Iterator[str]:
    """The private names one module defines (functions, classes, methods, assignments, ``self._x``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and _is_private(node.name):
            yield node.name
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and _is_private(node.id):
            yield node.id
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and _is_private(node.attr):
            yield node.attr


def _private_reads(tree: ast.Module) -> Iterator[tuple[str, int, bool, str]]:
    """Every ``obj._name`` in one module: (name, line, whether obj is ``self``/``cls``, the expression)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            on_self = isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}
            yield node.attr, node.lineno, on_self, "" if on_self else ast.unparse(node)


def _private_attributes(module: Module, defined: dict[str, set[str]]) -> Iterator[Violation]:
    """``obj._name`` where ``_name`` is one of this project's private names defined in another module only."""
    for attr, line, on_self, written in module.private_reads:
        if attr not in defined or module.name in defined[attr]:
            continue  # not a private name of ours, or the module's own (its own objects, or a same-named one)
        if on_self:
            continue
        where = ", ".join(sorted(defined[attr]))
        yield Violation("private", module.name, f"line {line} reads {written} (private to {where})")


def loaded_violations(roots: Path | Iterable[Path], layers: Iterable[str] | None = None) -> list[Violation]:
    """Import each layer's modules in a fresh interpreter (the parents of ``roots`` first on the path) and report
    what loads that its contract forbids: another layer's modules or test tooling."""
    folders = _roots(roots)
    known = modules(folders)
    path = ":".join(dict.fromkeys(str(root.parent) for root in folders))
    chosen = list(layers) if layers is not None else [name for name in LAYERS if name not in _EXEMPT_FROM_LOADING]
    violations: list[Violation] = []
    for layer in chosen:
        members = sorted(m for m in known if layer_of(m) == layer and not m.endswith("__main__"))
        if not members:
            continue
        code = f"import sys\nfor name in {members!r}:\n    __import__(name)\nprint('\\n'.join(sorted(sys.modules)))\n"
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=False,
            cwd=folders[0].parent,
            env={"PYTHONPATH": path, "PATH": "/usr/bin:/bin", "PYTHONSAFEPATH": ""},
        )
        if out.returncode != 0:
            violations.append(Violation("loaded", layer, f"importing it failed: {out.stderr.strip()[-500:]}"))
            continue
        contract = LAYERS[layer]
        for name in out.stdout.split():
            top = name.split(".")[0]
            if top in PROJECT and name in known:
                there = layer_of(name)
                # a package whose module the contract allows is loaded with it (its __init__, nothing more)
                parent_of_allowed = any(m.startswith(name + ".") for m in (*contract.may_import, layer))
                # importing any module loads the package root and what the root itself imports (its version)
                with_root = there in (layer, PRODUCT) or there in LAYERS[PRODUCT].may_import
                allowed = with_root or there in contract.may_import or parent_of_allowed
                if not allowed:
                    violations.append(Violation("loaded", layer, f"importing it loads {name} (layer {there})"))
            elif top in TEST_TOOLS and top not in _tools(contract) and name == top:
                violations.append(Violation("loaded", layer, f"importing it loads {name}"))
    return violations


#: The commands and the pytest wiring load what pytest loads; their static contract is what holds them.
_EXEMPT_FROM_LOADING = frozenset(
    {
        "pytest_dcc.cli",
        "pytest_dcc.commands",
        "pytest_dcc.suite.test_features",
        *(name for name in LAYERS if name == _PLUGIN or name.startswith(_PLUGIN + ".")),
    }
)

__all__ = [
    "LAYERS",
    "PRODUCT",
    "PROJECT",
    "QA",
    "TEST_TOOLS",
    "Layer",
    "Violation",
    "check_tree",
    "layer_of",
    "loaded_violations",
    "modules",
]

"""A clause is found from its ID: ``grep <ID>`` lands on its feature (the ``@clause:`` tag), the step module that
judges it and the reference service that implements it, each of which names the IDs it covers in ``CLAUSES``."""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType

import pytest

import pytest_dcc.reference.services as services
import pytest_dcc.steps as steps
from pytest_dcc._resources import features_dir
from pytest_dcc.spec.clauses import CLAUSES


def _modules(package: ModuleType) -> dict[str, ModuleType]:
    return {
        info.name: importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    }


def _naming(package: ModuleType) -> dict[str, set[str]]:
    """clause ID -> the modules of ``package`` whose ``CLAUSES`` name it."""
    found: dict[str, set[str]] = {}
    for name, module in _modules(package).items():
        for clause in getattr(module, "CLAUSES", ()):
            found.setdefault(clause, set()).add(name)
    return found


def _tagged() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in features_dir().rglob("*.feature"):
        for clause in re.findall(r"@clause:(\S+)", path.read_text(encoding="utf-8")):
            found.setdefault(clause, set()).add(path.name)
    return found


@pytest.mark.parametrize("clause", sorted(CLAUSES))
def test_a_clause_is_found_in_its_feature_steps_and_reference_service(clause: str) -> None:
    assert clause in _tagged(), f"no feature is tagged @clause:{clause}"
    assert clause in _naming(steps), f"no step module names {clause} in its CLAUSES"
    assert clause in _naming(services), f"no reference service names {clause} in its CLAUSES"


def test_every_named_clause_is_in_the_registry() -> None:
    named = set(_naming(steps)) | set(_naming(services)) | set(_tagged())
    assert named - set(CLAUSES) == set()


def test_every_service_module_says_which_clauses_it_implements() -> None:
    """A service with no clause of its own says so with an empty ``CLAUSES``; none leaves it out."""
    silent = [
        name
        for name, module in _modules(services).items()
        if name not in {"base", "devices", "catalogue"} and not hasattr(module, "CLAUSES")
    ]
    assert silent == []

"""A clause is found from its ID: ``grep <ID>`` lands on its feature (the ``@clause:`` tag), the step module that
judges it and the reference service that implements it, each of which names the IDs it covers in ``CLAUSES``."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
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


# -- docs/adding-a-clause.md: every clause wired as the guide says --------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "adding-a-clause.md"
REGISTRY = ROOT.parent / "shared" / "docs" / "sec-clauses.md"


def test_every_file_the_guide_names_exists() -> None:
    pattern = r"`((?:pytest_dcc|qa|features|tests|benchmarks)/[\w./-]+\.(?:py|feature))`"
    named = set(re.findall(pattern, GUIDE.read_text(encoding="utf-8")))
    assert named, "the guide names no file"
    missing = sorted(p for p in named if not (ROOT / p).is_file())
    assert not missing, missing


@pytest.mark.parametrize("clause", sorted(CLAUSES))
def test_a_clause_is_wired_as_the_guide_says(clause: str) -> None:
    """Step 1: a registry row; 3: a clause row (the parametrisation); 4: scenarios for both sides (at least two);
    5 and 6: steps and the reference (above); 7: a mutant of each family (tests/test_mutants.py)."""
    if REGISTRY.is_file():
        assert f"| {clause} |" in REGISTRY.read_text(encoding="utf-8"), f"{clause} has no row in the registry"
    scenarios = 0
    for path in features_dir().rglob("*.feature"):
        for chunk in re.split(r"\n(?=  @)", path.read_text(encoding="utf-8")):  # one scenario, its Examples too
            if f"@clause:{clause}" in chunk.split("\n", 1)[0]:
                rows = sum(line.startswith("      |") for line in chunk.splitlines()) - chunk.count("Examples")
                scenarios += max(rows, 1)
    assert scenarios >= 2, f"{clause}: {scenarios} scenario(s); each side of the rule needs its own"


def test_a_behaviour_flag_is_read_by_the_reference_and_broken_both_ways() -> None:
    from pytest_dcc.spec.clauses import FLAG_CLAUSES
    from qa.mutants.reference import flag_mutants

    source = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "pytest_dcc" / "reference").rglob("*.py"))
    for flag, governed in FLAG_CLAUSES.items():
        assert f'"{flag}"' in source, f"no reference service reads the flag {flag}"
        owners = [m.owners for m in flag_mutants() if m.owners & set(governed)]
        assert len(owners) == 2 and set().union(*owners) == set(governed), flag

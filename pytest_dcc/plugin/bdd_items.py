"""What pytest-bdd knows of a collected test: its scenario template, name, Examples row and feature location.

One module reads pytest-bdd's internals (the template registry, the ``_pytest_bdd_example`` parameter), so an
upgrade that moves them breaks here and in tests/test_bdd_allure_smoke.py, nowhere else.
"""

from __future__ import annotations

from typing import Any

import pytest

#: The parameter pytest-bdd 9 gives a Scenario Outline test: its Examples row.
EXAMPLE_PARAM = "_pytest_bdd_example"


def template(item: pytest.Item) -> Any:
    """pytest-bdd's ScenarioTemplate behind ``item`` (None for other tests). pytest-bdd 9 keeps it in a registry
    keyed by the generated test function; tests/test_bdd_allure_smoke.py guards this against upgrades."""
    try:
        from pytest_bdd.scenario import scenario_wrapper_template_registry
    except ImportError:  # pragma: no cover - an incompatible pytest-bdd
        return None
    function = getattr(item, "function", None)
    if function is None:
        return None
    try:
        return scenario_wrapper_template_registry.get(function)
    except TypeError:
        return None


def scenario_name(item: pytest.Item) -> str:
    name = getattr(template(item), "name", None)
    return str(name) if name else item.name


def example(item: pytest.Item) -> str:
    """The Examples row of a Scenario Outline test, as ``column=value`` pairs ("" for a plain scenario)."""
    return ", ".join(f"{k}={v}" for k, v in example_row(item).items())


def location(item: pytest.Item) -> str:
    scenario = template(item)
    feature = getattr(scenario, "feature", None)
    if scenario is not None and feature is not None:
        filename = getattr(feature, "rel_filename", None) or getattr(feature, "filename", "?")
        return f"{filename}:{getattr(scenario, 'line_number', '?')}"
    path, line, _ = item.location
    return f"{path}:{(line or 0) + 1}"


def example_row(item: pytest.Item) -> dict[str, Any]:
    """The Examples row of a Scenario Outline test (empty for a plain scenario or another test)."""
    callspec = getattr(item, "callspec", None)
    row = callspec.params.get(EXAMPLE_PARAM, {}) if callspec is not None else {}
    return row if isinstance(row, dict) else {}


__all__ = ["EXAMPLE_PARAM", "example", "example_row", "location", "scenario_name", "template"]

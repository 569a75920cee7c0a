"""Step-definition lookup for the bundled suite, gathered once per place instead of once per step.

pytest-bdd 9 finds the step definitions that match a step by asking pytest, for every registered fixture name, which
definitions are visible to the scenario, on every step (twice: once to inject, once to run). With the ~100
fixtures a pytest-dcc session has, that is about 54,000 ``getfixturedefs`` calls for the suite's 540 steps and
about a third of the whole in-process run (upstream: pytest-dev/pytest-bdd#509).

For the bundled suite's scenarios (the ``pytest_dcc.suite`` modules) the step definitions visible to a scenario
depend only on where it was collected: they come from this plugin, pytest-bdd and the user's conftest files, never
from the test item itself. So the visible step definitions are gathered once per (parent nodes, registered fixture
names) and then filtered per step exactly as pytest-bdd filters them: by step type, then by the parser. Any other
node (a user's own pytest-bdd tests in the same session) goes through pytest-bdd's own function untouched.
tests/test_bdd_allure_smoke.py runs the whole suite with both lookups side by side and requires the same answer
for every step.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_bdd.compat import get_fixture_names, getfixturedefs
from pytest_bdd.steps import StepFunctionContext, step_function_context_registry

#: The module name prefixes whose scenarios are the bundled suite's (their steps come from the plugin alone).
SUITE_MODULES: tuple[str, ...] = ("pytest_dcc.suite",)
#: The module, not the ``scenario`` function ``pytest_bdd`` exports under the same name.
bdd_scenario: Any = importlib.import_module("pytest_bdd.scenario")
_CACHE = pytest.StashKey[dict[tuple[Any, ...], list[tuple[Any, StepFunctionContext]]]]()
_ORIGINAL: Callable[..., Any] = bdd_scenario.find_fixturedefs_for_step


def _in_suite(node: Any) -> bool:
    module = getattr(node, "module", None)
    return module is not None and str(getattr(module, "__name__", "")).startswith(SUITE_MODULES)


def find_fixturedefs_for_step(step: Any, fixturemanager: Any, node: Any) -> Iterator[Any]:
    """pytest-bdd's ``find_fixturedefs_for_step``, with the visible step definitions cached for suite scenarios."""
    if not _in_suite(node):
        yield from _ORIGINAL(step=step, fixturemanager=fixturemanager, node=node)
        return
    names = tuple(get_fixture_names(fixturemanager=fixturemanager))
    key = (tuple(parent.nodeid for parent in node.listchain()[:-1]), names)
    cache = node.config.stash.setdefault(_CACHE, {})
    visible = cache.get(key)
    if visible is None:
        visible = [
            (fixturedef, context)
            for name in names
            for fixturedef in getfixturedefs(fixturemanager, name, node) or []
            if (context := step_function_context_registry.get(fixturedef.func)) is not None
        ]
        cache[key] = visible
    for fixturedef, context in visible:
        if context.type is not None and context.type != step.type:
            continue
        if context.parser.is_matching(step.name):
            yield fixturedef


def install() -> None:
    """Use the cached lookup (idempotent; :func:`uninstall` puts pytest-bdd's back)."""
    bdd_scenario.find_fixturedefs_for_step = find_fixturedefs_for_step


def uninstall() -> None:
    """Restore pytest-bdd's own lookup."""
    bdd_scenario.find_fixturedefs_for_step = _ORIGINAL


__all__ = ["find_fixturedefs_for_step", "install", "uninstall"]

"""Smoke test of the pairing the suite rests on: pytest-bdd 9 scenarios reported through allure-pytest-bdd.

Runs in a subprocess so allure's process-wide plugin manager starts clean. Fails when an upgrade of either side
changes how scenarios, steps, parameters or Gherkin tags reach the allure results.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FEATURE = """\
@smoke-tag
Feature: Pairing smoke
  Scenario: Arithmetic that holds
    Given the number 2
    When 3 is added
    Then the result is 5

  Scenario: Arithmetic that does not hold
    Given the number 2
    When 3 is added
    Then the result is 6
"""

STEPS = """\
import pytest
from pytest_bdd import given, parsers, scenarios, then, when

scenarios("smoke.feature")


@given(parsers.parse("the number {n:d}"), target_fixture="total")
def number(n):
    return n


@when(parsers.parse("{m:d} is added"), target_fixture="total")
def added(total, m):
    return total + m


@then(parsers.parse("the result is {r:d}"))
def result(total, r):
    assert total == r, f"expected {r}, got {total}"
"""


def _results(folder: Path) -> dict[str, dict[str, object]]:
    found = {}
    for path in folder.glob("*-result.json"):
        data = json.loads(path.read_text())
        found[data["name"]] = data
    return found


@pytest.mark.slow
def test_scenarios_steps_and_tags_reach_allure(pytester: pytest.Pytester) -> None:
    pytester.makefile(".feature", smoke=FEATURE)
    pytester.makepyfile(test_smoke=STEPS)
    pytester.makeini("[pytest]\nmarkers =\n    smoke-tag: smoke\n")
    out = pytester.path / "allure"
    result = pytester.runpytest_subprocess("--alluredir", str(out), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    results = _results(out)
    assert set(results) == {"Arithmetic that holds", "Arithmetic that does not hold"}
    good, bad = results["Arithmetic that holds"], results["Arithmetic that does not hold"]
    assert good["status"] == "passed" and bad["status"] == "failed"
    assert [s["name"] for s in good["steps"]] == ["Given the number 2", "When 3 is added", "Then the result is 5"]
    assert [s["status"] for s in bad["steps"]] == ["passed", "passed", "failed"]
    assert "expected 6, got 5" in bad["statusDetails"]["message"]
    assert {"name": "tag", "value": "smoke-tag"} in good["labels"]
    assert str(good["fullName"]).endswith("smoke.feature:Arithmetic that holds")


@pytest.mark.slow
def test_features_outside_the_rootdir_reach_allure(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The installed suite's features live in site-packages, outside the user's rootdir."""
    elsewhere = tmp_path_factory.mktemp("site-packages-like")
    (elsewhere / "smoke.feature").write_text(FEATURE)
    pytester.makepyfile(
        test_smoke=STEPS.replace('scenarios("smoke.feature")', f"scenarios({str(elsewhere / 'smoke.feature')!r})")
    )
    pytester.makeini("[pytest]\nmarkers =\n    smoke-tag: smoke\n")
    out = pytester.path / "allure"
    result = pytester.runpytest_subprocess(
        "--alluredir", str(out), "-p", "no:cacheprovider", f"--rootdir={pytester.path}"
    )
    result.assert_outcomes(passed=1, failed=1)
    results = _results(out)
    assert results["Arithmetic that holds"]["titlePath"][-1] == "Pairing smoke"

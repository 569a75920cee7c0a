"""The cached step-definition lookup (pytest_dcc/plugin/step_lookup.py) gives pytest-bdd's own answer for every step."""

from __future__ import annotations

import json

import pytest

#: Wraps the installed lookup: each step is looked up both ways, and the answers must be the same definitions.
CHECKER = """
import importlib
import json
import os
from pathlib import Path

import pytest

from pytest_dcc.plugin import step_lookup as _bdd_lookup

bdd_scenario = importlib.import_module("pytest_bdd.scenario")

seen = {"steps": 0, "suite": 0, "other": 0, "mismatches": []}


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    assert bdd_scenario.find_fixturedefs_for_step is _bdd_lookup.find_fixturedefs_for_step

    def checking(step, fixturemanager, node):
        ours = list(_bdd_lookup.find_fixturedefs_for_step(step, fixturemanager, node))
        theirs = list(_bdd_lookup._ORIGINAL(step=step, fixturemanager=fixturemanager, node=node))
        seen["steps"] += 1
        seen["suite" if _bdd_lookup._in_suite(node) else "other"] += 1
        if [id(d) for d in ours] != [id(d) for d in theirs]:
            seen["mismatches"].append([step.name, [d.argname for d in ours], [d.argname for d in theirs]])
        yield from theirs

    bdd_scenario.find_fixturedefs_for_step = checking


def pytest_unconfigure(config):
    Path(os.environ["LOOKUP_REPORT"]).write_text(json.dumps(seen))
"""

#: A user's own pytest-bdd test in the same session, with a step phrased like one of the suite's.
USER_FEATURE = """\
Feature: The user's own
  Scenario: Not the suite
    Given the SEC release is 2024-06
    Then my own step ran
"""

USER_STEPS = """\
from pytest_bdd import given, scenarios, then

scenarios("own.feature")


@given("the SEC release is 2024-06", target_fixture="mine")
def mine():
    return "user"


@then("my own step ran")
def ran(mine):
    assert mine == "user"
"""


@pytest.mark.slow
def test_cached_lookup_matches_pytest_bdd_for_every_step_of_the_suite(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(checker=CHECKER, test_own=USER_STEPS)
    pytester.makefile(".feature", own=USER_FEATURE)
    report = pytester.path / "lookup.json"
    monkeypatch.setenv("LOOKUP_REPORT", str(report))
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    result = pytester.runpytest_subprocess(
        "-p", "checker", "-p", "no:cacheprovider", "test_own.py", "--pyargs", "pytest_dcc.suite",
        f"--dcc-pki={pytester.path / 'pki'}", f"--dcc-report-dir={pytester.path / 'reports'}",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    seen = json.loads(report.read_text())
    assert seen["mismatches"] == []
    assert seen["suite"] > 400 and seen["other"] >= 2, seen


def test_the_lookup_is_pytest_bdds_own_outside_a_session(pytester: pytest.Pytester) -> None:

    from pytest_dcc.plugin import step_lookup as _bdd_lookup

    pytester.makepyfile("def test_nothing():\n    pass\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert _bdd_lookup.bdd_scenario.find_fixturedefs_for_step is _bdd_lookup._ORIGINAL

"""What the suite does around a scenario's steps, whatever runs them: it learns its own Given steps and which
requests are under test as its steps start, and checks, once it finished, that no second different answer came for
one of its requests. The plugin's pytest-bdd hooks only hand the scenario over (:mod:`pytest_dcc.plugin`)."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from pytest_dcc.drivers import unrecorded
from pytest_dcc.suite.context import Scenario
from pytest_dcc.suite.frame import WHOLE_FRAME, judges_frame, reached


def scenario_of(request: pytest.FixtureRequest) -> Scenario | None:
    """The scenario's state when it is one of the suite's (its ``dcc_scenario`` fixture), else None."""
    try:
        evidence = request.getfixturevalue("dcc_scenario")
    except pytest.FixtureLookupError:
        return None
    return evidence if isinstance(evidence, Scenario) else None


def step_starting(evidence: Scenario, scenario: Any, step: Any) -> None:
    """The scenario learns its own Given steps (to decide the statuses they ask for together), and which requests are
    under test: from a When step on (the frame check's origin is taken as the first starts), not a Then step's."""
    if not evidence.steps:
        evidence.steps = tuple(s.name for s in scenario.steps if s.type == "given")
        then = reached(
            [s.name for s in scenario.steps if s.type == "then"], unrecorded(evidence.target.driver).capabilities
        )
        evidence.judged_frame = any(judges_frame(text) for text in then)
        evidence.whole_frame = any(WHOLE_FRAME.match(text) for text in then)
    if step.type == "when":
        evidence.act()
    elif step.type == "then":
        evidence.judge()


def scenario_finished(evidence: Scenario) -> None:
    """A scenario that otherwise finished is an ERROR if a second, different response to one of its requests came
    under the identity of one it received; an identical re-delivery (at-least-once delivery) is reported only.
    Skipped while an exception is on its way out: that one is the verdict."""
    if sys.exc_info()[1] is not None or not evidence.exchanges:
        return
    inbox = evidence.target.inbox  # waits only where a response just came, until a second one does
    inbox.check_no_duplicates([e.request.request_id for e in evidence.exchanges])
    for exchange in evidence.exchanges:  # late identical re-deliveries: reported, no error
        evidence.report_redeliveries(exchange.request.request_id)


__all__ = ["scenario_finished", "scenario_of", "step_starting"]

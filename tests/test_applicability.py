"""Applicability decided in one place (pytest_dcc.suite.applicability): the clause's release first, then the
release tags, then the statement's SRVs."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_dcc.statement import Statement
from pytest_dcc.suite.applicability import check_release_tag, not_applicable


def _statement(srvs: set[str]) -> Statement:
    return Statement(Path("vendor.yaml"), "2025-11", None, {}, dict.fromkeys(srvs, (8,)), {})


def test_a_clause_not_normative_at_the_claimed_release_rules_first() -> None:
    reason = not_applicable(
        clauses=["MP081-DUIS-3.8.106.3"],
        release_tags=["from-2025-11"],
        srvs=["8.14.2"],
        claimed="2020-06",
        statement=None,
    )
    assert reason is not None and "not normative before MP081" in reason


def test_a_release_tag_then_narrows() -> None:
    reason = not_applicable(clauses=[], release_tags=["before-2024-06"], srvs=[], claimed="latest", statement=None)
    assert reason == "the scenario applies before the 2024-06 release; the endpoint claims 2025-11"


def test_the_statement_rules_on_undeclared_srvs_of_a_scenario_only() -> None:
    statement = _statement({"8.2"})
    args = {"clauses": ["MP081-DUIS-3.8.106.3"], "release_tags": [], "srvs": ["8.14.2"], "claimed": "2025-11"}
    assert not_applicable(**args, statement=statement) == (
        "the implementation statement vendor.yaml does not declare SRV 8.14.2"
    )
    assert not_applicable(**args, statement=statement, scenario=False) is None
    assert not_applicable(**args, statement=_statement({"8.14.2"})) is None


@pytest.mark.parametrize("tag", ["from-2030-01", "after-2024-06", "from-"])
def test_a_bad_release_tag_is_refused(tag: str) -> None:
    with pytest.raises(ValueError, match="release"):
        check_release_tag(tag)

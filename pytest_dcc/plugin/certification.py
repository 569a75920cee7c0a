"""Applicability (release tags, the statement's SRVs), the computed test list (``test-list.json``) and the
certification check that the run covers the whole bundled suite."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_dcc._resources import features_dir
from pytest_dcc.plugin import bdd_items as bdd
from pytest_dcc.settings import DccSettings
from pytest_dcc.suite.applicability import not_applicable
from pytest_dcc.suite.certification_rules import incompleteness, run_refusal


def scenario_srvs(item: pytest.Item) -> list[str]:
    """The SRVs a scenario exercises: its ``@srv:`` tags (in SRV order: pytest-bdd keeps tags in a set, whose order
    changes with the hash seed) and an Examples column named ``srv``."""
    srvs = sorted({str(m.args[0]) for m in item.iter_markers("dcc_srv")}, key=_srv_order)
    example = bdd.example_row(item)
    if example.get("srv"):
        srvs.append(str(example["srv"]))
    return srvs


def _srv_order(srv: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in srv.split("."))


def not_applicable_reason(item: pytest.Item, settings: DccSettings) -> str | None:
    """Why ``item`` does not apply to the endpoint (:func:`pytest_dcc.suite.applicability.not_applicable`), or None."""
    return not_applicable(
        clauses=sorted({str(m.args[0]) for m in item.iter_markers("dcc_clause")}),
        release_tags=[str(m.args[0]) for m in item.iter_markers("dcc_release")],
        srvs=scenario_srvs(item),
        claimed=settings.release,
        statement=settings.statement,
        scenario=bdd.template(item) is not None,
    )


def bundled_scenarios() -> Counter[tuple[str, str]]:
    """(feature path relative to features/, scenario name) -> how many tests pytest-bdd makes of it."""
    from pytest_bdd.parser import FeatureParser

    base = features_dir()
    found: Counter[tuple[str, str]] = Counter()
    for path in sorted(base.rglob("*.feature")):
        feature = FeatureParser(str(base), str(path.relative_to(base))).parse()
        for name, scenario in feature.scenarios.items():
            rows = sum(len(examples.examples) for examples in scenario.examples)
            found[(path.relative_to(base).as_posix(), name)] += max(rows, 1)
    return found


def _collected_key(item: pytest.Item) -> tuple[str, str] | None:
    template = bdd.template(item)
    if template is None:
        return None
    filename = Path(str(getattr(template.feature, "filename", "")))
    try:
        relative = filename.resolve().relative_to(features_dir().resolve()).as_posix()
    except ValueError:
        relative = filename.as_posix()
    return relative, str(template.name)


@dataclass(eq=False)  # a pytest plugin object must stay hashable
class TestListWriter:
    """Writes ``test-list.json`` after collection and, in certification mode, checks the run is complete."""

    __test__ = False
    report_dir: Path
    settings: DccSettings

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        entries: list[dict[str, Any]] = []
        for item in session.items:
            if bdd.template(item) is None:
                continue
            reason = not_applicable_reason(item, self.settings)
            entries.append(
                {
                    "id": item.nodeid,
                    "name": bdd.scenario_name(item),
                    "location": bdd.location(item),
                    "clauses": sorted({str(m.args[0]) for m in item.iter_markers("dcc_clause")}),
                    "srvs": scenario_srvs(item),
                    "applicable": reason is None,
                    "reason": reason or "",
                }
            )
        worker = getattr(session.config, "workerinput", None)
        if not entries or (worker is not None and worker.get("workerid") != "gw0"):
            return  # under pytest-xdist every worker collects the same list; one writes it
        self.report_dir.mkdir(parents=True, exist_ok=True)
        document = {
            "release": self.settings.release,
            "statement": str(self.settings.statement.path) if self.settings.statement else None,
            "mode": self.settings.mode,
            "scenarios": entries,
        }
        (self.report_dir / "test-list.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        if self.settings.mode == "certification":
            self._check_complete(session)

    def _check_complete(self, session: pytest.Session) -> None:
        collected: Counter[tuple[str, str]] = Counter(k for k in map(_collected_key, session.items) if k)
        problem = incompleteness(bundled_scenarios(), collected)
        if problem:
            raise pytest.UsageError(problem)


def check_certification_run(config: pytest.Config, settings: DccSettings) -> None:
    """Certification runs the whole computed list (:func:`pytest_dcc.suite.certification_rules.run_refusal`)."""
    used = {
        "-k": config.getoption("keyword", ""),
        "-m": config.getoption("markexpr", ""),
        "--deselect": config.getoption("deselect", None),
        "--last-failed": config.getoption("lf", False),
        "--maxfail/-x": config.getoption("maxfail", 0),
        "--dcc-expected-failures": settings.expected_failures.path,
    }
    refusal = run_refusal(used, settings.statement)
    if refusal:
        raise pytest.UsageError(refusal)


__all__ = ["TestListWriter", "bundled_scenarios", "check_certification_run", "not_applicable_reason", "scenario_srvs"]

"""Verdicts: what each scenario says about the endpoint, and ``verdicts.json``.

* PASS: the endpoint behaved as the claimed release requires.
* FAIL: it answered, wrongly: an :class:`~pytest_dcc.errors.EndpointAssertion` on its answer or on the state it left.
* ERROR: the endpoint could not be judged: transport, signature, schema, timeout, or a harness failure (a plain
  ``AssertionError`` included: only an EndpointAssertion is a judgement on the endpoint).
* NOT_APPLICABLE: the release, the statement or the available driver rule the scenario out (with the reason).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Generator, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import pytest

from pytest_dcc import __version__
from pytest_dcc.errors import EndpointAssertion, NotApplicableError, SessionCheckError, TransportError
from pytest_dcc.statement import ExpectedFailures

PASS: Final = "PASS"
FAIL: Final = "FAIL"
ERROR: Final = "ERROR"
NOT_APPLICABLE: Final = "NOT_APPLICABLE"
KNOWN_FAILURE: Final = "KNOWN_FAILURE"
UNEXPECTED_PASS: Final = "UNEXPECTED_PASS"
#: Worst first: the roll-up of a clause is the worst verdict of its scenarios.
SEVERITY: Final = (ERROR, UNEXPECTED_PASS, FAIL, KNOWN_FAILURE, PASS, NOT_APPLICABLE)
NA_PREFIX: Final = "NOT_APPLICABLE: "


@dataclass
class ScenarioRecord:
    """What one scenario did beside its verdict: findings it reported without judging them, the driver and the
    driver capabilities it used (none for a driver that works over DUIS)."""

    reports: list[str] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    driver: str = ""
    #: What undoes the changes the scenario made on an endpoint that is not reset between scenarios, run after it
    #: whatever its verdict (latest first).
    undo: list[Any] = field(default_factory=list)


#: Where a scenario's record is kept for the recorder.
RECORD_KEY: Final = pytest.StashKey[ScenarioRecord]()


@dataclass
class ScenarioVerdict:
    """One scenario's verdict with where it comes from."""

    id: str
    name: str
    location: str
    clauses: list[str]
    verdict: str
    message: str = ""
    duration_s: float = 0.0
    example: str = ""  # an outline row: its Examples values ("chf=Pending, gpf=Pending, ...")
    driver: str = ""  # the driver that arranged the scenario
    capabilities: list[str] = field(default_factory=list)  # driver capabilities it used beyond DUIS
    needs: str = ""  # NOT_APPLICABLE for want of this driver capability
    self_check: bool = False  # the suite's check of its own requests (@wire), not a verdict on the endpoint
    allure_id: str = ""  # the scenario's test result in the Allure report (``index.html#/<id>``)


def classify(exc: BaseException | None, *, clause_scenario: bool = True) -> str:
    """The verdict an exception raised while running a scenario stands for. In a scenario that judges a clause
    only an EndpointAssertion is a FAIL; a user's own Gherkin scenario (no ``@clause:`` tag), whose steps know
    nothing of it, fails on any AssertionError as pytest would have it."""
    if exc is None:
        return PASS
    if isinstance(exc, NotApplicableError):
        return NOT_APPLICABLE
    if isinstance(exc, EndpointAssertion) or (not clause_scenario and isinstance(exc, AssertionError)):
        return FAIL
    return ERROR  # TransportError, a harness assert and anything else: the endpoint was not judged


@dataclass(eq=False)  # a pytest plugin object must stay hashable
class VerdictRecorder:
    """Collects verdicts during the run and writes ``verdicts.json`` at the end."""

    report_dir: Path
    metadata: dict[str, Any]
    expected: ExpectedFailures = field(default_factory=lambda: ExpectedFailures(None))
    allure_results: Path | None = None  # --alluredir, when allure writes results
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    scenarios: dict[str, ScenarioVerdict] = field(default_factory=dict)

    # trylast: inside allure-pytest-bdd's wrapper, which must see the report as the verdict leaves it.
    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        if _template(item) is None:
            return  # not a Gherkin scenario: the project's own tests and plain tests are left alone
        exc = call.excinfo.value if call.excinfo is not None else None
        verdict = None
        if report.skipped:
            verdict = NOT_APPLICABLE
            message = _skip_reason(report).removeprefix(NA_PREFIX)
        elif exc is not None:
            verdict = classify(exc, clause_scenario=item.get_closest_marker("dcc_clause") is not None)
            message = f"{type(exc).__name__}: {exc}".strip()
            if verdict == NOT_APPLICABLE:
                message = str(exc)  # the reason; the verdict already says NOT_APPLICABLE
            if isinstance(exc, SessionCheckError):  # said once at the end of the run, not once per scenario
                report.longrepr = f"{type(exc).__name__}: {exc}"
            if verdict == NOT_APPLICABLE:
                report.outcome = "skipped"
                report.longrepr = (str(item.path), item.location[1] or 0, f"{NA_PREFIX}{exc}")
        elif report.when == "call":
            verdict, message = PASS, ""
        if verdict is None:
            return
        clauses = [str(m.args[0]) for m in item.iter_markers("dcc_clause")]
        verdict, message = self._expectation(item, report, verdict, message, clauses)
        record = item.stash.get(RECORD_KEY, None) or ScenarioRecord()
        if record.reports:  # findings the scenario reports without judging them go with the verdict
            message = " | ".join([*([message] if message else []), *(f"reported: {r}" for r in record.reports)])
        needs = getattr(exc, "capability", None) if verdict == NOT_APPLICABLE else None
        allure_id = ""
        if self.allure_results is not None:
            from pytest_dcc.reporting.allure import CLAUSE_TRACE_MARK, add_verdict, result_id

            add_verdict(verdict)
            allure_id = result_id(item) or ""
            if verdict == FAIL:  # categories.json sorts FAILs by clause on this line of the trace
                report.longrepr = f"{report.longreprtext}\n{CLAUSE_TRACE_MARK.format(', '.join(clauses))}"
        # Everything the verdict needs travels on the report, so that under pytest-xdist the controller, which
        # sees reports but not items, records it the same way (pytest_runtest_logreport below).
        properties = [
            ("dcc_verdict", verdict),
            ("dcc_name", _scenario_name(item)),
            ("dcc_example", _example(item)),
            ("dcc_location", _location(item)),
            ("dcc_clauses", ",".join(clauses)),
            ("dcc_message", message.splitlines()[0][:1500] if message else ""),
            ("dcc_driver", record.driver),
            ("dcc_used", ",".join(sorted(record.used))),
            ("dcc_needs", needs or ""),
            ("dcc_self_check", "1" if item.get_closest_marker("wire") is not None else ""),
            ("dcc_allure_id", allure_id),
            ("dcc_session_check", message if isinstance(exc, SessionCheckError) else ""),
        ]
        report.user_properties.extend(properties)
        # The JUnit XML takes a test's properties from its teardown report, which is made from the item's.
        item.user_properties.extend([*(("clause", c) for c in clauses), *properties])

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        verdict = props.get("dcc_verdict")
        if verdict is None:
            return
        previous = self.scenarios.get(report.nodeid)
        if previous is not None and SEVERITY.index(previous.verdict) <= SEVERITY.index(str(verdict)):
            return  # keep the worse verdict (a teardown error after a pass, for example)
        clauses = str(props.get("dcc_clauses", ""))
        self.scenarios[report.nodeid] = ScenarioVerdict(
            id=report.nodeid,
            name=str(props.get("dcc_name", report.nodeid)),
            location=str(props.get("dcc_location", "")),
            clauses=clauses.split(",") if clauses else [],
            verdict=str(verdict),
            message=str(props.get("dcc_message", "")),
            duration_s=round(report.duration, 4),
            example=str(props.get("dcc_example", "")),
            driver=str(props.get("dcc_driver", "")),
            capabilities=[c for c in str(props.get("dcc_used", "")).split(",") if c],
            needs=str(props.get("dcc_needs", "")),
            self_check=bool(props.get("dcc_self_check")),
            allure_id=str(props.get("dcc_allure_id", "")) or (previous.allure_id if previous else ""),
        )

    def _expectation(
        self, item: pytest.Item, report: pytest.TestReport, verdict: str, message: str, clauses: list[str]
    ) -> tuple[str, str]:
        """Apply the expected-failures file: FAIL -> KNOWN_FAILURE, PASS -> UNEXPECTED_PASS (fails the run)."""
        entry = self.expected.find(item.nodeid, _scenario_name(item), clauses)
        if entry is None or verdict not in (FAIL, PASS):
            return verdict, message
        if not entry.active(self.today):
            return verdict, f"(expected-failure entry {entry.id!r} expired on {entry.expires}) {message}".strip()
        label = f"{entry.reason}" + (f" [{entry.ticket}]" if entry.ticket else "")
        if verdict == FAIL:
            report.outcome = "skipped"
            report.wasxfail = f"KNOWN_FAILURE: {label}"
            return KNOWN_FAILURE, f"{label}: {message}"
        report.outcome = "failed"
        report.longrepr = f"UNEXPECTED_PASS: listed as an expected failure ({label}) but it passed"
        return UNEXPECTED_PASS, f"listed as an expected failure ({label}) but it passed"

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        verdict = dict(getattr(report, "user_properties", ())).get("dcc_verdict")
        if verdict == ERROR and report.failed:
            return "error", "E", ERROR
        if verdict == NOT_APPLICABLE and report.skipped:
            return "skipped", "n", NOT_APPLICABLE
        if verdict == KNOWN_FAILURE:
            return "xfailed", "k", KNOWN_FAILURE
        if verdict == UNEXPECTED_PASS:
            return "failed", "U", UNEXPECTED_PASS
        return None

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> Generator[None, Any, None]:
        """Say a failed session check once, instead of once per scenario in the error sections (their count
        stays in the last line), and keep the suite's self-checks apart from the verdicts on the endpoint."""
        stats = terminalreporter.stats
        errors = list(stats.get("error", []))
        unjudged = [r for r in errors if dict(getattr(r, "user_properties", ())).get("dcc_session_check")]
        if unjudged:
            stats["error"] = [r for r in errors if r not in unjudged]
            terminalreporter.section("pytest-dcc: the endpoint was not judged", sep="=", red=True, bold=True)
            causes: dict[str, int] = {}
            for report in unjudged:
                cause = str(dict(report.user_properties)["dcc_session_check"])
                causes[cause] = causes.get(cause, 0) + 1
            for cause, count in causes.items():
                terminalreporter.write_line(f"{cause}")
                terminalreporter.write_line(f"  -> {count} scenario(s) recorded as ERROR in the reports")
        if self.scenarios:
            endpoint = _said(_tally(v for v in self.scenarios.values() if not v.self_check))
            own = _said(_tally(v for v in self.scenarios.values() if v.self_check))
            terminalreporter.write_line(f"pytest-dcc verdicts on the endpoint: {endpoint or 'none'}")
            if own:
                terminalreporter.write_line(f"pytest-dcc self-checks of the suite's own requests: {own}")
        try:
            yield
        finally:
            if unjudged:
                stats["error"] = errors  # the last line counts them

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.scenarios and not hasattr(session.config, "workerinput"):  # the xdist controller writes, not workers
            self.write()

    def document(self) -> dict[str, Any]:
        """The verdicts.json content."""
        clauses: dict[str, dict[str, Any]] = {}
        for verdict in self.scenarios.values():
            for clause in verdict.clauses:
                entry = clauses.setdefault(clause, {"verdict": NOT_APPLICABLE, "scenarios": 0, "counts": {}})
                entry["scenarios"] += 1
                entry["counts"][verdict.verdict] = entry["counts"].get(verdict.verdict, 0) + 1
                if SEVERITY.index(verdict.verdict) < SEVERITY.index(entry["verdict"]):
                    entry["verdict"] = verdict.verdict
        verdicts = list(self.scenarios.values())
        totals = _tally(verdicts)
        endpoint = _tally(v for v in verdicts if not v.self_check)
        own = _tally(v for v in verdicts if v.self_check)
        finished = datetime.now(UTC).isoformat(timespec="seconds")
        return {
            "run": {
                **self.metadata,
                "finished": finished,
                "totals": totals,
                "endpoint_totals": endpoint,  # the verdicts on the endpoint
                "self_check_totals": own,  # the suite's checks of its own requests, apart from them
            },
            "scenarios": [asdict(v) for v in self.scenarios.values()],
            "clauses": dict(sorted(clauses.items())),
        }

    def write(self) -> Path:
        """Write ``verdicts.json`` and the clause matrix (Markdown, HTML) into the report directory, and the
        results metadata into allure's results directory."""
        from pytest_dcc.reporting import matrix

        self.report_dir.mkdir(parents=True, exist_ok=True)
        document = self.document()
        path = self.report_dir / "verdicts.json"
        path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        table = matrix.build([document])
        page = matrix.to_html(table, allure_report=None)  # dcc-conformance links it once the HTML report exists
        (self.report_dir / "clause-matrix.md").write_text(
            matrix.to_markdown(table, allure_report=None), encoding="utf-8"
        )
        (self.report_dir / "clause-matrix.html").write_text(page, encoding="utf-8")
        if self.allure_results is not None:
            from pytest_dcc.reporting.allure import write_results_metadata

            write_results_metadata(self.allure_results, document, page)
        return path


def _tally(verdicts: Iterable[ScenarioVerdict]) -> dict[str, int]:
    """How many scenarios have each verdict (in order of first appearance, as verdicts.json always had it)."""
    return dict(Counter(v.verdict for v in verdicts))


def _said(counts: Mapping[str, int]) -> str:
    """``12 PASS, 3 NOT_APPLICABLE``, worst first."""
    return ", ".join(f"{counts[v]} {v}" for v in SEVERITY if v in counts)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
        return reason.removeprefix("Skipped: ")
    return str(longrepr)


def _template(item: pytest.Item) -> Any:
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


def _scenario_name(item: pytest.Item) -> str:
    name = getattr(_template(item), "name", None)
    return str(name) if name else item.name


def _example(item: pytest.Item) -> str:
    """The Examples row of a Scenario Outline test, as ``column=value`` pairs ("" for a plain scenario)."""
    callspec = getattr(item, "callspec", None)
    row = callspec.params.get("_pytest_bdd_example", {}) if callspec is not None else {}
    return ", ".join(f"{k}={v}" for k, v in row.items()) if isinstance(row, dict) else ""


def _location(item: pytest.Item) -> str:
    scenario = _template(item)
    feature = getattr(scenario, "feature", None)
    if scenario is not None and feature is not None:
        filename = getattr(feature, "rel_filename", None) or getattr(feature, "filename", "?")
        return f"{filename}:{getattr(scenario, 'line_number', '?')}"
    path, line, _ = item.location
    return f"{path}:{(line or 0) + 1}"


def run_metadata(settings: Any) -> dict[str, Any]:
    """What the run was: suite version and hashes, mode, release claimed, endpoint, schema, statement, command
    line."""
    from pytest_dcc.reporting.integrity import sha256_file, suite_digest

    statement = settings.statement
    digest = suite_digest()
    return {
        "suite_version": __version__,
        "suite_sha256": digest["suite_sha256"],
        "feature_sha256": digest["features"],
        "mode": settings.mode,
        "statement": str(statement.path) if statement is not None else None,
        "statement_sha256": sha256_file(statement.path) if statement is not None else None,
        "release": settings.release,
        "endpoint": settings.endpoint or "in-process reference DCC",
        "schema_version": settings.schema_version,
        "schema": str(settings.xsd) if settings.xsd else "embedded",
        "user_id": settings.user_id,
        "command_line": sys.argv,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }


__all__ = [
    "ERROR",
    "FAIL",
    "KNOWN_FAILURE",
    "UNEXPECTED_PASS",
    "NOT_APPLICABLE",
    "PASS",
    "RECORD_KEY",
    "ScenarioRecord",
    "ScenarioVerdict",
    "TransportError",
    "VerdictRecorder",
    "classify",
    "run_metadata",
]

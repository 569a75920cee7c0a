"""The pytest plugin that records a verdict for every Gherkin scenario and writes ``verdicts.json`` and the clause
matrix at the end (the model is :mod:`pytest_dcc.reporting.verdicts`; what pytest-bdd knows of a test,
:mod:`pytest_dcc.plugin.bdd_items`)."""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import pytest

from pytest_dcc.errors import DccError, SessionCheckError
from pytest_dcc.plugin import bdd_items as bdd
from pytest_dcc.plugin.options import SETTINGS_KEY
from pytest_dcc.reporting import matrix
from pytest_dcc.reporting.redaction import Redactor
from pytest_dcc.reporting.verdicts import (
    ERROR,
    FAIL,
    JUNIT_VERDICT,
    KNOWN_FAILURE,
    NA_PREFIX,
    NOT_APPLICABLE,
    PASS,
    SESSION_CHECK,
    SEVERITY,
    UNEXPECTED_PASS,
    ScenarioRecord,
    ScenarioVerdict,
    carried,
    classify,
    document,
    read_verdict,
    said,
    tally,
    verdict_property,
)
from pytest_dcc.statement import ExpectedFailures

#: The modules of the test runner (a module's top-level package): a verdict's trace starts past their frames.
_RUNNER: Final = frozenset({"pluggy", "_pytest", "pytest", "pytest_bdd", "allure_pytest_bdd", "allure_commons"})
#: The options that ask for pytest's own rendering of a failure (besides a ``--tb`` style): every frame, the locals.
_OWN_RENDERING: Final = ("fulltrace", "showlocals")


def verdict_report(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
    """pytest's report of a scenario's phase that ended in one of pytest-dcc's exceptions (a FAIL, an ERROR the
    endpoint caused, a NOT_APPLICABLE), its trace in Python's own form from the step (or fixture) that raised it
    (None: pytest makes the report). pytest's default rendering parses the module of every frame, pytest's and
    pytest-bdd's included: a quarter of a second per scenario, 40 s for a run whose every scenario is an ERROR.
    ``--tb``, ``--fulltrace`` or ``-l`` (``--showlocals``) given: pytest's rendering, as asked."""
    excinfo = call.excinfo
    if excinfo is None or not isinstance(excinfo.value, DccError) or bdd.template(item) is None:
        return None
    config = item.config
    if config.getoption("tbstyle", "auto") != "auto" or any(config.getoption(o, False) for o in _OWN_RENDERING):
        return None
    report = pytest.TestReport.from_item_and_call(item, pytest.CallInfo.from_call(lambda: None, when=call.when))
    report.outcome = "failed"
    entries = excinfo.traceback  # from the first frame past the test runner's: the step, or the fixture
    first = next((n for n, e in enumerate(entries) if _package(e.frame.f_globals) not in _RUNNER), len(entries))
    excinfo.traceback = entries[first:]
    report.longrepr = excinfo.getrepr(style="native")  # as Python prints it, with the crash line pytest summarises
    report.duration, report.start, report.stop = call.duration, call.start, call.stop
    return report


def _package(names: dict[str, Any]) -> str:
    return str(names.get("__name__", "")).split(".")[0]


#: Where a scenario's record is kept for the recorder.
RECORD_KEY: Final = pytest.StashKey[ScenarioRecord]()
_REDACTOR_KEY: Final = pytest.StashKey[Redactor]()


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
        if bdd.template(item) is None:
            return  # not a Gherkin scenario: the project's own tests and plain tests are left alone
        redactor = _redactor(item.config)
        self._record(item, report, call, redactor)
        # What pytest, allure, the JUnit XML and xdist show of this phase: never the run's credentials.
        _scrub(report, redactor)

    def _record(
        self, item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo[None], redactor: Redactor
    ) -> None:
        exc = call.excinfo.value if call.excinfo is not None else None
        found = _raw_verdict(item, report, exc)
        if found is None:
            return
        verdict, message = found
        clauses = sorted({str(m.args[0]) for m in item.iter_markers("dcc_clause")})
        verdict, message = self._expectation(item, report, verdict, message, clauses)
        record = item.stash.get(RECORD_KEY, None) or ScenarioRecord()
        if record.reports:  # findings the scenario reports without judging them go with the verdict
            message = " | ".join([*([message] if message else []), *(f"reported: {r}" for r in record.reports)])
        message = redactor.text(message)  # an exception's message can carry the endpoint's URL, credentials and all
        needs = getattr(exc, "capability", None) if verdict == NOT_APPLICABLE else None
        allure_id = self._allure(item, report, verdict, clauses)
        # The verdict travels on the report as one property, so that under pytest-xdist the controller, which sees
        # reports but not items, records it the same way (pytest_runtest_logreport below).
        found_verdict = ScenarioVerdict(
            id=item.nodeid,
            name=bdd.scenario_name(item),
            location=bdd.location(item),
            clauses=clauses,
            verdict=verdict,
            message=message.splitlines()[0][:1500] if message else "",
            example=bdd.example(item),
            driver=record.driver,
            capabilities=sorted(record.used),
            needs=needs or "",
            self_check=item.get_closest_marker("wire") is not None,
            allure_id=allure_id,
        )
        carrier = verdict_property(found_verdict, message if isinstance(exc, SessionCheckError) else "")
        report.user_properties.append(carrier)
        # The JUnit XML takes a test's properties from its teardown report, which is made from the item's.
        item.user_properties.extend([*(("clause", c) for c in clauses), (JUNIT_VERDICT, verdict), carrier])

    def _allure(self, item: pytest.Item, report: pytest.TestReport, verdict: str, clauses: list[str]) -> str:
        """Give allure the verdict (FAILs sorted by clause): the scenario's allure result ID ("" without allure)."""
        if self.allure_results is None:
            return ""
        from pytest_dcc.reporting.allure import CLAUSE_TRACE_MARK, add_verdict, result_id

        add_verdict(verdict)
        allure_id = result_id(item) or ""
        if verdict == FAIL:  # categories.json sorts FAILs by clause on this line of the trace
            mark = CLAUSE_TRACE_MARK.format(", ".join(clauses))
            sections = getattr(report.longrepr, "addsection", None)
            if sections is not None:  # a section after the trace: pytest's one-line summary keeps the exception's
                sections("the clauses", mark)
            else:
                report.longrepr = f"{report.longreprtext}\n{mark}"
        return allure_id

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        fields = carried(report.user_properties)
        if fields is None:
            return
        previous = self.scenarios.get(report.nodeid)
        found = read_verdict(fields, report.nodeid, report.duration)
        if previous is not None and SEVERITY.index(previous.verdict) <= SEVERITY.index(found.verdict):
            return  # keep the worse verdict (a teardown error after a pass, for example)
        if not found.allure_id and previous is not None:
            found.allure_id = previous.allure_id
        self.scenarios[report.nodeid] = found

    def _expectation(
        self, item: pytest.Item, report: pytest.TestReport, verdict: str, message: str, clauses: list[str]
    ) -> tuple[str, str]:
        """Apply the expected-failures file: FAIL -> KNOWN_FAILURE, PASS -> UNEXPECTED_PASS (fails the run)."""
        entry = self.expected.find(item.nodeid, bdd.scenario_name(item), clauses)
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
        verdict = (carried(getattr(report, "user_properties", ())) or {}).get("verdict")
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
        unjudged = [r for r in errors if _session_check(r)]
        if unjudged:
            stats["error"] = [r for r in errors if r not in unjudged]
            terminalreporter.section("pytest-dcc: the endpoint was not judged", sep="=", red=True, bold=True)
            causes: dict[str, int] = {}
            for report in unjudged:
                cause = _session_check(report)
                causes[cause] = causes.get(cause, 0) + 1
            for cause, count in causes.items():
                terminalreporter.write_line(f"{cause}")
                terminalreporter.write_line(f"  -> {count} scenario(s) recorded as ERROR in the reports")
        if self.scenarios:
            endpoint = said(tally(v for v in self.scenarios.values() if not v.self_check))
            own = said(tally(v for v in self.scenarios.values() if v.self_check))
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
        return document(self.scenarios.values(), self.metadata)

    def write(self) -> Path:
        """Write ``verdicts.json`` and the clause matrix (Markdown, HTML) into the report directory, and the
        results metadata into allure's results directory."""
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


def _raw_verdict(item: pytest.Item, report: pytest.TestReport, exc: BaseException | None) -> tuple[str, str] | None:
    """The verdict a phase's report stands for, before expected failures (None: the phase says nothing). A
    NOT_APPLICABLE becomes a skip; a failed session check is said once, so its report carries the cause alone."""
    if report.skipped:
        return NOT_APPLICABLE, _skip_reason(report).removeprefix(NA_PREFIX)
    if exc is None:
        return (PASS, "") if report.when == "call" else None
    verdict = classify(exc, clause_scenario=item.get_closest_marker("dcc_clause") is not None)
    message = f"{type(exc).__name__}: {exc}".strip()
    if isinstance(exc, SessionCheckError):  # said once at the end of the run, not once per scenario
        report.longrepr = f"{type(exc).__name__}: {exc}"
    if verdict == NOT_APPLICABLE:
        message = str(exc)  # the reason; the verdict already says NOT_APPLICABLE
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"{NA_PREFIX}{exc}")
    return verdict, message


def _session_check(report: pytest.TestReport) -> str:
    """The failed session check a report's verdict stands for ("" for any other)."""
    return str((carried(getattr(report, "user_properties", ())) or {}).get(SESSION_CHECK, ""))


def _redactor(config: pytest.Config) -> Redactor:
    """The run's :class:`Redactor` (its settings' credentials), made once per session."""
    found = config.stash.get(_REDACTOR_KEY, None)
    if found is None:
        settings = config.stash.get(SETTINGS_KEY, None)
        found = config.stash[_REDACTOR_KEY] = settings.redactor if settings is not None else Redactor()
    return found


def _scrub(report: pytest.TestReport, redactor: Redactor) -> None:
    """Hide the run's credentials in a phase's report: its failure text (a traceback shows exception messages and
    the values of locals), its skip reason and its captured output."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        report.longrepr = (longrepr[0], longrepr[1], redactor.text(str(longrepr[2])))
    elif longrepr is not None:
        text = report.longreprtext
        shown = redactor.text(text)  # each text scrubbed once
        if shown != text:
            report.longrepr = shown
    sections = [(title, redactor.text(content)) for title, content in report.sections]
    if sections != report.sections:
        report.sections = sections


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
        return reason.removeprefix("Skipped: ")
    return str(longrepr)


__all__ = ["RECORD_KEY", "VerdictRecorder"]

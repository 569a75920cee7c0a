"""The verdict model: what each scenario says about the endpoint, and the ``verdicts.json`` document. Pure: no
pytest, so the matrix, the gate and the bundles read it without the test machinery.

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
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from pytest_dcc._version import __version__
from pytest_dcc.errors import EndpointAssertion, NotApplicableError
from pytest_dcc.reporting.integrity import sha256_file, suite_digest

if TYPE_CHECKING:
    from pytest_dcc.settings import DccSettings

if TYPE_CHECKING:
    from pytest_dcc.settings import DccSettings

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


#: The report property that carries a scenario's verdict: one JSON-serialisable mapping (the fields of
#: :class:`ScenarioVerdict` but the ID and the duration, which the report has, and the failed session check), so it
#: crosses pytest-xdist, which serialises a report's user properties, as it is. JUnit XML shows it as JSON, beside
#: :data:`JUNIT_VERDICT`.
VERDICT_PROPERTY: Final = "dcc_record"
#: The JUnit XML property that holds the verdict itself (``PASS``, ``FAIL``, ...), as it always has: what a CI gate
#: reading JUnit XML looks for.
JUNIT_VERDICT: Final = "dcc_verdict"
#: The field naming a failed session check, said once at the end of the run (not part of the verdict).
SESSION_CHECK: Final = "session_check"


def verdict_property(verdict: ScenarioVerdict, session_check: str = "") -> tuple[str, str]:
    """``verdict`` as the report property that carries it; ``session_check`` the cause of a failed session check.
    The value is one JSON object: it crosses pytest-xdist as it is, and JUnit XML (which writes a property's value
    as text) shows it as JSON a consumer can read."""
    fields = asdict(verdict)
    del fields["id"], fields["duration_s"]
    return VERDICT_PROPERTY, json.dumps({**fields, SESSION_CHECK: session_check}, sort_keys=True)


def carried(properties: Iterable[tuple[str, object]]) -> Mapping[str, Any] | None:
    """The verdict a report carries (the last verdict property of its user properties), else ``None``."""
    found: Mapping[str, Any] | None = None
    for key, value in properties:
        if key == VERDICT_PROPERTY and isinstance(value, str):
            fields = json.loads(value)
            found = fields if isinstance(fields, dict) else found
    return found


def read_verdict(fields: Mapping[str, Any], nodeid: str, duration_s: float) -> ScenarioVerdict:
    """The verdict a report carries (:func:`carried`) as the model has it, with the report's ID and duration."""
    known = {name for name in ScenarioVerdict.__dataclass_fields__ if name not in ("id", "duration_s")}
    values: dict[str, Any] = {name: value for name, value in fields.items() if name in known}
    values.update({name: list(value) for name, value in values.items() if isinstance(value, list)})  # its own lists
    return ScenarioVerdict(id=nodeid, duration_s=round(duration_s, 4), **values)


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


def document(scenarios: Iterable[ScenarioVerdict], metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The verdicts.json content: the run (with its totals), every scenario, every clause's roll-up."""
    verdicts = list(scenarios)
    clauses: dict[str, dict[str, Any]] = {}
    for verdict in verdicts:
        for clause in verdict.clauses:
            entry = clauses.setdefault(clause, {"verdict": NOT_APPLICABLE, "scenarios": 0, "counts": {}})
            entry["scenarios"] += 1
            entry["counts"][verdict.verdict] = entry["counts"].get(verdict.verdict, 0) + 1
            if SEVERITY.index(verdict.verdict) < SEVERITY.index(entry["verdict"]):
                entry["verdict"] = verdict.verdict
    return {
        "run": {
            **metadata,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "totals": tally(verdicts),
            "endpoint_totals": tally(v for v in verdicts if not v.self_check),  # the verdicts on the endpoint
            "self_check_totals": tally(v for v in verdicts if v.self_check),  # the suite's checks of its requests
        },
        "scenarios": [asdict(v) for v in verdicts],
        "clauses": dict(sorted(clauses.items())),
    }


def tally(verdicts: Iterable[ScenarioVerdict]) -> dict[str, int]:
    """How many scenarios have each verdict (in order of first appearance, as verdicts.json always had it)."""
    return dict(Counter(v.verdict for v in verdicts))


def said(counts: Mapping[str, int]) -> str:
    """``12 PASS, 3 NOT_APPLICABLE``, worst first."""
    return ", ".join(f"{counts[v]} {v}" for v in SEVERITY if v in counts)


def run_metadata(settings: DccSettings) -> dict[str, Any]:
    """What the run was: suite version and hashes, mode, release claimed, endpoint, schema, statement, command
    line; the endpoint's credentials and the extra headers' values hidden (:mod:`pytest_dcc.reporting.redaction`),
    so that nothing made from this document (the clause matrix, allure's environment, a bundle) can show them."""
    redactor = settings.redactor
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
        "endpoint": settings.target,
        "schema_version": settings.schema_version,
        "schema": str(settings.xsd) if settings.xsd else "embedded",
        "user_id": settings.user_id,
        "command_line": redactor.argv(sys.argv),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }


__all__ = [
    "ERROR",
    "FAIL",
    "KNOWN_FAILURE",
    "NA_PREFIX",
    "NOT_APPLICABLE",
    "PASS",
    "SEVERITY",
    "UNEXPECTED_PASS",
    "SESSION_CHECK",
    "JUNIT_VERDICT",
    "VERDICT_PROPERTY",
    "ScenarioRecord",
    "ScenarioVerdict",
    "carried",
    "classify",
    "document",
    "run_metadata",
    "said",
    "read_verdict",
    "tally",
    "verdict_property",
]

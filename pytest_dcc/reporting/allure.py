"""Allure: labels from the clause registry, evidence attached to the step that produced it, the verdict label, and
the results-directory metadata (environment.properties, executor.json, categories.json, the clause matrix).

Only this module imports allure. allure-pytest-bdd writes results only with ``--alluredir``; everything here is a
no-op without it. Secrets never leave: what is attached is what crossed the wire (signed requests carry a signature
and the signer's issuer and serial, never a key) and text this module writes itself, URLs and messages with their
credentials hidden (:mod:`pytest_dcc.reporting.redaction`).
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import platform
import socket
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import allure
import allure_commons
import pytest
from allure_commons.types import AttachmentType

from pytest_dcc._version import __version__
from pytest_dcc.duis.build import DuisRequest
from pytest_dcc.errors import TransportError
from pytest_dcc.reporting.categories import categories
from pytest_dcc.reporting.redaction import Redactor, redact_url
from pytest_dcc.spec.clauses import CLAUSES
from pytest_dcc.transport import Exchange
from pytest_dcc.transport.admission import Judged

#: Allure severity of a scenario, from its ``@level:`` tag.
SEVERITY_BY_LEVEL: Final = {"story": "blocker", "clause": "critical", "envelope": "normal", "wire": "minor"}
#: Default link of a clause: the SEC modification on the SECAS site (placeholders {id} and {modification}).
DEFAULT_LINK_PATTERN: Final = "https://smartenergycodecompany.co.uk/?s={modification}"
CLAUSE_TRACE_MARK: Final = "[dcc clauses: {}]"


def active(config: pytest.Config) -> bool:
    """Whether allure-pytest-bdd writes results in this run."""
    return bool(getattr(config.option, "allure_report_dir", None))


# -- labels at collection --------------------------------------------------------------------------------------


def label_item(item: pytest.Item, link_pattern: str, claimed_release: str) -> None:
    """Add the allure label and link markers of a Gherkin scenario item (read by allure-pytest-bdd)."""
    clauses = sorted({str(m.args[0]) for m in item.iter_markers("dcc_clause")})
    if not clauses:
        if item.get_closest_marker("wire") is not None:  # the suite's self-check, not a verdict on the endpoint
            item.add_marker(pytest.mark.allure_label("pytest-dcc self-check", label_type="epic"))
            item.add_marker(pytest.mark.allure_label("Requests on the wire", label_type="feature"))
            item.add_marker(pytest.mark.allure_label("minor", label_type="severity"))
        return
    entries = [CLAUSES[c] for c in clauses if c in CLAUSES]
    labels: dict[str, list[str]] = {
        "epic": sorted({e.document for e in entries}),
        "feature": sorted({f"{e.document} {e.section}" for e in entries}),
        "story": clauses,
        "tag": sorted({f"release:{m.args[0]}" for m in item.iter_markers("dcc_release")})
        + sorted({f"srv:{m.args[0]}" for m in item.iter_markers("dcc_srv")}),
        "release": [claimed_release],
    }
    level = item.get_closest_marker("dcc_level")
    if level is not None and str(level.args[0]) in SEVERITY_BY_LEVEL:
        labels["severity"] = [SEVERITY_BY_LEVEL[str(level.args[0])]]
    for name, values in labels.items():
        if values:
            item.add_marker(pytest.mark.allure_label(*values, label_type=name))
    for entry in entries:
        url = link_pattern.format(id=entry.id, modification=entry.modification)
        item.add_marker(pytest.mark.allure_link(url, name=f"{entry.id} ({entry.source})", link_type="link"))


def check_link_pattern(pattern: str) -> str:
    """``ValueError`` unless ``pattern`` formats with {id} and {modification} only."""
    try:
        pattern.format(id="MP081-DUIS-3.8.1.2", modification="MP081")
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"placeholders are {{id}} and {{modification}} ({type(exc).__name__}: {exc})") from None
    return pattern


def result_id(item: pytest.Item) -> str | None:
    """The id the Allure 3 report gives the running scenario's result (the MD5 of its allure UUID): the report
    opens it at ``index.html#/<id>``. ``None`` when allure-pytest-bdd has no result open for it."""
    for plugin in item.config.pluginmanager.get_plugins():
        uuids = getattr(plugin, "nodeid_to_uuid", None)
        if type(plugin).__name__ == "PytestBDDListener" and isinstance(uuids, dict):
            uuid = uuids.get(item.nodeid)  # .get: a defaultdict, and a lookup must not open a result
            return hashlib.md5(str(uuid).encode(), usedforsecurity=False).hexdigest() if uuid else None
    return None


def tidy_not_applicable(results: Path) -> None:
    """A NOT_APPLICABLE result shows as skipped with its reason: allure-pytest-bdd puts pytest's skip location
    (a tuple's repr) in the status trace, and Allure 3 shows any status message under an "Error" heading; the
    reason goes to the head of the description instead."""
    for path in results.glob("*-result.json"):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        labels = {label.get("name"): label.get("value") for label in document.get("labels", [])}
        if labels.get("verdict") != "NOT_APPLICABLE" or document.get("status") != "skipped":
            continue
        details = document.pop("statusDetails", None) or {}
        reason = str(details.get("message", "")).removeprefix("Skipped: ").removeprefix("NOT_APPLICABLE: ")
        # Allure 3 shows any status message under "Error"; a reason is not one: it leads the description.
        described = str(document.get("description") or "")
        document["description"] = f"NOT_APPLICABLE (skipped): {reason}" + (f"\n\n{described}" if described else "")
        shown = html.escape(reason)
        document["descriptionHtml"] = f"<p><b>NOT_APPLICABLE</b> (skipped): {shown}</p>" + (
            f"<p>{html.escape(described)}</p>" if described else ""
        )
        path.write_text(json.dumps(document), encoding="utf-8")


def add_verdict(verdict: str) -> None:
    """The ``verdict`` label of the running scenario (allure shows NOT_APPLICABLE and KNOWN_FAILURE both as
    skipped; the label tells them apart)."""
    with contextlib.suppress(AttributeError):  # no allure test result is open (stopped before it started)
        allure.dynamic.label("verdict", verdict)  # type: ignore[no-untyped-call]


# -- evidence --------------------------------------------------------------------------------------------------


def _judgement_lines(judged: Judged) -> list[str]:
    check = judged.signature
    issues = "; ".join(str(i) for i in judged.schema_issues) or "none"
    signer = (
        f", signer {check.signer_eui or '?'} (serial {check.serial}, issuer {check.issuer})" if check.serial else ""
    )
    return [
        f"schema: {judged.schema_name}: valid (issues: {issues})",
        f"signature: {check.status.value}: {check.reason}{signer}",
        f"response code: {judged.response.code}",
    ]


def _judgement_step(title: str, lines: list[str]) -> None:
    """The judgement as a step with one sub-step per finding: shown in the step tree without opening anything,
    and no file to write (attachments cost a file each; the request and response stay attachments)."""
    with allure.step(title):
        for line in lines:
            with allure.step(line):
                pass


class ResultScrubber:
    """Hides the run's secrets in every allure result and container before allure writes it: allure-pytest-bdd takes
    a failure's message and trace from the exception itself (the scenario's and each step's status details), which
    the recorder's scrub of pytest's report does not reach."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    @allure_commons.hookimpl(tryfirst=True)
    def report_result(self, result: Any) -> None:
        self._scrub(result)

    @allure_commons.hookimpl(tryfirst=True)
    def report_container(self, container: Any) -> None:
        for fixture in [*(getattr(container, "befores", None) or ()), *(getattr(container, "afters", None) or ())]:
            self._scrub(fixture)

    def _scrub(self, node: Any) -> None:
        details = getattr(node, "statusDetails", None)
        if details is not None:
            for name in ("message", "trace"):
                text = getattr(details, name, None)
                if text:
                    setattr(details, name, self.redactor.text(str(text)))
        for step in getattr(node, "steps", None) or ():
            self._scrub(step)


def scrub_results(redactor: Redactor) -> Callable[[], None]:
    """Scrub every allure result of this session with ``redactor`` (:class:`ResultScrubber`); call what is returned
    when the session ends."""
    scrubber = ResultScrubber(redactor)
    allure_commons.plugin_manager.register(scrubber)
    return lambda: allure_commons.plugin_manager.unregister(scrubber)


class AllureEvidence:
    """Attaches each exchange to the Gherkin step running when it happened; text it writes goes through the run's
    ``redactor`` (the literal secrets of the settings too, not only the shapes :func:`redact_text` knows)."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        self.redactor = redactor or Redactor()

    def exchange(self, exchange: Exchange) -> None:
        request = exchange.request
        allure.attach(
            exchange.request_bytes,
            name=f"request SRV {request.srv} CV {request.cv} {request.request_id} (signed)",
            attachment_type=AttachmentType.XML,
        )
        allure.attach(
            exchange.response_bytes, name=f"response {exchange.code} (raw)", attachment_type=AttachmentType.XML
        )
        _judgement_step(
            f"judgement: HTTP {exchange.http_status}, {exchange.code}, {exchange.elapsed_s * 1000:.0f} ms",
            [
                f"POST {redact_url(exchange.url)}",
                f"HTTP {exchange.http_status} in {exchange.elapsed_s * 1000:.1f} ms",
                *_judgement_lines(exchange.judged),
            ],
        )

    def failure(self, request: DuisRequest, body: bytes, error: TransportError) -> None:
        allure.attach(
            body,
            name=f"request SRV {request.srv} CV {request.cv} {request.request_id}",
            attachment_type=AttachmentType.XML,
        )
        allure.attach(
            self.redactor.text(f"{type(error).__name__} ({error.cause}): {error}"),
            name=f"no judgeable answer: {error.cause}",
            attachment_type=AttachmentType.TEXT,
        )

    def note(self, text: str) -> None:
        with allure.step(f"reported (not judged): {self.redactor.text(text)}"):
            pass

    def state_change(self, title: str, lines: list[str]) -> None:
        _judgement_step(self.redactor.text(title), [self.redactor.text(line) for line in lines])

    def device_response(self, judged: Judged) -> None:
        allure.attach(
            judged.raw, name=f"device response {judged.response.code} (raw)", attachment_type=AttachmentType.XML
        )
        _judgement_step(f"device response judgement: {judged.response.code}", _judgement_lines(judged))


# -- the results directory -------------------------------------------------------------------------------------


def _properties(values: Mapping[str, str]) -> str:
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("\n", "\\n").replace("=", "\\=").replace(":", "\\:")

    return "".join(f"{escape(k)}={escape(str(v))}\n" for k, v in values.items())


def write_results_metadata(results: Path, document: Mapping[str, Any], matrix_html: str) -> None:
    """environment.properties (the run and the clause matrix), executor.json, categories.json, and the clause
    matrix as a global attachment."""
    run = dict(document.get("run", {}))
    run["endpoint"] = redact_url(str(run.get("endpoint", "?")))  # a verdicts.json the recorder did not write
    results.mkdir(parents=True, exist_ok=True)
    environment = {
        "pytest-dcc": str(run.get("suite_version", __version__)),
        "suite.sha256": str(run.get("suite_sha256", "")),
        "mode": str(run.get("mode", "")),
        "sec.release": str(run.get("release", "")),
        "endpoint": str(run.get("endpoint", "")),
        "duis.schema": f"{run.get('schema_version', '')} ({run.get('schema', '')})",
        "statement": str(run.get("statement") or "none"),
        "python": platform.python_version(),
    }
    for clause, entry in document.get("clauses", {}).items():
        counts = ", ".join(f"{k} {v}" for k, v in entry.get("counts", {}).items())
        assessed = any(k != "NOT_APPLICABLE" for k in entry.get("counts", {}))
        environment[f"clause.{clause}"] = f"{entry['verdict'] if assessed else 'NOT ASSESSED'} ({counts})"
    (results / "environment.properties").write_text(_properties(environment), encoding="utf-8")
    executor = {
        "name": "pytest-dcc",
        "type": "pytest",
        "buildName": f"pytest-dcc {run.get('suite_version', __version__)} against {run.get('endpoint', '?')} "
        f"(SEC {run.get('release', '?')})",
        "reportName": "pytest-dcc conformance",
        "host": socket.gethostname(),
    }
    (results / "executor.json").write_text(json.dumps(executor, indent=2) + "\n", encoding="utf-8")
    (results / "categories.json").write_text(json.dumps(categories(), indent=2) + "\n", encoding="utf-8")
    tidy_not_applicable(results)
    with contextlib.suppress(AttributeError):  # allure-pytest-bdd is not writing results in this process
        allure_commons.plugin_manager.hook.global_attach_data(
            body=matrix_html, name="Clause matrix", attachment_type=AttachmentType.HTML, extension="html"
        )


__all__ = [
    "CLAUSE_TRACE_MARK",
    "DEFAULT_LINK_PATTERN",
    "AllureEvidence",
    "ResultScrubber",
    "active",
    "add_verdict",
    "check_link_pattern",
    "label_item",
    "scrub_results",
    "write_results_metadata",
]

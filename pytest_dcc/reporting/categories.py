"""The report's categories: FAIL by clause, ERROR by cause, then the verdicts allure shows as skipped. One table,
written two ways: ``categories.json`` in the results (Allure 2, and Allure 3's classic and allure2 reports) and the
``categories`` of Allure 3's configuration, which its default report reads instead."""

from __future__ import annotations

from typing import Any, Final

from pytest_dcc.spec.clauses import CLAUSES

#: ERROR causes (TransportError.cause and the other harness errors), for the categories.
ERROR_CAUSES: Final = {
    "endpoint unreachable": "EndpointUnreachableError",
    "timeout": "EndpointTimeoutError|ResponseTimeoutError",
    "HTTP status without a DUIS response": "HttpStatusError",
    "garbage (not a DUIS response)": "ResponseFormatError",
    "response fails the schema": "ResponseSchemaError",
    "response signature": "ResponseSignatureError",
    "correlation": "CorrelationError",
    "arrangement (statement or driver)": "ArrangementError",
}
Rule = tuple[str, str, str, str | None, str | None]


def _category_rules() -> list[Rule]:
    """(id, name, allure status, field, search pattern) of each category: FAIL by clause, ERROR by cause, then the
    verdicts allure shows as skipped. The pattern is found anywhere in the field (``message`` or ``trace``)."""
    rules: list[Rule] = [
        (f"dcc.fail.{clause}", f"FAIL {clause}", "failed", "trace",
         r"\[dcc clauses: [^\]]*\b" + clause.replace(".", r"\.") + r"\b")
        for clause in CLAUSES
    ]  # fmt: skip
    rules += [
        (f"dcc.error.{pattern.split('|')[0]}", f"ERROR: {name}", "broken", "message", f"({pattern})")
        for name, pattern in ERROR_CAUSES.items()
    ]
    rules += [
        ("dcc.error.other", "ERROR: harness or other", "broken", None, None),
        ("dcc.known-failure", "KNOWN_FAILURE", "skipped", "message", "KNOWN_FAILURE"),
        ("dcc.not-applicable", "NOT_APPLICABLE", "skipped", "message", "NOT_APPLICABLE"),
    ]
    return rules


def categories() -> list[dict[str, Any]]:
    """categories.json (Allure 2 and Allure 3's classic and allure2 reports): each regex matches a whole field."""
    found: list[dict[str, Any]] = []
    for _, name, status, field, pattern in _category_rules():
        rule: dict[str, Any] = {"name": name, "matchedStatuses": [status]}
        if field is not None:
            rule[f"{field}Regex"] = f"(?s).*{pattern}.*"
        found.append(rule)
    return found


def report_categories() -> dict[str, Any]:
    """The same categories for Allure 3's default report, which reads them from its configuration (not from
    categories.json): stable ids, and JavaScript patterns found anywhere in the field."""
    rules = []
    for rule_id, name, status, field, pattern in _category_rules():
        matcher: dict[str, Any] = {"statuses": [status]}
        if field is not None:
            matcher[field] = pattern
        rules.append({"id": rule_id, "name": name, "matchers": matcher})
    return {"rules": rules}


__all__ = ["ERROR_CAUSES", "categories", "report_categories"]

"""The clause matrix: every registry clause, for the release of each run: its scenarios and their verdicts.

A clause is PASS in a run only if at least one of its scenarios judged it and none judged it worse; a clause
whose scenarios were all NOT_APPLICABLE (or that has none in the run) is NOT ASSESSED, never passed. Each cell also
says how: "assessed over DUIS" (its judged scenarios needed nothing beyond DUIS), "assessed with driver X (the
capabilities used)", or, not assessed, "needs capability Y" (or why else it did not apply), so a certification
reader sees what a run did and did not prove.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pytest_dcc.reporting.redaction import redact_text, redact_url
from pytest_dcc.reporting.verdicts import SEVERITY
from pytest_dcc.spec.clauses import CLAUSES

NOT_ASSESSED: Final = "NOT ASSESSED"


@dataclass
class Cell:
    """One clause in one run."""

    status: str  # a verdict, or NOT ASSESSED
    counts: dict[str, int] = field(default_factory=dict)
    scenarios: list[dict[str, str]] = field(default_factory=list)  # name, location, verdict, message
    how: str = ""  # assessed over DUIS / assessed with driver X / needs capability Y

    @property
    def judged(self) -> int:
        return sum(n for verdict, n in self.counts.items() if verdict != "NOT_APPLICABLE")

    def summary(self) -> str:
        how = f"; {self.how}" if self.how else ""
        if self.status == NOT_ASSESSED:
            total = sum(self.counts.values())
            return f"{NOT_ASSESSED} ({total} not applicable{how})" if total else f"{NOT_ASSESSED} (no scenario ran)"
        return f"{self.status} ({self.counts.get(self.status, 0)}/{self.judged}){how}"


@dataclass
class Matrix:
    columns: list[str]  # one per run
    runs: list[dict[str, Any]]  # each run's metadata
    rows: dict[str, dict[str, Cell]]  # clause ID -> column -> cell


def _cell(scenarios: Sequence[Mapping[str, Any]]) -> Cell:
    counts: dict[str, int] = {}
    for scenario in scenarios:
        counts[scenario["verdict"]] = counts.get(scenario["verdict"], 0) + 1
    judged = [v for v in counts if v != "NOT_APPLICABLE"]
    status = min(judged, key=SEVERITY.index) if judged else NOT_ASSESSED
    listed = [
        {
            **{k: str(s.get(k, "")) for k in ("location", "verdict", "message", "allure_id")},
            "name": f"{s.get('name', '')} [{s['example']}]" if s.get("example") else str(s.get("name", "")),
        }
        for s in sorted(
            scenarios, key=lambda s: (SEVERITY.index(s["verdict"]), s.get("name", ""), s.get("example", ""))
        )
    ]
    ordered = dict(sorted(counts.items(), key=lambda kv: SEVERITY.index(kv[0])))
    return Cell(status, ordered, listed, _how(scenarios))


def _how(scenarios: Sequence[Mapping[str, Any]]) -> str:
    """How a clause was assessed in a run, or what kept it from being assessed."""
    judged = [s for s in scenarios if s["verdict"] != "NOT_APPLICABLE"]
    if judged:
        with_driver = [s for s in judged if s.get("capabilities")]
        if not with_driver:
            return "assessed over DUIS"
        drivers = ", ".join(sorted({str(s.get("driver") or "?") for s in with_driver}))
        used = ", ".join(sorted({c for s in with_driver for c in s["capabilities"]}))
        over_duis = len(judged) - len(with_driver)
        also = f"; {over_duis} of {len(judged)} scenarios over DUIS alone" if over_duis else ""
        return f"assessed with driver {drivers} ({used}){also}"
    needs = sorted({str(s["needs"]) for s in scenarios if s.get("needs")})
    if needs:
        return f"needs capability {', '.join(needs)}"
    reasons = [str(s.get("message", "")).removeprefix("NOT_APPLICABLE: ") for s in scenarios]
    return reasons[0][:160] if reasons else ""


def _column(run: Mapping[str, Any], taken: set[str]) -> str:
    name = str(run.get("release", "?"))
    if name in taken:
        name = f"{name} ({run.get('endpoint', '?')})"
    base, n = name, 2
    while name in taken:
        name, n = f"{base} #{n}", n + 1
    taken.add(name)
    return name


def build(documents: Sequence[Mapping[str, Any]]) -> Matrix:
    """The matrix of one or more verdicts.json documents (one column per run, in the order given)."""
    taken: set[str] = set()
    documents = [_shown(doc) for doc in documents]
    columns = [_column(doc.get("run", {}), taken) for doc in documents]
    rows: dict[str, dict[str, Cell]] = {clause: {} for clause in CLAUSES}
    for column, doc in zip(columns, documents, strict=True):
        by_clause: dict[str, list[Mapping[str, Any]]] = {clause: [] for clause in CLAUSES}
        for scenario in doc.get("scenarios", []):
            for clause in scenario.get("clauses", []):
                by_clause.setdefault(clause, []).append(scenario)
        for clause, scenarios in by_clause.items():
            rows.setdefault(clause, {})[column] = _cell(scenarios)
    return Matrix(columns, [dict(doc.get("run", {})) for doc in documents], rows)


def _shown(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """The document as the matrix may show it: no endpoint credentials, even in a verdicts.json written before
    the recorder hid them (:mod:`pytest_dcc.reporting.redaction`)."""
    run = dict(doc.get("run", {}))
    if isinstance(run.get("endpoint"), str):
        run["endpoint"] = redact_url(run["endpoint"])
    scenarios = [
        {**s, "message": redact_text(s["message"])} if isinstance(s.get("message"), str) else s
        for s in doc.get("scenarios", [])
    ]
    return {**doc, "run": run, "scenarios": scenarios}


def _clause_cells(clause: str) -> tuple[str, str]:
    entry = CLAUSES.get(clause)
    return (entry.document, entry.section) if entry else ("?", "not in the registry")


#: Where ``dcc-conformance`` writes the Allure report, relative to the matrix beside it.
ALLURE_REPORT: Final = "allure-report/index.html"


def _link(s: Mapping[str, str], allure_report: str | None) -> str:
    """The scenario's result in the Allure report, or ""."""
    return f"{allure_report}#/{s['allure_id']}" if allure_report and s.get("allure_id") else ""


def to_markdown(matrix: Matrix, allure_report: str | None = ALLURE_REPORT) -> str:
    """The matrix as Markdown: the table, then every clause's scenarios and verdicts (each linked to its Allure
    result when ``allure_report`` is given and the run wrote allure results)."""
    lines = ["# Clause matrix", ""]
    for column, run in zip(matrix.columns, matrix.runs, strict=True):
        lines.append(
            f"- **{column}**: endpoint {run.get('endpoint', '?')}, DUIS {run.get('schema_version', '?')}, "
            f"mode {run.get('mode', 'development')}, suite {run.get('suite_version', '?')}, "
            f"finished {run.get('finished', '?')}"
        )
    lines += [
        "",
        "A clause is NOT ASSESSED when none of its scenarios could judge it (all NOT_APPLICABLE, or none ran); "
        "that is never a pass.",
        "",
        "| Clause | Document | Section | " + " | ".join(matrix.columns) + " |",
        "|---|---|---|" + "---|" * len(matrix.columns),
    ]
    for clause, cells in matrix.rows.items():
        document, section = _clause_cells(clause)
        summaries = [cells[c].summary() if c in cells else NOT_ASSESSED for c in matrix.columns]
        lines.append(f"| {clause} | {document} | {section} | " + " | ".join(summaries) + " |")
    for clause, cells in matrix.rows.items():
        lines += ["", f"## {clause}", ""]
        for column in matrix.columns:
            cell = cells.get(column)
            if cell is None or not cell.scenarios:
                lines.append(f"- {column}: no scenario ran")
                continue
            lines.append(f"- {column}: **{cell.summary()}**")
            for s in cell.scenarios:
                why = f": {s['message']}" if s["message"] and s["verdict"] != "PASS" else ""
                link = _link(s, allure_report)
                name = f"[{s['name']}]({link})" if link else s["name"]
                lines.append(f"  - {s['verdict']}: {name} ({s['location']}){why}")
    return "\n".join(lines) + "\n"


_CSS = """body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse}
td,th{border:1px solid #bbb;padding:.3rem .6rem;text-align:left;vertical-align:top}
.PASS{background:#d8f5d0}.FAIL,.UNEXPECTED_PASS{background:#f9c9c5}.ERROR{background:#f7b267}
.KNOWN_FAILURE{background:#f5e6a8}.NA{background:#e4e4e4;color:#555}details{margin:.2rem 0}"""


def to_html(matrix: Matrix, allure_report: str | None = ALLURE_REPORT) -> str:
    """The matrix as one self-contained HTML page (no script, nothing fetched); each scenario links to its Allure
    result when ``allure_report`` is given and the run wrote allure results."""
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in matrix.columns)
    body = []
    for clause, cells in matrix.rows.items():
        document, section = _clause_cells(clause)
        tds = []
        for column in matrix.columns:
            cell = cells.get(column) or Cell(NOT_ASSESSED)
            css = "NA" if cell.status == NOT_ASSESSED else cell.status
            items = "".join(
                f"<li>{e(s['verdict'])}: "
                + (f'<a href="{e(link)}">{e(s["name"])}</a>' if (link := _link(s, allure_report)) else e(s["name"]))
                + f" <small>{e(s['location'])}</small>"
                + (f"<br><small>{e(s['message'])}</small>" if s["message"] and s["verdict"] != "PASS" else "")
                + "</li>"
                for s in cell.scenarios
            )
            detail = f"<details><summary>scenarios</summary><ul>{items}</ul></details>" if items else ""
            tds.append(f'<td class="{css}">{e(cell.summary())}{detail}</td>')
        body.append(f"<tr><th>{e(clause)}</th><td>{e(document)}</td><td>{e(section)}</td>{''.join(tds)}</tr>")
    runs = "".join(
        f"<li><b>{e(c)}</b>: endpoint {e(str(r.get('endpoint', '?')))}, DUIS {e(str(r.get('schema_version', '?')))}, "
        f"mode {e(str(r.get('mode', 'development')))}, suite {e(str(r.get('suite_version', '?')))}</li>"
        for c, r in zip(matrix.columns, matrix.runs, strict=True)
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>pytest-dcc clause matrix</title>'
        f"<style>{_CSS}</style></head><body><h1>Clause matrix</h1><ul>{runs}</ul>"
        "<p>A clause is NOT ASSESSED when none of its scenarios could judge it; that is never a pass.</p>"
        f"<table><thead><tr><th>Clause</th><th>Document</th><th>Section</th>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></body></html>\n"
    )


__all__ = ["ALLURE_REPORT", "NOT_ASSESSED", "Cell", "Matrix", "build", "to_html", "to_markdown"]

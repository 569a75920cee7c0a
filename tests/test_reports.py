"""Reports: the clause matrix, release gating, certification bundles and the Allure HTML report.

The end-to-end test runs the README's first command (``dcc-conformance``) from the checkout and checks everything
it promises, including a real headless Chromium render of the HTML report that must make no request off the
machine."""

from __future__ import annotations

import copy
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from pytest_dcc.reporting import bundle, gate, matrix
from pytest_dcc.reporting.html import remote_references, strip_analytics
from pytest_dcc.spec.clauses import CLAUSES
from tests.conftest import made_once

ROOT = Path(__file__).resolve().parent.parent
STATEMENT = ROOT / "fixtures" / "statements" / "reference-latest.yaml"
SCRIPT = Path(sys.executable).parent / "dcc-conformance"


def _doc(release: str, verdicts: dict[str, list[str]]) -> dict[str, Any]:
    """A verdicts.json with one scenario per verdict listed for each clause."""
    scenarios = [
        {"id": f"{clause}-{n}", "name": f"{clause} #{n}", "location": "x.feature:1", "clauses": [clause],
         "verdict": verdict, "message": "" if verdict == "PASS" else f"because {verdict}"}
        for clause, listed in verdicts.items()
        for n, verdict in enumerate(listed)
    ]  # fmt: skip
    return {"run": {"release": release, "endpoint": "e", "mode": "development"}, "scenarios": scenarios}


# -- the clause matrix -----------------------------------------------------------------------------------------


def test_a_clause_with_only_not_applicable_scenarios_is_not_assessed_never_passed() -> None:
    doc = _doc("2025-11", {"MP178-UNJOIN": ["NOT_APPLICABLE", "NOT_APPLICABLE"], "DP178-REJOIN": ["PASS", "FAIL"]})
    table = matrix.build([doc])
    cells = {clause: row["2025-11"] for clause, row in table.rows.items()}
    assert cells["MP178-UNJOIN"].status == matrix.NOT_ASSESSED
    assert cells["DP178-REJOIN"].status == "FAIL"
    assert cells["DP178-REJOIN"].summary() == "FAIL (1/2); assessed over DUIS"  # no driver capability recorded
    assert cells["MP081-DUIS-3.8.1.2"].summary() == "NOT ASSESSED (no scenario ran)"
    assert set(table.rows) == set(CLAUSES)  # every registry clause has a row
    markdown, page = matrix.to_markdown(table), matrix.to_html(table)
    assert (
        "| MP178-UNJOIN | DUIS | SR 8.8 Unjoin Service | NOT ASSESSED (2 not applicable; because NOT_APPLICABLE) |"
        in markdown
    )
    assert "because FAIL" in markdown and "<script" not in page and 'class="FAIL"' in page


def test_the_matrix_says_how_each_clause_was_assessed_or_what_it_needs() -> None:
    """Over DUIS alone, with a driver (and which capabilities), or not assessed for want of a capability."""
    doc = _doc("2025-11", {"MP178-UNJOIN": ["PASS", "PASS"], "DP178-REJOIN": ["PASS"], "DP178-SMI-JOIN": ["PASS"]})
    doc["scenarios"][1].update(driver="vendor X", capabilities=["device-view", "seed"])
    doc["scenarios"][2].update(driver="vendor X", capabilities=["faults"])
    doc["scenarios"].append(
        {"id": "n", "name": "n", "location": "x:1", "clauses": ["DP178-E080801"], "verdict": "NOT_APPLICABLE",
         "message": "NOT_APPLICABLE: ...", "needs": "faults"}
    )  # fmt: skip
    cells = {clause: row["2025-11"] for clause, row in matrix.build([doc]).rows.items()}
    assert cells["DP178-SMI-JOIN"].how == "assessed over DUIS"
    assert cells["MP178-UNJOIN"].how == (
        "assessed with driver vendor X (device-view, seed); 1 of 2 scenarios over DUIS alone"
    )
    assert cells["DP178-REJOIN"].how == "assessed with driver vendor X (faults)"
    assert cells["DP178-E080801"].how == "needs capability faults"
    assert cells["DP178-E080801"].summary() == "NOT ASSESSED (1 not applicable; needs capability faults)"


def test_the_matrix_names_outline_rows_by_their_examples_values() -> None:
    doc = _doc("2025-11", {"DP178-REJOIN": ["PASS", "PASS"]})
    doc["scenarios"][0]["example"] = "srv=8.7.1"
    doc["scenarios"][1]["example"] = "srv=8.7.2"
    markdown = matrix.to_markdown(matrix.build([doc]))
    assert "DP178-REJOIN #0 [srv=8.7.1]" in markdown and "DP178-REJOIN #1 [srv=8.7.2]" in markdown


def test_the_matrix_of_several_runs_has_one_column_per_run() -> None:
    table = matrix.build([_doc("2021-06", {}), _doc("latest", {}), _doc("latest", {})])
    assert table.columns == ["2021-06", "latest", "latest (e)"]


# -- release gating --------------------------------------------------------------------------------------------


def test_diff_reports_a_regression_clause_by_clause() -> None:
    before = _doc("latest", {"MP178-UNJOIN": ["PASS"], "DP178-REJOIN": ["FAIL"], "DP178-SMI-JOIN": ["PASS"]})
    after = _doc("latest", {"MP178-UNJOIN": ["FAIL"], "DP178-REJOIN": ["PASS"], "DP178-SMI-JOIN": ["NOT_APPLICABLE"]})
    comparison = gate.compare(before, after)
    assert comparison.newly_failing == ["MP178-UNJOIN: PASS -> FAIL"]
    assert comparison.newly_passing == ["DP178-REJOIN: FAIL -> PASS"]
    assert comparison.lost_coverage == ["DP178-SMI-JOIN: PASS -> NOT ASSESSED"]
    assert comparison.scenarios_newly_failing == ["MP178-UNJOIN-0: PASS -> FAIL"]
    assert comparison.regression and "REGRESSION" in comparison.report()
    assert not gate.compare(after, after).regression


def test_diff_between_releases_does_not_count_a_clause_leaving_its_release_as_lost() -> None:
    old = _doc("2021-06", {"DP178-E080801": ["PASS"], "MP178-UNJOIN": ["NOT_APPLICABLE"]})
    new = _doc("2024-06", {"DP178-E080801": ["NOT_APPLICABLE"], "MP178-UNJOIN": ["PASS"]})
    comparison = gate.compare(old, new)
    assert not comparison.regression
    assert sorted(comparison.applicability) == [
        "DP178-E080801: PASS -> NOT ASSESSED",
        "MP178-UNJOIN: NOT ASSESSED -> PASS",
    ]


def test_release_changes_say_per_clause_behaviour_or_text_only() -> None:
    mp178 = {c.clause: c for c in gate.release_changes("2021-06", "2024-06")}
    assert set(mp178) == {"DP178-E080801", "MP178-UNJOIN"}
    assert {c.kind for c in mp178.values()} == {"behaviour changes"}
    mp081 = {c.clause: c for c in gate.release_changes("2020-06", "2020-11")}
    assert set(mp081) == {c for c in CLAUSES if c.startswith("MP081-")}
    assert {c.kind for c in mp081.values()} == {"text only"}
    assert all(c.what.startswith("normative from 2020-11") for c in mp081.values())
    mp106 = gate.release_changes("2020-11", "2021-06")
    assert [(c.clause, c.kind) for c in mp106] == [("MP081-CHISM-E3-SPACE", "text only")]
    assert "reading guidance from 2021-06" in mp106[0].what
    report = gate.release_report("2020-06", "2020-11")
    assert "clauses whose expected behaviour changes: 0" in report
    assert gate.release_changes("latest", "2025-11") == []
    assert gate.release_changes("2024-06", "2020-06") == gate.release_changes("2020-06", "2024-06")  # either order


def test_every_release_flag_names_the_clauses_it_governs() -> None:
    """The flags are the behaviour modifications' rows: every release holds each one, and each flag governs
    clauses of the registry (those that bind from or until its modification's release)."""
    from pytest_dcc.spec.clauses import FLAG_CLAUSES
    from pytest_dcc.spec.releases import MODIFICATIONS, RELEASES

    behaviour = {m.flag for m in MODIFICATIONS.values() if m.kind == "behaviour"}
    assert set(FLAG_CLAUSES) == behaviour and all(set(r.flags) == behaviour for r in RELEASES.values())
    assert all(FLAG_CLAUSES[flag] for flag in behaviour)
    assert {c for cs in FLAG_CLAUSES.values() for c in cs} <= set(CLAUSES)


def test_a_behaviour_flag_is_its_value_before_its_modification_and_the_opposite_from_it() -> None:
    from pytest_dcc.spec.releases import MODIFICATIONS, RELEASES, at_least

    for mod in (m for m in MODIFICATIONS.values() if m.kind == "behaviour"):
        assert mod.flag is not None
        for name, rel in RELEASES.items():
            assert rel.behaves(mod.flag) == (mod.before != at_least(name, mod.release)), (mod.id, name)
    some = next(iter(RELEASES.values()))
    with pytest.raises(ValueError, match="unknown DSP behaviour flag"):
        some.but(no_such_flag=True)


# -- HTML cleaning ---------------------------------------------------------------------------------------------


def test_analytics_scripts_are_stripped_and_local_scripts_kept() -> None:
    page = (
        '<html><head><script>window.a = 1;</script><script src="app-1.js"></script>'
        '<script async src="https://www.googletagmanager.com/gtag/js?id=G-X"></script>'
        "<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}</script>"
        "<script src='//cdn.example.org/x.js'></script></head></html>"
    )
    cleaned = strip_analytics(page)
    assert "googletagmanager" not in cleaned and "gtag" not in cleaned and "cdn.example.org" not in cleaned
    assert "window.a = 1" in cleaned and 'src="app-1.js"' in cleaned
    assert remote_references(cleaned) == [] and remote_references(page)


# -- bundles ---------------------------------------------------------------------------------------------------


def _rewrite(archive: Path, change: dict[str, bytes | None]) -> None:
    """Rewrite members of a bundle (None removes one), keeping the rest byte for byte."""
    with tarfile.open(archive, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]
    for name, data in change.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_a_bundle_that_is_not_an_archive_or_holds_odd_members_is_refused(tmp_path: Path) -> None:
    from pytest_dcc.errors import ConfigError

    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(ConfigError, match="not a readable"):
        bundle.verify(junk)
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("../escape")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(ConfigError, match="not a plain relative file"):
        bundle.verify(evil)
    with pytest.raises(ConfigError, match=r"no verdicts\.json"):
        bundle.make_bundle(tmp_path, tmp_path / "b.tar.gz")


# -- the README's first command, end to end --------------------------------------------------------------------


def _conformance(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, timeout=540, env=env, check=False
    )


@pytest.fixture(scope="module")
def certification_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``dcc-conformance`` in certification mode from the checkout: reports in a temporary directory, made once
    whichever worker asks first (the tests only read it)."""

    def make(reports: Path) -> str:
        done = _conformance(
            ROOT, "--dcc-mode", "certification", f"--dcc-statement={STATEMENT}", f"--dcc-report-dir={reports}",
            "-p", "no:cacheprovider", "-q",
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return str(reports)

    return Path(made_once(tmp_path_factory, "certification-run", make))


@pytest.mark.slow
def test_one_run_writes_every_report(certification_run: Path) -> None:
    reports = certification_run
    document = json.loads((reports / "verdicts.json").read_text())
    totals = document["run"]["totals"]
    assert document["run"]["mode"] == "certification" and set(totals) == {"PASS", "NOT_APPLICABLE"}
    results = reports / "allure-results"
    found = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    assert len(found) == sum(totals.values())  # NOT_APPLICABLE scenarios reach allure too
    labels = [{(label["name"], label["value"]) for label in r["labels"]} for r in found]
    verdicts = [dict(s)["verdict"] for s in labels]
    assert sorted(set(verdicts)) == ["NOT_APPLICABLE", "PASS"]
    epics = {value for s in labels for name, value in s if name == "epic"}
    assert epics == {"DUIS", "CHISM", "GBCS", "pytest-dcc self-check"}
    assert all(any(name == "epic" for name, _ in s) for s in labels)
    assert any(("story", "MP178-UNJOIN") in s for s in labels) and any(("severity", "critical") in s for s in labels)
    assert all(r["links"] for r in found if any(n == "story" for n, _ in {(x["name"], 0) for x in r["labels"]}))
    for name in ("environment.properties", "executor.json", "categories.json"):
        assert (results / name).is_file(), name
    assert "clause.MP178-UNJOIN=PASS" in (results / "environment.properties").read_text()
    assert list(results.glob("*-globals.json")), "the clause matrix is not attached to the report"
    junit = (reports / "junit.xml").read_text()
    assert '<property name="clause" value="MP081-DUIS-3.8.106.3" />' in junit
    carried = [p.get("value") for p in ElementTree.fromstring(junit).iter("property") if p.get("name") == "dcc_record"]
    assert carried and {json.loads(value or "")["verdict"] for value in carried} == {"PASS", "NOT_APPLICABLE"}
    plain = {p.get("value") for p in ElementTree.fromstring(junit).iter("property") if p.get("name") == "dcc_verdict"}
    assert plain == {"PASS", "NOT_APPLICABLE"}
    assert (reports / "clause-matrix.md").is_file() and (reports / "clause-matrix.html").is_file()
    assert json.loads((reports / "test-list.json").read_text())["mode"] == "certification"
    # Evidence on the step that produced it, and never a key.
    steps = [s for r in found for s in r.get("steps", []) if s.get("attachments")]
    assert steps and any(a["name"].startswith("request SRV") for s in steps for a in s["attachments"])
    judgements = [j for s in steps for j in s.get("steps", []) if j["name"].startswith("judgement: HTTP 200")]
    assert judgements, "the exchange's judgement is not a sub-step of the step that sent it"
    findings = [f["name"] for f in judgements[0]["steps"]]
    assert any(f.startswith("signature: verified") for f in findings) and any(
        f.startswith("response code: ") for f in findings
    ), findings
    for attachment in results.glob("*-attachment.*"):
        assert b"PRIVATE KEY" not in attachment.read_bytes()
    # allure-pytest-bdd records each step's arguments by repr: the suite's objects keep theirs short and stateless
    # (the Target's used to carry every response received so far: 30 MB of results for one run).
    parameters = [p["value"] for r in found for s in r.get("steps", []) for p in s.get("parameters", [])]
    assert parameters and max(len(v) for v in parameters) < 300
    assert sum(p.stat().st_size for p in results.iterdir()) < 10_000_000
    index = reports / "allure-report" / "index.html"
    assert index.is_file() and "googletagmanager" not in index.read_text()
    # An outline row is named by its Examples values in verdicts.json and the clause matrix.
    rows = [s for s in document["scenarios"] if "Pending hubs move on" in s["name"]]
    assert rows and all(s["example"].startswith("chf=") for s in rows), rows[:2]
    assert "[chf=Pending, gpf=Pending," in (reports / "clause-matrix.md").read_text()
    # MP106 is reading guidance: reported in the verdict message and as an allure step, not judged by a Then.
    space = [s for s in document["scenarios"] if "unconfirmed variant is answered" in s["name"]]
    assert space and all('read as "Unknown" (MP106 guidance from 2021-06)' in s["message"] for s in space), space

    def names(steps: list[dict[str, object]]) -> list[str]:
        return [str(x["name"]) for x in steps] + [n for x in steps for n in names(x.get("steps", []))]  # type: ignore[arg-type]

    reported = [n for r in found for n in names(r.get("steps", [])) if n.startswith("reported (not judged)")]
    assert any('read as "Unknown"' in n for n in reported), reported


@pytest.mark.slow
def test_bundle_of_a_certification_run_verifies_and_any_change_is_caught(
    certification_run: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "bundle.tar.gz"
    assert _conformance(tmp_path, "bundle", "--report-dir", str(certification_run), "-o", str(archive)).returncode == 0
    verified = _conformance(tmp_path, "verify-bundle", str(archive))
    assert verified.returncode == 0, verified.stdout
    assert "bundle verified" in verified.stdout

    tampered = tmp_path / "tampered.tar.gz"
    shutil.copy(archive, tampered)
    with tarfile.open(archive, "r:gz") as tar:
        verdicts = json.loads(tar.extractfile("verdicts.json").read())  # type: ignore[union-attr]
    relaxed = copy.deepcopy(verdicts)
    relaxed["run"]["mode"] = "development"
    _rewrite(tampered, {"verdicts.json": json.dumps(relaxed).encode(), "statement.yaml": None})
    checked = bundle.verify(tampered)
    assert not checked.ok
    problems = "\n".join(checked.problems)
    assert "verdicts.json does not match its manifest hash" in problems
    assert "statement.yaml is listed in the manifest but missing" in problems
    assert "development-mode run" in problems

    modified = tmp_path / "modified.tar.gz"
    shutil.copy(archive, modified)
    verdicts["run"]["feature_sha256"]["clauses/join-unjoin.feature"] = "0" * 64
    verdicts["run"]["suite_sha256"] = "f" * 64
    body = json.dumps(verdicts).encode()
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    import hashlib

    manifest["files"]["verdicts.json"] = hashlib.sha256(body).hexdigest()  # a consistent forgery of the manifest
    _rewrite(modified, {"verdicts.json": body, "manifest.json": json.dumps(manifest).encode()})
    problems = "\n".join(bundle.verify(modified).problems)
    assert "the suite that ran differs" in problems
    assert "feature clauses/join-unjoin.feature differs from the released suite" in problems


@pytest.mark.slow
def test_diff_of_two_runs_is_a_ci_gate(certification_run: Path, tmp_path: Path) -> None:
    good = certification_run / "verdicts.json"
    worse = json.loads(good.read_text())
    for scenario in worse["scenarios"]:
        if "MP178-UNJOIN" in scenario["clauses"] and scenario["verdict"] == "PASS":
            scenario["verdict"] = "FAIL"
    bad = tmp_path / "after.json"
    bad.write_text(json.dumps(worse))
    regression = _conformance(tmp_path, "diff", str(good), str(bad))
    assert regression.returncode == 1 and "MP178-UNJOIN: PASS -> FAIL" in regression.stdout
    assert _conformance(tmp_path, "diff", str(good), str(good)).returncode == 0
    releases = _conformance(tmp_path, "releases", "2021-06", "2024-06")
    assert releases.returncode == 0 and "DP178-E080801, MP178-UNJOIN" in releases.stdout
    unknown = _conformance(tmp_path, "releases", "2021-06", "2099-01")
    assert unknown.returncode == 2 and "unknown SEC release '2099-01'" in unknown.stderr


@pytest.mark.slow
def test_without_node_the_html_report_is_skipped_with_a_clear_message(tmp_path: Path) -> None:
    env_path = f"{Path(sys.executable).parent}"  # python only: no node on PATH
    done = subprocess.run(
        [str(SCRIPT), "-p", "no:cacheprovider", "-q", "-k", "E081401"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env={**os.environ, "PATH": env_path}, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "HTML report not generated: node is not installed" in done.stderr
    assert (tmp_path / "reports" / "verdicts.json").is_file()


# -- the HTML report in a real browser -------------------------------------------------------------------------


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("DCC_REQUIRE_CHROMIUM"):
            pytest.fail("Chromium is required (DCC_REQUIRE_CHROMIUM) but not installed; apt-get install chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it and requires this test")
    return found


@pytest.mark.slow
def test_the_html_report_opens_from_disk_in_chromium_and_fetches_nothing_from_outside(
    certification_run: Path, tmp_path: Path
) -> None:
    """One self-contained file, opened as file:// (no server): the run's scenarios render; a NOT_APPLICABLE one
    is skipped with its reason and no error heading; the clause matrix links each scenario to its result."""
    executable = _chromium()
    document = json.loads((certification_run / "verdicts.json").read_text())
    totals = document["run"]["totals"]
    report = certification_run / "allure-report" / "index.html"
    assert sorted(p.name for p in report.parent.iterdir() if p.suffix == ".html") == ["index.html"]
    not_applicable = next(s for s in document["scenarios"] if s["verdict"] == "NOT_APPLICABLE" and s["allure_id"])
    passed = next(s for s in document["scenarios"] if s["verdict"] == "PASS" and s["clauses"] and s["allure_id"])
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        try:
            page = browser.new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.goto(report.as_uri(), wait_until="networkidle")
            page.get_by_text(f"Results {sum(totals.values())}").wait_for(timeout=30_000)  # the run's scenarios
            for group in ("features", "clauses", "Joins in the Smart Metering Inventory"):  # open the tree
                found = page.get_by_text(group, exact=group != "Joins in the Smart Metering Inventory")
                if found.count():
                    found.first.click()
            page.get_by_text("The installer's story from June 2024", exact=False).first.wait_for(timeout=30_000)
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
            text = page.inner_text("body")
            # a NOT_APPLICABLE result: skipped, its reason in the description, no "Error" section
            page.goto(f"{report.as_uri()}#/{not_applicable['allure_id']}", wait_until="networkidle")
            page.get_by_text("Skipped", exact=True).first.wait_for(timeout=30_000)
            page.wait_for_timeout(1000)
            shown = page.inner_text("body")
            frames = " ".join(f.inner_text("body") for f in page.frames if f != page.main_frame)
            # the clause matrix beside the report: a scenario's link opens its result
            page.goto((certification_run / "clause-matrix.html").as_uri())
            link = page.locator(f'a[href="allure-report/index.html#/{passed["allure_id"]}"]').first
            link.evaluate("a => { a.closest('details').open = true; }")
            link.click()
            page.get_by_text("Test body").first.wait_for(timeout=30_000)
            opened = page.inner_text("body")
        finally:
            browser.close()
    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert "The installer's story from June 2024" in text and "pytest-dcc conformance" in text
    assert not_applicable["name"] in shown and "\nError\n" not in shown
    assert f"NOT_APPLICABLE (skipped): {not_applicable['message']}" in frames
    assert passed["name"] in opened and "Passed" in opened
    outside = [url for url in requested if not url.startswith(("file://", "data:", "blob:", "about:"))]
    assert requested and outside == [], outside


# -- the plugin's allure side, through pytester ----------------------------------------------------------------

MUTANT_CONFTEST = """
import dataclasses
import pytest
from pytest_dcc.spec.releases import release
from pytest_dcc.reference.setup import build_reference

@pytest.fixture(scope="session")
def dcc_reference(dcc_test_pki):
    # An endpoint claiming June 2024 that still checks the SMI join (MP178 not implemented).
    dcc = build_reference(dcc_test_pki, release="2024-06")
    dcc.release = release("2024-06").but(unjoin_requires_smi_join=True)
    yield dcc
"""


@pytest.mark.slow
def test_allure_results_carry_the_verdict_and_sort_fails_by_clause(pytester: pytest.Pytester) -> None:
    import re

    from pytest_dcc._resources import features_dir

    feature = features_dir() / "clauses" / "join-unjoin.feature"
    pytester.makepyfile(test_suite=f"from pytest_bdd import scenarios\nscenarios({str(feature)!r})\n")
    pytester.makeconftest(MUTANT_CONFTEST)
    expected = pytester.path / "expected.yaml"
    expected.write_text(
        '- {id: "The installer\'s story from June 2024: the unjoin goes through", reason: known MP178 gap, '
        "ticket: VEND-1, expires: 2099-01-01}\n",
        encoding="utf-8",
    )
    result = pytester.runpytest_subprocess(
        "--dcc-release=2024-06", "--alluredir=allure", f"--dcc-expected-failures={expected}",
        "--dcc-clause-link-pattern=https://example.test/sec/{id}", "-p", "no:cacheprovider",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    results = [json.loads(p.read_text()) for p in (pytester.path / "allure").glob("*-result.json")]
    by_verdict: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        verdict = next(label["value"] for label in r["labels"] if label["name"] == "verdict")
        by_verdict.setdefault(verdict, []).append(r)
    assert set(by_verdict) == {"PASS", "FAIL", "KNOWN_FAILURE", "NOT_APPLICABLE"}
    assert all(r["status"] == "skipped" for v in ("KNOWN_FAILURE", "NOT_APPLICABLE") for r in by_verdict[v])
    failed = by_verdict["FAIL"]
    assert all(r["status"] == "failed" and "[dcc clauses: MP178-UNJOIN]" in r["statusDetails"]["trace"] for r in failed)
    categories = json.loads((pytester.path / "allure" / "categories.json").read_text())
    unjoin = next(c for c in categories if c["name"] == "FAIL MP178-UNJOIN")
    assert all(re.match(unjoin["traceRegex"], r["statusDetails"]["trace"]) for r in failed)
    other = next(c for c in categories if c["name"] == "FAIL DP178-REJOIN")
    assert not any(re.match(other["traceRegex"], r["statusDetails"]["trace"]) for r in failed)
    links = {link["url"] for r in results for link in r["links"]}
    assert "https://example.test/sec/MP178-UNJOIN" in links


def test_a_bad_clause_link_pattern_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--dcc-clause-link-pattern=https://x/{clause}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--dcc-clause-link-pattern 'https://x/{clause}': placeholders are {id}*"])


def _report_categories(index: Path) -> dict[str, list[str]]:
    """Category name -> the names of the results in it, as Allure 3's single-file report shows them."""
    import base64
    import re

    inlined = re.search(r'd\("widgets/categories\.json","([A-Za-z0-9+/=]+)"\)', index.read_text(encoding="utf-8"))
    assert inlined, "the report inlines no categories widget"
    nodes = json.loads(base64.b64decode(inlined.group(1)))["nodes"]

    def results(node_id: str) -> list[str]:
        node = nodes[node_id]
        return [node["name"]] if node["type"] == "tr" else [n for c in node["childrenIds"] for n in results(c)]

    return {n["name"]: results(i) for i, n in nodes.items() if n["type"] == "category"}


@pytest.mark.slow
def test_the_html_report_sorts_results_into_the_suites_categories(tmp_path: Path) -> None:
    """Allure 3's default report reads categories from its configuration, not from categories.json: a FAIL lands
    under its clause, an ERROR under its cause, a NOT_APPLICABLE under its verdict."""
    from pytest_dcc.reporting.html import generate

    results = tmp_path / "allure"
    results.mkdir()
    cases = [
        ("unjoin story", "failed", "EndpointAssertion: refused", "trace\n[dcc clauses: MP178-UNJOIN]\n"),
        ("waits for ever", "broken", "ResponseTimeoutError: no response for 1:2:3", ""),
        ("not offered", "skipped", "NOT_APPLICABLE: the target offers no 'faults'", ""),
    ]
    for n, (name, status, message, trace) in enumerate(cases):
        document = {"uuid": f"u{n}", "historyId": f"h{n}", "name": name, "fullName": name, "status": status,
                    "statusDetails": {"message": message, "trace": trace}, "stage": "finished", "start": 1,
                    "stop": 2, "labels": []}  # fmt: skip
        (results / f"u{n}-result.json").write_text(json.dumps(document), encoding="utf-8")
    found = _report_categories(generate(results, tmp_path / "report"))
    assert found["FAIL MP178-UNJOIN"] == ["unjoin story"]
    assert found["ERROR: timeout"] == ["waits for ever"]
    assert found["NOT_APPLICABLE"] == ["not offered"]
    assert not any(name.startswith("FAIL") and name != "FAIL MP178-UNJOIN" for name in found), found


def test_junit_xml_carries_each_verdict_as_a_plain_value(pytester: pytest.Pytester) -> None:
    """A CI gate that reads JUnit XML finds ``dcc_verdict`` as it always did, the verdict itself (``PASS``,
    ``FAIL``, ...), each clause as ``clause``, and the whole record (name, message, driver, ...) as one JSON object,
    ``dcc_record``."""
    from xml.etree import ElementTree

    from pytest_dcc._resources import features_dir
    from pytest_dcc.reporting.verdicts import SEVERITY

    feature = features_dir() / "wire" / "request-building.feature"
    pytester.makepyfile(test_suite=f"from pytest_bdd import scenarios\nscenarios({str(feature)!r})\n")
    result = pytester.runpytest("--junitxml=junit.xml", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    cases = list(ElementTree.parse(pytester.path / "junit.xml").getroot().iter("testcase"))
    assert cases
    for case in cases:
        properties = [(p.get("name"), p.get("value") or "") for p in case.iter("property")]
        verdicts = [value for name, value in properties if name == "dcc_verdict"]
        records = [json.loads(value) for name, value in properties if name == "dcc_record"]
        assert len(verdicts) == 1 and verdicts[0] in SEVERITY, properties
        assert len(records) == 1 and records[0]["verdict"] == verdicts[0], properties


def test_a_scenarios_srvs_in_the_test_list_do_not_depend_on_the_hash_seed() -> None:
    """pytest-bdd keeps a scenario's tags in a set, so its ``dcc_srv`` markers come in an order that changes with
    PYTHONHASHSEED; test-list.json (in the certification bundle) lists them in one order, whatever the run."""
    from types import SimpleNamespace

    from pytest_dcc.plugin.certification import scenario_srvs

    def item(*srvs: str) -> Any:
        markers = [SimpleNamespace(args=(srv,)) for srv in srvs]
        return SimpleNamespace(iter_markers=lambda name: iter(markers if name == "dcc_srv" else []))

    assert scenario_srvs(item("8.8.2", "8.7.2")) == scenario_srvs(item("8.7.2", "8.8.2")) == ["8.7.2", "8.8.2"]
    assert scenario_srvs(item("8.14.2", "8.9", "12.2")) == ["8.9", "8.14.2", "12.2"]

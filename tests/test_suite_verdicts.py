"""The suite's verdicts, proven with pytester: a wrong endpoint behaviour is FAIL, a dead endpoint is ERROR, a target
without a needed capability is NOT_APPLICABLE, and the bundled suite passes against the reference in every release."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pytest_dcc._resources import features_dir
from pytest_dcc.spec.clauses import CLAUSES
from pytest_dcc.spec.releases import RELEASES
from pytest_dcc.transport.receiver import ServerThread, free_port
from qa.serve import ServeProcess

JOIN_FEATURE = features_dir() / "clauses" / "join-unjoin.feature"


def _suite(pytester: pytest.Pytester, feature: Path, conftest: str = "") -> None:
    pytester.makepyfile(test_suite=f"from pytest_bdd import scenarios\nscenarios({str(feature)!r})\n")
    if conftest:
        pytester.makeconftest(conftest)


def _verdicts(pytester: pytest.Pytester) -> dict[str, object]:
    return json.loads((pytester.path / "reports" / "verdicts.json").read_text())


def _assert_all_pass_or_not_applicable(pytester: pytest.Pytester, result: pytest.RunResult) -> None:
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    document = _verdicts(pytester)
    totals = document["run"]["totals"]  # type: ignore[index]
    assert set(totals) <= {"PASS", "NOT_APPLICABLE"} and totals["PASS"] >= 30
    claimed = document["run"]["release"]  # type: ignore[index]
    for scenario in document["scenarios"]:  # type: ignore[attr-defined]
        mp081 = any(c.startswith("MP081-") for c in scenario["clauses"])
        if claimed == "2020-06" and mp081:  # MP081 changed the text, not the DCC: not normative, never different
            assert scenario["verdict"] == "NOT_APPLICABLE", scenario
            assert "not normative before MP081, November 2020" in scenario["message"], scenario
        elif claimed != "2020-06" and mp081:  # NA only for a 4G region the schema lacks, or no declared addresses
            reasons = ("4G", "declares no coverage_addresses")
            assert scenario["verdict"] == "PASS" or any(r in scenario["message"] for r in reasons), scenario


def test_wrong_endpoint_behaviour_is_fail(pytester: pytest.Pytester) -> None:
    _suite(
        pytester,
        JOIN_FEATURE,
        """
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
""",
    )
    result = pytester.runpytest("--dcc-release=2024-06", "-p", "no:cacheprovider")
    # the Join and Unjoin outlines run both variants, remotely and for local delivery
    result.assert_outcomes(passed=7, failed=7, skipped=12)
    document = _verdicts(pytester)
    failed = [s for s in document["scenarios"] if s["verdict"] == "FAIL"]  # type: ignore[index]
    assert {tuple(s["clauses"]) for s in failed} >= {("MP178-UNJOIN",)}
    assert all(re.search(r"(expected I99, the endpoint|was) answered E080801", s["message"]) for s in failed)
    assert document["clauses"]["MP178-UNJOIN"]["verdict"] == "FAIL"  # type: ignore[index]
    assert document["clauses"]["DP178-E080801"]["verdict"] == "NOT_APPLICABLE"  # type: ignore[index]


@pytest.mark.slow
def test_dead_endpoint_is_error_never_fail(pytester: pytest.Pytester) -> None:
    _suite(pytester, JOIN_FEATURE)
    result = pytester.runpytest(f"--dcc-endpoint=http://127.0.0.1:{free_port()}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    document = _verdicts(pytester)
    verdicts = {s["verdict"] for s in document["scenarios"]}  # type: ignore[index]
    assert verdicts <= {"ERROR", "NOT_APPLICABLE"} and "ERROR" in verdicts
    assert "FAIL" not in verdicts and "PASS" not in verdicts
    assert all("EndpointUnreachableError" in s["message"] for s in document["scenarios"] if s["verdict"] == "ERROR")  # type: ignore[index]
    result.stdout.fnmatch_lines(["*error*"])


@pytest.mark.slow
def test_missing_driver_capability_is_not_applicable(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """DUIS only, no statement: the suite assumes the default estate and arranges over DUIS what it can; what
    needs a capability DUIS lacks is NOT_APPLICABLE naming it, nothing is an ERROR or a FAIL. An endpoint without
    the estate: NOT_APPLICABLE, naming --dcc-statement, and nothing is added to it."""
    from pytest_dcc.duis.pki import load_or_create_pki
    from pytest_dcc.reference.boxed import USERS, default_estate
    from pytest_dcc.reference.server import make_app
    from pytest_dcc.reference.setup import build_reference

    _suite(pytester, JOIN_FEATURE)
    pki = load_or_create_pki(tmp_path / "pki", [eui for eui, _ in USERS])
    users_only = {"version": 1, "users": default_estate()["users"]}
    for inventory in (default_estate(), users_only):
        dcc = build_reference(pki, inventory=inventory)
        with ServerThread(make_app(dcc, test_control=False)) as server:  # DUIS only, no test control
            result = pytester.runpytest_subprocess(
                f"--dcc-endpoint={server.url}", f"--dcc-pki={tmp_path / 'pki'}", "-p", "no:cacheprovider", "-rs"
            )
        assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
        scenarios = _verdicts(pytester)["scenarios"]  # type: ignore[index]
        skipped = [s["message"] for s in scenarios if s["verdict"] == "NOT_APPLICABLE"]  # type: ignore[index]
        if inventory is users_only:
            assert {s["verdict"] for s in scenarios} == {"NOT_APPLICABLE"}  # type: ignore[index]
            assert all("--dcc-statement" in m or "binds until" in m for m in skipped), skipped
            assert dcc.inventory.device_count() == 0  # a guessed pool is looked up, never pre-notified
        else:
            assert {s["verdict"] for s in scenarios} <= {"PASS", "NOT_APPLICABLE"}  # type: ignore[index]
            assert any("needs the 'seed' capability" in m for m in skipped), skipped
        result.stdout.fnmatch_lines(["*NOT_APPLICABLE*"])


@pytest.mark.slow
def test_duis_only_endpoint_is_arranged_over_8_4_and_12_2(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """No test control, no vendor hook: the statement's device pool is the estate, statuses DUIS lets a User set
    are set with SR 8.4, the rest is NOT_APPLICABLE with the reason; what needs no arrangement is judged."""
    import httpx

    from pytest_dcc.duis.pki import load_or_create_pki
    from pytest_dcc.reference.server import make_app
    from pytest_dcc.reference.setup import build_reference
    from tests.reference_harness import CHF, FIXTURES, GPF, GS, IS, OU, PREMISES

    pki = load_or_create_pki(tmp_path / "pki", [IS, GS, OU])
    dcc = build_reference(pki, inventory=PREMISES)
    receiver_port = free_port()

    def deliver(raw: bytes) -> None:  # device responses to the suite's receiver, as --response-url would
        httpx.post(f"http://127.0.0.1:{receiver_port}/", content=raw, headers={"content-type": "application/xml"})

    dcc.set_response_sink(deliver)
    _suite(pytester, features_dir() / "clauses" / "chf-install-no-wan.feature")

    def run_against_duis_only_server() -> pytest.RunResult:
        with ServerThread(make_app(dcc, test_control=False, offload=True)) as server:
            return pytester.runpytest_subprocess(
                f"--dcc-endpoint={server.url}",
                f"--dcc-pki={tmp_path / 'pki'}",
                f"--dcc-statement={FIXTURES / 'statements' / 'reference-latest.yaml'}",
                f"--dcc-receiver-port={receiver_port}",
                "-p",
                "no:cacheprovider",
            )

    result = run_against_duis_only_server()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    scenarios = _verdicts(pytester)["scenarios"]
    by_verdict: dict[str, list[dict[str, str]]] = {}
    for scenario in scenarios:  # type: ignore[attr-defined]
        by_verdict.setdefault(scenario["verdict"], []).append(scenario)
    assert set(by_verdict) == {"PASS", "NOT_APPLICABLE"}
    passed = " | ".join(s["id"] for s in by_verdict["PASS"]).lower()
    assert "e081401" in passed and "e081402" in passed  # need nothing but the pool
    assert "no_e081402_just_behind_now" in passed  # the CHF set with SR 8.4 (and put back afterwards)
    reasons = [s["message"] for s in by_verdict["NOT_APPLICABLE"]]
    assert any("UpdateDeviceStatusCH can only set" in r for r in reasons)  # a Pending CHF is out of reach
    assert all("8.4" in r or "release" in r for r in reasons), reasons
    matrix = (pytester.path / "reports" / "clause-matrix.md").read_text()
    assert "| MP081-DUIS-3.8.106.3 | DUIS | 3.8.106 SR 8.14.2 CH Status Update - Install No SM WAN | PASS (" in matrix
    row = next(line for line in matrix.splitlines() if line.startswith("| MP081-DUIS-3.8.106.3 "))
    assert row.endswith("assessed over DUIS |"), row  # the DUIS driver's arrangement is DUIS too
    assert dcc.inventory.device(CHF).status == "Commissioned"  # type: ignore[union-attr]
    assert dcc.inventory.device(GPF).status == "Commissioned"  # type: ignore[union-attr]

    # The fixture's GSME is supplied by the Gas Supplier: the tariff goes as the statement's GS user (DUIS
    # eligibility), so the thresholds are judged over DUIS alone; what the meter holds needs the device's view.
    _suite(pytester, features_dir() / "clauses" / "gas-thresholds.feature")
    result = run_against_duis_only_server()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    scenarios = _verdicts(pytester)["scenarios"]
    assert {s["verdict"] for s in scenarios} == {"NOT_APPLICABLE", "PASS"}  # type: ignore[attr-defined]
    refused = [s for s in scenarios if s["verdict"] == "PASS"]  # type: ignore[attr-defined]
    accepted = [s for s in refused if "over DUIS alone" in s["name"]]
    assert len(accepted) == 2 and len(refused) == 17, refused  # 2 accepted, 8 index sets and 7 values refused
    assert all("refused with" in s["message"] for s in refused if s not in accepted), refused
    na = [s["message"] for s in scenarios if s["verdict"] == "NOT_APPLICABLE"]  # type: ignore[attr-defined]
    assert na and all("device-view" in m for m in na), na

    # CHISM table 3 and " " over DUIS alone: every 12.1 answer for the statement's coverage addresses is judged.
    _suite(pytester, features_dir() / "clauses" / "wan-matrix.feature")
    result = run_against_duis_only_server()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    scenarios = _verdicts(pytester)["scenarios"]
    judged = [s for s in scenarios if s["verdict"] != "NOT_APPLICABLE"]  # type: ignore[attr-defined]
    assert [(s["verdict"], "over DUIS alone" in s["name"]) for s in judged] == [("PASS", True)], judged
    assert 'read as "Unknown"' in judged[0]["message"]


def test_every_registry_clause_has_a_scenario() -> None:
    tags = set()
    for feature in features_dir().rglob("*.feature"):
        tags |= set(re.findall(r"@clause:([A-Za-z0-9.-]+)", feature.read_text()))
    assert tags == set(CLAUSES)


@pytest.mark.slow
@pytest.mark.parametrize("release", [*RELEASES, "latest"])
def test_bundled_suite_passes_against_the_reference_in_every_release(pytester: pytest.Pytester, release: str) -> None:
    result = pytester.runpytest("--pyargs", "pytest_dcc.suite", f"--dcc-release={release}", "-p", "no:cacheprovider")
    _assert_all_pass_or_not_applicable(pytester, result)


@pytest.mark.slow
@pytest.mark.parametrize("release", [*RELEASES])
def test_bundled_suite_passes_over_http_against_pytest_dcc_serve(
    pytester: pytest.Pytester, tmp_path: Path, release: str
) -> None:
    server_port, receiver_port = free_port(), free_port()
    pki = tmp_path / "pki"
    args = ["--pki", str(pki), "--test-control", "--release", release]
    args += ["--response-url", f"http://127.0.0.1:{receiver_port}/", "--log-level", "warning"]
    with ServeProcess(args, tmp_path / "serve.log", port=server_port):
        result = pytester.runpytest_subprocess(
            "--pyargs",
            "pytest_dcc.suite",
            f"--dcc-endpoint=http://127.0.0.1:{server_port}",
            f"--dcc-pki={pki}",
            f"--dcc-release={release}",
            f"--dcc-receiver-port={receiver_port}",
            "-p",
            "no:cacheprovider",
        )
    _assert_all_pass_or_not_applicable(pytester, result)


@pytest.mark.slow
def test_dcc_conformance_script_runs_the_bundled_suite_from_any_directory(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = Path(sys.executable).parent / "dcc-conformance"
    assert script.is_file(), "the console script is installed with the package"
    result = subprocess.run(
        [str(script), "-q", "-p", "no:cacheprovider", "--dcc-release", "2020-06"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "warning" not in result.stdout.lower()
    document = json.loads((tmp_path / "reports" / "verdicts.json").read_text())
    assert document["run"]["release"] == "2020-06"
    assert (tmp_path / "reports" / "junit.xml").is_file() and (tmp_path / "reports" / "allure-results").is_dir()


@pytest.mark.slow
def test_the_wheel_ships_the_features(tmp_path: Path) -> None:
    import subprocess
    import sys
    import zipfile

    root = Path(__file__).resolve().parent.parent
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if built.returncode != 0 and "hatchling" in built.stderr:
        built = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(root)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("pytest_dcc-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n for n in names if n.startswith("pytest_dcc/_bundled/features/") and n.endswith(".feature")}
    in_checkout = {
        f"pytest_dcc/_bundled/features/{p.relative_to(root / 'features')}"
        for p in (root / "features").rglob("*.feature")
    }
    assert shipped == in_checkout
    assert "pytest_dcc/spec/xsd/pytest-dcc-duis.xsd" in names and "pytest_dcc/py.typed" in names


@pytest.mark.slow
def test_parallel_in_process_run_records_every_verdict_once(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--pyargs", "pytest_dcc.suite", "-n", "2", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2000:]
    document = _verdicts(pytester)
    ids = [s["id"] for s in document["scenarios"]]  # type: ignore[index]
    assert len(ids) == len(set(ids)) >= 90
    assert set(document["run"]["totals"]) == {"PASS", "NOT_APPLICABLE"}  # type: ignore[index]


def test_only_an_endpoint_assertion_is_a_fail_harness_trouble_is_an_error(pytester: pytest.Pytester) -> None:
    """In a clause scenario a plain assert (the suite's own precondition) is ERROR; an EndpointAssertion (a judgement
    on the endpoint's answer or state) is FAIL. A user's own scenario without a clause tag keeps pytest's FAIL."""
    pytester.makefile(
        ".feature",
        verdicts="""
Feature: verdict classes
  @clause:MP081-DUIS-3.8.106.3
  Scenario: the endpoint answers wrongly
    Given the endpoint answered wrongly

  @clause:MP081-DUIS-3.8.106.3
  Scenario: the suite's own precondition does not hold
    Given a precondition of the suite does not hold

  Scenario: a user's own scenario fails
    Given a precondition of the suite does not hold
""",
    )
    pytester.makepyfile(
        test_verdicts="""
from pytest_bdd import given, scenarios
from pytest_dcc.errors import EndpointAssertion

scenarios("verdicts.feature")

@given("the endpoint answered wrongly")
def wrong():
    raise EndpointAssertion("expected E081401, the endpoint answered I99")

@given("a precondition of the suite does not hold")
def precondition():
    assert 1 == 2, "the suite's own bookkeeping"
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    verdicts = {s["name"]: s["verdict"] for s in _verdicts(pytester)["scenarios"]}  # type: ignore[attr-defined]
    assert verdicts == {
        "the endpoint answers wrongly": "FAIL",
        "the suite's own precondition does not hold": "ERROR",
        "a user's own scenario fails": "FAIL",
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("claimed", "inner", "wrong"),
    [("2021-06", "2021-06", False), ("2024-06", "2024-06", False), ("2021-06", "2024-06", True)],
)
@pytest.mark.slow
def test_joins_and_e080801_are_judged_over_duis_alone(
    pytester: pytest.Pytester, tmp_path: Path, claimed: str, inner: str, wrong: bool
) -> None:
    """No test control: with the statement declaring which pool pairs the SMI joins, E080801 (before 2024-06), the
    SMI join (a Join whose response arrived, then an accepted Unjoin) and MP178 (from 2024-06) are judged over DUIS.
    An endpoint claiming 2021-06 that no longer checks the SMI join FAILs DP178-E080801."""
    import httpx
    import yaml

    from pytest_dcc.duis.pki import load_or_create_pki
    from pytest_dcc.reference.server import make_app
    from pytest_dcc.reference.setup import build_reference
    from tests.reference_harness import FIXTURES, GS, IS, OU, PREMISES

    pki = load_or_create_pki(tmp_path / "pki", [IS, GS, OU])
    dcc = build_reference(pki, inventory=PREMISES, release=inner)
    receiver_port = free_port()
    dcc.set_response_sink(
        lambda raw: httpx.post(f"http://127.0.0.1:{receiver_port}/", content=raw, headers={"content-type": "text/xml"})
    )
    statement = yaml.safe_load((FIXTURES / "statements" / "reference-latest.yaml").read_text())
    statement.update(release=claimed, joins=[])  # the vendor declares: the SMI holds no join in the pool
    path = tmp_path / "statement.yaml"
    path.write_text(yaml.safe_dump(statement))
    _suite(pytester, JOIN_FEATURE)
    with ServerThread(make_app(dcc, test_control=False, offload=True)) as server:
        pytester.runpytest_subprocess(
            f"--dcc-endpoint={server.url}",
            f"--dcc-pki={tmp_path / 'pki'}",
            f"--dcc-statement={path}",
            f"--dcc-receiver-port={receiver_port}",
            "-p",
            "no:cacheprovider",
        )
    scenarios = _verdicts(pytester)["scenarios"]
    duis_alone = {s["name"]: s["verdict"] for s in scenarios if "over DUIS alone" in s["name"]}  # type: ignore[attr-defined]
    others = {s["verdict"] for s in scenarios if "over DUIS alone" not in s["name"]}  # type: ignore[attr-defined]
    assert others == {"NOT_APPLICABLE"}
    before = [n for n in duis_alone if "E080801" in n or "Before June 2024" in n]
    after = [n for n in duis_alone if "is accepted and sent" in n or "is issued" in n]
    assert len(before) == 3 and len(after) == 2  # remote and for local delivery
    if wrong:
        assert duis_alone[next(n for n in before if "E080801" in n)] == "FAIL"
        return
    expected = dict.fromkeys(before if claimed == "2021-06" else after, "PASS")
    expected |= dict.fromkeys(after if claimed == "2021-06" else before, "NOT_APPLICABLE")
    assert duis_alone == expected

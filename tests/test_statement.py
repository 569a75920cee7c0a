"""The implementation statement, expected failures and certification mode, through pytester."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pytest_dcc._resources import features_dir
from tests.reference_harness import FIXTURES

STATEMENT = FIXTURES / "statements" / "reference-latest.yaml"
JOIN_FEATURE = features_dir() / "clauses" / "join-unjoin.feature"
BROKEN_2024 = """
import dataclasses
import pytest
from pytest_dcc.spec.releases import release
from pytest_dcc.reference.setup import build_reference

@pytest.fixture(scope="session")
def dcc_reference(dcc_test_pki):
    dcc = build_reference(dcc_test_pki, release="2024-06")
    dcc.release = release("2024-06").but(unjoin_requires_smi_join=True)
    yield dcc
"""


def _statement(pytester: pytest.Pytester, **changes: object) -> Path:
    data = yaml.safe_load(STATEMENT.read_text())
    data.update(changes)
    path = pytester.path / "statement.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _local_join_suite(pytester: pytest.Pytester, conftest: str = "") -> None:
    pytester.makepyfile(test_suite=f"from pytest_bdd import scenarios\nscenarios({str(JOIN_FEATURE)!r})\n")
    if conftest:
        pytester.makeconftest(conftest)


def test_statement_lint_names_every_problem(pytester: pytest.Pytester) -> None:
    path = _statement(
        pytester,
        users=[{"role": "OU", "eui": "90-B3-D5-1F-30-04-00-00"}, {"role": "XX", "eui": "1"}],
        srvs={"8.13": [1], "8.14.2": [8], "9.9.9": [8]},
        devices=[{"eui": "nope", "type": "ESME"}, {"eui": "00-DB-12-34-56-78-90-A0", "type": "METER"}],
    )
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(f"--dcc-statement={path}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    for fragment in (
        "role 'XX' is not one of",
        "SRV 8.13 does not take command variant(s) [1]",
        "SRV 8.14.2 may be sent by IS, GS; the statement's users are OU",
        "'9.9.9' is not a DUIS Service Reference Variant",
        "'nope' is not an EUI-64",
        "type 'METER' is not one of",
    ):
        assert fragment in err, fragment


def test_release_contradicting_the_statement_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(f"--dcc-statement={_statement(pytester)}", "--dcc-release=2020-06")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--dcc-release contradicts the statement, which claims 2025-11*"])


def test_undeclared_srv_makes_scenarios_not_applicable_and_is_in_the_test_list(pytester: pytest.Pytester) -> None:
    data = yaml.safe_load(STATEMENT.read_text())
    srvs = {k: v for k, v in data["srvs"].items() if k not in {"8.8.1", "8.8.2"}}
    _local_join_suite(pytester)
    result = pytester.runpytest(f"--dcc-statement={_statement(pytester, srvs=srvs)}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    listed = json.loads((pytester.path / "reports" / "test-list.json").read_text())["scenarios"]
    ruled_out = [s for s in listed if not s["applicable"] and "does not declare SRV 8.8." in s["reason"]]
    # The four from-2024-06 unjoin outlines (an 8.8.1 and an 8.8.2 row each, one of them for local delivery) and the
    # from-2024-06 story; the before-2024-06 ones are ruled out by release.
    assert len(ruled_out) == 9
    verdicts = json.loads((pytester.path / "reports" / "verdicts.json").read_text())
    assert verdicts["clauses"]["MP178-UNJOIN"]["verdict"] == "NOT_APPLICABLE"


@pytest.mark.slow
def test_expected_failures_known_failure_unexpected_pass_and_expiry(pytester: pytest.Pytester) -> None:
    _local_join_suite(pytester, BROKEN_2024)
    failures = pytester.path / "expected.yaml"
    failures.write_text(
        yaml.safe_dump(
            [
                {"id": "MP178-UNJOIN", "reason": "unjoin validation still on", "ticket": "V-1"},
                {
                    "id": "A join response lost on its way to the DSP leaves the inventory without the join",
                    "reason": "thought broken",
                    "ticket": "V-2",
                },
            ]
        )
    )
    result = pytester.runpytest(
        "--dcc-release=2024-06", f"--dcc-expected-failures={failures}", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the unexpected pass fails the run
    verdicts = {
        s["name"]: s["verdict"] for s in json.loads((pytester.path / "reports/verdicts.json").read_text())["scenarios"]
    }
    assert verdicts["An Unjoin goes to the device whatever the inventory says"] == "KNOWN_FAILURE"
    assert (
        verdicts["A join response lost on its way to the DSP leaves the inventory without the join"]
        == "UNEXPECTED_PASS"
    )
    failures.write_text(yaml.safe_dump([{"id": "MP178-UNJOIN", "reason": "old", "expires": "2020-01-01"}]))
    result = pytester.runpytest(
        "--dcc-release=2024-06", f"--dcc-expected-failures={failures}", "-p", "no:cacheprovider"
    )
    verdicts = {s["name"]: s for s in json.loads((pytester.path / "reports/verdicts.json").read_text())["scenarios"]}
    expired = verdicts["An Unjoin goes to the device whatever the inventory says"]
    assert expired["verdict"] == "FAIL" and "expired on 2020-01-01" in expired["message"]


def test_bad_expected_failures_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    bad = pytester.path / "expected.yaml"
    bad.write_text(yaml.safe_dump([{"id": "X"}]))
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(f"--dcc-expected-failures={bad}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*entry 1: 'id' and 'reason' are required*"])


def test_certification_forbids_deselection_and_needs_a_statement(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--dcc-mode=certification", "-k", "x", f"--dcc-statement={_statement(pytester)}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*certification forbids -k*"])
    result = pytester.runpytest("--dcc-mode=certification")
    result.stderr.fnmatch_lines(["*certification needs --dcc-statement*"])


def test_certification_refuses_an_incomplete_run(pytester: pytest.Pytester) -> None:
    _local_join_suite(pytester)  # one feature only
    result = pytester.runpytest(
        "--dcc-mode=certification", f"--dcc-statement={_statement(pytester)}", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*collected scenarios differ from the computed list*", "*missing clauses/*"])


@pytest.mark.slow
def test_certification_run_of_the_bundled_suite(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "--pyargs",
        "pytest_dcc.suite",
        "--dcc-mode=certification",
        f"--dcc-statement={STATEMENT}",
        "-p",
        "no:cacheprovider",
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2000:] + result.stderr.str()[-2000:]


def test_statement_device_pool_and_users_replace_the_template_euis(pytester: pytest.Pytester) -> None:
    data = yaml.safe_load(STATEMENT.read_text())
    data["devices"] = [
        d if d["type"] != "ESME" else {"eui": "00-DB-12-34-56-78-90-B0", "type": "ESME"} for d in data["devices"]
    ]
    data["users"] = [
        u if u["role"] != "GS" else {"role": "GS", "eui": "90-B3-D5-1F-30-07-00-00"} for u in data["users"]
    ]
    path = pytester.path / "statement.yaml"
    path.write_text(yaml.safe_dump(data))
    pytester.makepyfile(
        test_suite=(
            f"from pytest_bdd import scenarios\nscenarios({str(JOIN_FEATURE)!r})\n\n"
            "def test_zz_pool_was_used(dcc_reference):\n"
            "    inventory = dcc_reference.inventory\n"
            "    assert inventory.device('00-DB-12-34-56-78-90-B0').type == 'ESME'\n"
            "    assert inventory.device('00-DB-12-34-56-78-90-A0') is None\n"
            "    assert inventory.user('90-B3-D5-1F-30-07-00-00').role == 'GS'\n"
        )
    )
    result = pytester.runpytest(f"--dcc-statement={path}", "-p", "no:cacheprovider")
    # the Join and Unjoin outlines run both variants, remotely and for local delivery
    result.assert_outcomes(passed=15, skipped=12)


def test_statement_refusal_codes_and_chism_column_are_linted(pytester: pytest.Pytester) -> None:
    path = _statement(
        pytester,
        chism_column="DCC 3.0",
        refusal_codes={
            "threshold-index-duplicate": "E081302",  # an 8.13 code for a 1.1 case
            "chf-install-not-a-chf": "E081405",  # the case has a published code, E081401
            "no-such-case": "E1",
            "local-response-off-the-list": "E081303",  # fine
        },
        joins=[{"device": "00-DB-12-34-56-78-90-A0", "other": "00-DB-12-34-56-78-99-99"}, {"device": "x"}],
        coverage_addresses=[{"uprn": 0}, {"postcode": "M2", "address_identifier": "x"}, {"uprn": 1, "postcode": "x"}],
        spare_devices=[
            {"eui": "00-DB-12-34-56-78-90-A0", "type": "ESME"},
            {"eui": "00-DB-12-34-56-78-91-A2", "type": "HUB"},
        ],
    )
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(f"--dcc-statement={path}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    for fragment in (
        "chism_column 'DCC 3.0' is not one of 'DCC 1.3', 'DCC 2.0'",
        "threshold-index-duplicate: E081302 is neither an E-code of SR 1.1 in DUIS 5.4 (E010101, E010102)",
        "chf-install-not-a-chf has a published code, E081401; E081405 cannot replace it",
        "'no-such-case' is not a refusal case",
        "joins: 00-DB-12-34-56-78-99-99 is not in the statement's device pool",
        "joins: {'device': 'x'} needs 'device' and 'other'",
        "coverage_addresses: {'uprn': 0}: uprn must be a positive integer of at most 12 digits",
        "postcode must be 6 to 8 characters",
        "'uprn': 1}: must be {uprn: N} or {postcode: P, address_identifier: A}",
        "spare_devices: 00-DB-12-34-56-78-90-A0 is in the device pool",
        "type must be one of",
    ):
        assert fragment in err, fragment
    assert "refusal_codes: local-response-off-the-list" not in err


GAS_FEATURE = features_dir() / "clauses" / "gas-thresholds.feature"
RECODED = """
import pytest
from pytest_dcc.reference.setup import build_reference

@pytest.fixture(scope="session")
def dcc_reference(dcc_test_pki):
    from pytest_dcc.reference.checks import Refusal
    from pytest_dcc.reference.services import tariff

    def validate(ctx, device, _original=tariff.validate):
        try:
            _original(ctx, device)
        except Refusal as refusal:
            raise Refusal("E010102" if refusal.code == "E010101" else refusal.code, refusal.reason) from None

    tariff.validate = validate
    yield build_reference(dcc_test_pki)
"""


@pytest.mark.parametrize("declared", [None, "E010102", "E010101"])
def test_a_declared_refusal_code_is_held_to_and_an_undeclared_one_is_free(
    pytester: pytest.Pytester, declared: str | None
) -> None:
    """An endpoint refusing duplicate threshold indexes with E010102 (no meaning is published): PASS unless the
    statement declares E010101 for the case, then FAIL naming the declared code."""
    pytester.makepyfile(test_suite=f"from pytest_bdd import scenarios\nscenarios({str(GAS_FEATURE)!r})\n")
    pytester.makeconftest(RECODED)
    codes = {"threshold-index-duplicate": declared} if declared else {}
    result = pytester.runpytest(
        f"--dcc-statement={_statement(pytester, refusal_codes=codes)}", "-p", "no:cacheprovider"
    )
    verdicts = json.loads((pytester.path / "reports" / "verdicts.json").read_text())["scenarios"]
    duplicate = [v for v in verdicts if "-1,1-threshold" in v["id"]]
    assert len(duplicate) == 1
    if declared == "E010101":
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        assert duplicate[0]["verdict"] == "FAIL"
        assert "the code the implementation statement declares" in duplicate[0]["message"]
        assert "E010101" in duplicate[0]["message"]
    else:
        assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2000:]
        assert duplicate[0]["verdict"] == "PASS"
        assert "E010102" in duplicate[0]["message"]  # the code used is reported

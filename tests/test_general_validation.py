"""The general validation of DUIS 3.2.5 (features/envelope/general-validation.feature) on a critical, a non-critical
and a non-device SRV: every row passes against the reference DCC, which refuses each broken request for the reason
it is broken; a row whose SRV (or command variant) the statement does not declare is NOT_APPLICABLE; and an endpoint
that skips one check on one kind of SRV FAILs exactly the rows of that kind (the mutations of
``qa/mutants/validation.py``, attached in front of the reference in the pytester run)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from pytest_dcc._resources import features_dir
from pytest_dcc.duis.gbcs import sign_pre_command
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.spec import SERVICE_PATHS, SRVS, path_for_cv
from pytest_dcc.spec.refusals import REFUSAL_CASES, declarable, general_case, refusal_codes, sr_codes
from qa.mutants.validation import mutations
from tests.reference_harness import FIXTURES, GS, IS, OU, Harness

FEATURE = features_dir() / "envelope" / "general-validation.feature"
ROWS = 44  # 6 controls, 12 wrong web services, 3 x 8 checks on three SRVs, 2 ineligible roles
CONFTEST = """
import pytest
from pytest_dcc.reference.setup import build_reference
from qa.mutants import attach
from qa.mutants.validation import mutations

MUTATION = {{m.name: m for m in mutations()}}[{name!r}]

@pytest.fixture(scope="session")
def dcc_reference(dcc_test_pki):
    dcc = build_reference(dcc_test_pki)
    attach(dcc, MUTATION, dcc_test_pki)
    yield dcc
"""


def _run(pytester: pytest.Pytester, *args: str, conftest: str = "") -> list[dict[str, Any]]:
    pytester.makepyfile(test_suite=f"from pytest_bdd import scenarios\nscenarios({str(FEATURE)!r})\n")
    if conftest:
        pytester.makeconftest(conftest)
    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", *args)
    return list(json.loads((pytester.path / "reports" / "verdicts.json").read_text())["scenarios"])


def _row(scenario: dict[str, Any]) -> dict[str, str]:
    return dict(part.split("=", 1) for part in str(scenario["example"]).split(", "))


def _statement(pytester: pytest.Pytester, srvs: dict[str, list[int]]) -> str:
    data = yaml.safe_load((FIXTURES / "statements" / "reference-latest.yaml").read_text())
    data["srvs"] = srvs
    path = pytester.path / "statement.yaml"
    path.write_text(yaml.safe_dump(data))
    return f"--dcc-statement={path}"


def test_every_row_passes_against_the_reference(pytester: pytest.Pytester) -> None:
    scenarios = _run(pytester)
    assert len(scenarios) == ROWS
    assert {s["verdict"] for s in scenarios} == {"PASS"}, [s["message"] for s in scenarios if s["verdict"] != "PASS"]
    assert all(s["clauses"] == ["MP081-DUIS-3.8.77.3"] for s in scenarios)
    kinds = {_row(s)["srv"] for s in scenarios}
    assert kinds == {"6.24.2", "3.2", "8.2"}
    assert [SRVS[k].critical for k in ("6.24.2", "3.2")] == [True, False] and SRVS["8.2"].non_device
    wrong = [_row(s) for s in scenarios if "E13" in s["name"]]
    for srv, cv in {(r["srv"], int(r["cv"])) for r in wrong}:  # every other web service, for each CV sent
        paths = {r["path"] for r in wrong if r["srv"] == srv and int(r["cv"]) == cv}
        assert paths == set(SERVICE_PATHS.values()) - {path_for_cv(cv)}, (srv, cv)
    controls = {(r["srv"], int(r["cv"])) for r in (_row(s) for s in scenarios if "control" in s["name"])}
    assert controls == {(r["srv"], int(r["cv"])) for r in wrong}  # each wrong URL has its accepting control


def test_rows_the_statement_does_not_offer_are_not_applicable(pytester: pytest.Pytester) -> None:
    """Without 3.2 in the statement, its rows are NOT_APPLICABLE (the srv column is what applicability sees);
    6.24.2 declared with CV 4 and 5 only makes its CV 6 rows NOT_APPLICABLE; the rest is judged and passes."""
    scenarios = _run(pytester, _statement(pytester, {"6.24.2": [4, 5], "8.2": [8]}))
    assert len(scenarios) == ROWS
    for scenario in scenarios:
        row = _row(scenario)
        if row["srv"] == "3.2":
            assert scenario["verdict"] == "NOT_APPLICABLE", scenario
            assert "does not declare SRV 3.2" in scenario["message"], scenario
        elif row.get("cv") == "6":
            assert scenario["verdict"] == "NOT_APPLICABLE", scenario
            assert "SRV 6.24.2 with command variant(s) 4, 5, not 6" in scenario["message"], scenario
        else:
            assert scenario["verdict"] == "PASS", scenario
    judged = [s for s in scenarios if s["verdict"] == "PASS"]
    assert {_row(s)["srv"] for s in judged} == {"6.24.2", "8.2"} and len(judged) == ROWS - 15 - 3


#: What each wrong endpoint gets wrong: (scenario name fragment, SRV[, CV]) of the rows that must FAIL; all other
#: rows pass.
CAUGHT_BY = {
    "signatures-not-checked-on-non-critical": {
        (name, srv)
        for name in ("signed content", "one bit flipped", "does not know", "another registered user")
        for srv in ("3.2", "8.2")
    },
    "signer-not-checked-on-non-critical": {("another registered user", "3.2"), ("another registered user", "8.2")},
    "lower-counter-accepted-on-non-critical": {("counter is below", "3.2"), ("counter is below", "8.2")},
    "web-service-not-checked-on-non-device": {("E13", "8.2")},
    "web-service-not-checked-for-signed-pre-commands": {("E13", "6.24.2", "5"), ("E13", "6.24.2", "6")},
    "service-reference-not-checked-on-non-device": {("Service Reference", "8.2")},
    "role-not-checked-on-non-critical": {("role may not send", "3.2")},
}


def _matches(scenario: dict[str, Any], key: tuple[str, ...]) -> bool:
    row = _row(scenario)
    return key[0] in scenario["name"] and row["srv"] == key[1] and (len(key) < 3 or row.get("cv") == key[2])


@pytest.mark.parametrize("name", sorted(CAUGHT_BY))
def test_an_endpoint_skipping_a_check_on_one_kind_of_srv_fails_those_rows(pytester: pytest.Pytester, name: str) -> None:
    scenarios = _run(pytester, conftest=CONFTEST.format(name=name))
    assert len(scenarios) == ROWS
    expected = [s for s in scenarios if any(_matches(s, key) for key in CAUGHT_BY[name])]
    assert expected and all(s["verdict"] == "FAIL" for s in expected), [(s["example"], s["message"]) for s in expected]
    others = [s for s in scenarios if s not in expected]
    assert all(s["verdict"] == "PASS" for s in others), [(s["name"], s["example"], s["message"]) for s in others]
    assert all("refused" in str(s["message"]) or "answered" in str(s["message"]) for s in expected)


def test_every_validation_mutation_is_tried() -> None:
    assert set(CAUGHT_BY) == {m.name for m in mutations()}


# -- the reference DCC refuses each broken request for the reason it is broken -------------------------------------


@pytest.mark.parametrize("srv", ["6.24.2", "3.2", "8.2"])
def test_the_reference_refuses_another_users_signature_as_such(srv: str) -> None:
    h = Harness()
    assert h.send(h.build(srv, **sample_values(srv)), signer=GS).code == "E1"
    assert f"signed by {GS}, but the BusinessOriginatorID is {IS}" in h.dcc.history[-1].reason


@pytest.mark.parametrize("srv", ["6.24.2", "3.2", "8.2"])
def test_the_reference_refuses_a_fresh_request_with_a_lower_counter(srv: str) -> None:
    h = Harness()
    earlier, later = (h.build(srv, **sample_values(srv)) for _ in range(2))
    assert h.send(later).code in ("I0", "I99")
    assert h.send(earlier).code == "E1"
    assert "is not above the last accepted" in h.dcc.history[-1].reason
    assert h.send(h.build(srv, **sample_values(srv))).code in ("I0", "I99")  # a later counter is accepted again


@pytest.mark.parametrize("cv", [5, 6])
def test_the_reference_refuses_a_signed_pre_command_at_another_web_service_with_e13(cv: int) -> None:
    h = Harness()
    for path in set(SERVICE_PATHS.values()) - {path_for_cv(cv)}:
        first = h.request("6.24.2", cv=4, **sample_values("6.24.2"))
        payload = first.judged.response.gbcs_payload
        assert payload is not None
        signed = sign_pre_command(payload, h.pki.identity(IS).key)
        follow = h.builder(IS).signed_pre_command(first.request, signed, cv=cv)
        assert h.send(follow, path=path).code == "E13", path
        assert h.send(h.builder(IS).signed_pre_command(first.request, signed, cv=cv)).code in ("I0", "I99")


def test_the_reference_refuses_an_ineligible_role_with_e2() -> None:
    h = Harness()
    for srv in ("6.24.2", "3.2"):
        assert h.request(srv, user=OU, **sample_values(srv)).code == "E2"
        assert "may not send SRV" in h.dcc.history[-1].reason


# -- the general refusal cases ---------------------------------------------------------------------------------------


def test_a_general_case_is_judged_on_the_sr_of_the_request() -> None:
    case = REFUSAL_CASES[general_case("signer-not-originator", "8.2")]
    assert (case.id, case.sr, case.transport_level) == ("signer-not-originator", "8.2", True)
    own = {c for c in sr_codes("8.2", "5.4") if c.startswith("E")}
    assert own and refusal_codes(case, "5.4") >= own | {"E1", "E2"}
    assert not own & refusal_codes(REFUSAL_CASES["signer-not-originator"], "5.4")  # 6.24's set, not 8.2's
    assert REFUSAL_CASES[general_case("wrong-web-service", "8.2")].published == "E13"
    assert not REFUSAL_CASES[general_case("role-ineligible", "8.2")].transport_level
    assert "signer-not-originator@8.2" not in list(REFUSAL_CASES)  # the derived ones are not listed
    assert REFUSAL_CASES.get("threshold-count@8.2") is None  # an SR-specific case is not general
    assert REFUSAL_CASES.get("replay@99.9") is None
    with pytest.raises(ValueError, match="not a case of the general validation"):
        general_case("threshold-count", "8.2")


def test_a_declared_code_for_a_general_case_must_be_generic() -> None:
    replay = REFUSAL_CASES["replay"]
    assert declarable(replay, "E1", "5.4") is None
    assert "its one code must be a generic code" in str(declarable(replay, "E062401", "5.4"))
    assert "published code, E13" in str(declarable(REFUSAL_CASES["wrong-web-service"], "E12", "5.4"))


@pytest.mark.slow
def test_a_statement_declaring_a_generic_code_holds_every_row_to_it(pytester: pytest.Pytester) -> None:
    """The statement's code for a general case holds on every SR: declared E2 for signer-not-originator, the
    reference's E1 FAILs the three rows, and says which code was declared."""
    data = yaml.safe_load((FIXTURES / "statements" / "reference-latest.yaml").read_text())
    data["refusal_codes"] = {"signer-not-originator": "E2"}
    path = pytester.path / "statement.yaml"
    path.write_text(yaml.safe_dump(data))
    scenarios = _run(pytester, f"--dcc-statement={path}")
    failed = [s for s in scenarios if s["verdict"] == "FAIL"]
    assert {_row(s)["srv"] for s in failed} == {"6.24.2", "3.2", "8.2"}
    assert all("another registered user" in s["name"] for s in failed)
    assert all("the code the implementation statement declares" in str(s["message"]) for s in failed)
    assert sum(s["verdict"] == "PASS" for s in scenarios) == ROWS - 3


def test_the_rows_name_no_srv_the_feature_does_not_drive() -> None:
    text = FEATURE.read_text()
    assert "@srv:" not in text  # each row drives its own SRV through the srv column
    assert text.count("@clause:MP081-DUIS-3.8.77.3") == text.count("Scenario Outline:")

"""Steps of the envelope-level negative scenarios: requests broken on purpose must be refused, never processed."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from pytest_dcc.duis.build import DuisRequest
from pytest_dcc.duis.pki import TestPki
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.duis.signing import sign
from pytest_dcc.spec import NS_SR, SERVICE_PATHS, SRVS, path_for_cv
from pytest_dcc.suite.context import Scenario
from pytest_dcc.suite.estate import remap

_SR = f"{{{NS_SR}}}"


def _fresh(dcc_scenario: Scenario, srv: str) -> DuisRequest:
    user = dcc_scenario.target.user("IS")
    cv = 4 if SRVS[srv].critical else None
    values = remap(sample_values(srv), dcc_scenario.target.devices)
    return dcc_scenario.target.builder(user).request(srv, cv=cv, **values)


def _signed(dcc_scenario: Scenario, request: DuisRequest) -> bytes:
    sign(request.root, dcc_scenario.target.identities[dcc_scenario.target.user("IS")])
    return request.to_bytes()


@when(parsers.parse('the user sends a "{srv}" request to the wrong web service'))
def wrong_url(dcc_scenario: Scenario, srv: str) -> None:
    request = _fresh(dcc_scenario, srv)
    wrong = next(p for p in SERVICE_PATHS.values() if p != request.path)
    dcc_scenario.send_raw(request, _signed(dcc_scenario, request), wrong)


@when(parsers.parse('the user sends a "{srv}" request whose signature no longer verifies'))
def tampered(dcc_scenario: Scenario, srv: str) -> None:
    request = _fresh(dcc_scenario, srv)
    body = _signed(dcc_scenario, request)
    value = request.root.findtext(f".//{_SR}CredentialType") or request.root.findtext(f".//{_SR}DeviceID") or ""
    assert value, "nothing to tamper with"
    dcc_scenario.send_raw(request, body.replace(f">{value}<".encode(), f">{value[::-1]}<".encode(), 1))


@when(parsers.parse('the user sends a "{srv}" request signed by a key the DCC does not know'))
def unknown_signer(dcc_scenario: Scenario, srv: str) -> None:
    request = _fresh(dcc_scenario, srv)
    stranger = TestPki.generate([request.request_id.originator]).identity(request.request_id.originator)
    sign(request.root, stranger)
    dcc_scenario.send_raw(request, request.to_bytes())


@when(parsers.parse('the user sends the same "{srv}" request twice'))
def replay(dcc_scenario: Scenario, srv: str) -> None:
    request = _fresh(dcc_scenario, srv)
    body = _signed(dcc_scenario, request)
    first = dcc_scenario.target.transport.send(request, body)
    dcc_scenario.notes["first"] = first.code
    dcc_scenario.send_raw(request, body)


@when(parsers.parse('the user sends a "{srv}" request naming Service Reference "{other}"'))
def mismatch(dcc_scenario: Scenario, srv: str, other: str) -> None:
    request = _fresh(dcc_scenario, srv)
    node = request.root.find(f"{_SR}Header/{_SR}ServiceReference")
    assert node is not None
    node.text = other
    dcc_scenario.send_raw(request, _signed(dcc_scenario, request))


@when(parsers.parse('the user sends a "{srv}" request with command variant {cv:d}'))
def wrong_cv(dcc_scenario: Scenario, srv: str, cv: int) -> None:
    request = _fresh(dcc_scenario, srv)
    node = request.root.find(f"{_SR}Header/{_SR}CommandVariant")
    assert node is not None
    node.text = str(cv)
    dcc_scenario.send_raw(request, _signed(dcc_scenario, request), path_for_cv(cv))


@then("the request is refused without being processed")
def refused(dcc_scenario: Scenario) -> None:
    assert dcc_scenario.refusals, "no answer was recorded"
    answer = dcc_scenario.refusals[-1]
    assert answer.startswith(("E", "HTTP 4")), f"the endpoint processed the request: it answered {answer}"


@then(parsers.parse("the request is refused with {code}"))
def refused_with(dcc_scenario: Scenario, code: str) -> None:
    assert dcc_scenario.refusals, "no answer was recorded"
    assert dcc_scenario.refusals[-1] == code, f"expected {code}, the endpoint answered {dcc_scenario.refusals[-1]}"


@then(parsers.parse("the first one was accepted with {code}"))
def first_accepted(dcc_scenario: Scenario, code: str) -> None:
    assert dcc_scenario.notes.get("first") == code, f"the first request was answered {dcc_scenario.notes.get('first')}"

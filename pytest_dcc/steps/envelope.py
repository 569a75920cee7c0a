"""Steps of the envelope-level negative scenarios: requests broken on purpose must be refused, never processed."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from pytest_dcc.duis.build import DuisRequest
from pytest_dcc.duis.pki import TestPki
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.duis.signing import sign
from pytest_dcc.errors import HarnessError
from pytest_dcc.spec import NS_SR, SERVICE_PATHS, SRVS, path_for_cv
from pytest_dcc.suite.context import Scenario
from pytest_dcc.suite.estate import remap
from pytest_dcc.suite.judging import expect
from pytest_dcc.suite.tamper import change_signed_value, flip_signature_bit

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
    with dcc_scenario.target.hold(dcc_scenario.target.user("IS")):  # one sender at a time of a shared user
        request = _fresh(dcc_scenario, srv)
        wrong = next(p for p in SERVICE_PATHS.values() if p != request.path)
        dcc_scenario.send_bytes(request, _signed(dcc_scenario, request), wrong)


@when(parsers.parse('the user sends a correct "{srv}" request'))
def correct(dcc_scenario: Scenario, srv: str) -> None:
    with dcc_scenario.target.hold(dcc_scenario.target.user("IS")):  # one sender at a time of a shared user
        request = _fresh(dcc_scenario, srv)
        dcc_scenario.send_bytes(request, _signed(dcc_scenario, request))


@when(parsers.parse('the user sends a "{srv}" request whose credential type was changed after signing'))
def tampered(dcc_scenario: Scenario, srv: str) -> None:
    with dcc_scenario.target.hold(dcc_scenario.target.user("IS")):  # one sender at a time of a shared user
        request = _fresh(dcc_scenario, srv)
        changed = change_signed_value(_signed(dcc_scenario, request))
        _check_schema_valid(dcc_scenario, changed)
        dcc_scenario.send_bytes(request, changed)


@when(parsers.parse('the user sends a "{srv}" request whose signature value has one bit flipped'))
def flipped(dcc_scenario: Scenario, srv: str) -> None:
    with dcc_scenario.target.hold(dcc_scenario.target.user("IS")):  # one sender at a time of a shared user
        request = _fresh(dcc_scenario, srv)
        _signed(dcc_scenario, request)
        flip_signature_bit(request.root)
        body = request.to_bytes()
        _check_schema_valid(dcc_scenario, body)
        dcc_scenario.send_bytes(request, body)


def _check_schema_valid(dcc_scenario: Scenario, body: bytes) -> None:
    """The broken request must still pass the schema, or the endpoint could refuse it without checking signatures."""
    from pytest_dcc.duis.xmlsafe import parse

    issues = dcc_scenario.target.transport.judge.schema.issues(parse(body).getroot())
    if issues:
        raise HarnessError(f"the tampered request no longer validates: {issues[0]}")


@when(parsers.parse('the user sends a "{srv}" request signed by a key the DCC does not know'))
def unknown_signer(dcc_scenario: Scenario, srv: str) -> None:
    with dcc_scenario.target.hold(dcc_scenario.target.user("IS")):  # one sender at a time of a shared user
        request = _fresh(dcc_scenario, srv)
        stranger = TestPki.generate([request.request_id.originator]).identity(request.request_id.originator)
        sign(request.root, stranger)
        dcc_scenario.send_bytes(request, request.to_bytes())


@when(parsers.parse('the user sends the same "{srv}" request twice'))
def replay(dcc_scenario: Scenario, srv: str) -> None:
    with dcc_scenario.target.hold(dcc_scenario.target.user("IS")):  # one sender at a time of a shared user
        request = _fresh(dcc_scenario, srv)
        body = _signed(dcc_scenario, request)
        first = dcc_scenario.send_bytes(request, body)
        dcc_scenario.notes["first"] = first.code
        dcc_scenario.send_bytes(request, body)


@when(parsers.parse('the user sends a "{srv}" request naming Service Reference "{other}"'))
def mismatch(dcc_scenario: Scenario, srv: str, other: str) -> None:
    _send_with_header(dcc_scenario, srv, "ServiceReference", other)


@when(parsers.parse('the user sends a "{srv}" request with command variant {cv:d}'))
def wrong_cv(dcc_scenario: Scenario, srv: str, cv: int) -> None:
    _send_with_header(dcc_scenario, srv, "CommandVariant", str(cv), path_for_cv(cv))


def _send_with_header(dcc_scenario: Scenario, srv: str, element: str, text: str, path: str | None = None) -> None:
    """Send a fresh ``srv`` request whose header ``element`` says ``text`` (then signed), to ``path`` if given."""
    with dcc_scenario.target.hold(dcc_scenario.target.user("IS")):  # one sender at a time of a shared user
        request = _fresh(dcc_scenario, srv)
        node = request.root.find(f"{_SR}Header/{_SR}{element}")
        if node is None:
            raise HarnessError(f"the built request has no {element}")
        node.text = text
        dcc_scenario.send_bytes(request, _signed(dcc_scenario, request), path)


@then(parsers.parse("the first one was accepted with {code}"))
def first_accepted(dcc_scenario: Scenario, code: str) -> None:
    got = dcc_scenario.notes.get("first")
    expect(got == code, f"the first of the two identical requests was answered {got}, not {code}")

"""Steps of the general validation (DUIS 3.2.5): requests broken at the envelope on purpose, on whichever SRV a row
names, must be refused and change nothing; the same request, correct, is accepted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pytest_bdd import parsers, then, when

from pytest_dcc.duis.build import DuisRequest
from pytest_dcc.duis.pki import TestPki
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.duis.signing import sign
from pytest_dcc.errors import ArrangementError, DccError, HarnessError, NotApplicableError
from pytest_dcc.spec import NS_SR, SERVICE_PATHS, SIGNED_PRE_COMMAND_CVS, SRVS, path_for_cv
from pytest_dcc.spec.refusals import general_case
from pytest_dcc.suite.context import Answer, Scenario
from pytest_dcc.suite.estate import remap
from pytest_dcc.suite.judging import check_refused, expect
from pytest_dcc.suite.tamper import OTHER_VALUE, change_signed_value, flip_signature_bit

_SR = f"{{{NS_SR}}}"


def _sender(dcc_scenario: Scenario, srv: str) -> str:
    """The user a row's request goes as: the role :meth:`Target.role_for` chooses for the device it is about."""
    values = remap(sample_values(srv), dcc_scenario.target.devices)
    device = values.get("target") or values.get("device_id")
    return dcc_scenario.target.user(dcc_scenario.target.role_for(srv, device if isinstance(device, str) else None))


def _offered(dcc_scenario: Scenario, srv: str, cv: int) -> None:
    """NOT_APPLICABLE when the implementation statement declares ``srv`` without command variant ``cv`` (or,
    for a signed pre-command, without the CV 4 that precedes it)."""
    srvs = dcc_scenario.target.declared_srvs
    declared = srvs.get(srv) if srvs is not None else None
    needed = {cv, 4} if cv in SIGNED_PRE_COMMAND_CVS else {cv}
    missing = sorted(needed - set(declared)) if declared else []
    if missing:
        raise NotApplicableError(
            f"the implementation statement declares SRV {srv} with command variant(s) "
            f"{', '.join(map(str, declared or ()))}, not {', '.join(map(str, missing))}"
        )


def _fresh(dcc_scenario: Scenario, srv: str, user: str, cv: int | None = None) -> DuisRequest:
    """A correct, unsigned ``srv`` request from ``user`` with sample values (CV 4 for a critical SRV by default)."""
    if cv is None and SRVS[srv].critical:
        cv = 4
    values = remap(sample_values(srv), dcc_scenario.target.devices)
    try:
        return dcc_scenario.target.builder(user).request(srv, cv=cv, **values)
    except DccError as exc:
        raise HarnessError(f"building SRV {srv}: {exc}") from exc


def _signed(dcc_scenario: Scenario, request: DuisRequest, user: str) -> bytes:
    """``request`` signed as ``user`` (its originator, or another user whose key signs it) by the run's client."""
    dcc_scenario.target.identities[user]  # a user the target holds a key for (KeyError otherwise, as ever)
    return dcc_scenario.target.client.serialise(request, signer=user)


@contextmanager
def _as_sender(dcc_scenario: Scenario, srv: str) -> Iterator[str]:
    """The row's sender, held (one sender at a time of a shared user) while the step builds and sends."""
    user = _sender(dcc_scenario, srv)
    with dcc_scenario.target.hold(user):
        yield user


def _with_cv(dcc_scenario: Scenario, srv: str, cv: int, user: str) -> DuisRequest:
    """A correct, unsigned ``srv`` request with command variant ``cv``: for a signed pre-command (CV 5, 6, 7), the
    CV 4 request is sent first (to its own web service) and the pre-command it returns is signed."""
    if cv not in SIGNED_PRE_COMMAND_CVS:
        return _fresh(dcc_scenario, srv, user, cv)
    first = _fresh(dcc_scenario, srv, user, 4)
    # The row judges the CV request that follows, on the state before it: the CV 4 request's is read only for the
    # frame check of the whole scenario.
    observe = dcc_scenario.needs_origin()
    answer = dcc_scenario.send_bytes(first, _signed(dcc_scenario, first, user), user=user, observe=observe)
    payload = answer.judged.response.gbcs_payload if answer.exchange is not None and answer.code == "I0" else None
    if payload is None:  # the CV 4 row judges that answer; this row's request cannot be arranged without it
        raise ArrangementError(
            f"SRV {srv} with CV 4 was answered {answer.code} without a pre-command to sign, so no CV {cv} request can "
            "be made"
        )
    return dcc_scenario.target.client.pre_command(first, payload, cv=cv)


# -- the accepting side -------------------------------------------------------------------------------------------


@when(parsers.parse('the user sends a correct "{srv}" request with command variant {cv:d}'))
def correct(dcc_scenario: Scenario, srv: str, cv: int) -> None:
    _offered(dcc_scenario, srv, cv)
    with _as_sender(dcc_scenario, srv) as user:
        request = _with_cv(dcc_scenario, srv, cv, user)
        dcc_scenario.send_bytes(request, _signed(dcc_scenario, request, user), user=user)


@then("the first one was accepted")
def first_accepted(dcc_scenario: Scenario) -> None:
    first: Answer | None = dcc_scenario.notes.get("first")
    if first is None:
        raise HarnessError("no first request was noted")
    expect(
        first.code in ("I0", "I99"),
        f"the request sent first ({first.request.request_id}) was answered {first.code}, not accepted (I0 or I99): "
        "the refusal after it shows nothing",
    )


@then(parsers.parse('the general validation refuses it as "{case}"'))
def refused(dcc_scenario: Scenario, case: str) -> None:
    """Refused as ``case`` judged on the SR of the request sent (its own E-codes, or a generic code)."""
    check_refused(dcc_scenario, general_case(case, dcc_scenario.last.request.srv))


# -- URL, command variant, Service Reference ------------------------------------------------------------------------


@when(parsers.parse('the user sends a "{srv}" request with command variant {cv:d} to the web service "{path}"'))
def wrong_url(dcc_scenario: Scenario, srv: str, cv: int, path: str) -> None:
    if path not in SERVICE_PATHS.values():
        raise HarnessError(f"{path} is none of the DUIS web services {', '.join(SERVICE_PATHS.values())}")
    if path == path_for_cv(cv):
        raise HarnessError(f"{path} is the web service of CV {cv}: the row must name another")
    _offered(dcc_scenario, srv, cv)
    with _as_sender(dcc_scenario, srv) as user:
        request = _with_cv(dcc_scenario, srv, cv, user)
        dcc_scenario.send_bytes(request, _signed(dcc_scenario, request, user), path, user=user)


@when(parsers.parse('the user sends a "{srv}" request naming Service Reference "{other}"'))
def mismatch(dcc_scenario: Scenario, srv: str, other: str) -> None:
    if other == SRVS[srv].service_reference:
        raise HarnessError(f"{other} is SRV {srv}'s own Service Reference: the row must name another")
    _send_with_header(dcc_scenario, srv, "ServiceReference", other)


@when(parsers.parse('the user sends a "{srv}" request with command variant {cv:d}'))
def wrong_cv(dcc_scenario: Scenario, srv: str, cv: int) -> None:
    if cv in SRVS[srv].command_variants:
        raise HarnessError(f"SRV {srv} takes command variant {cv}: the row must name one it does not take")
    _send_with_header(dcc_scenario, srv, "CommandVariant", str(cv), path_for_cv(cv))


def _send_with_header(dcc_scenario: Scenario, srv: str, element: str, text: str, path: str | None = None) -> None:
    """Send a fresh ``srv`` request whose header ``element`` says ``text`` (then signed), to ``path`` if given."""
    with _as_sender(dcc_scenario, srv) as user:
        request = _fresh(dcc_scenario, srv, user)
        node = request.root.find(f"{_SR}Header/{_SR}{element}")
        if node is None:
            raise HarnessError(f"the built request has no {element}")
        node.text = text
        dcc_scenario.send_bytes(request, _signed(dcc_scenario, request, user), path, user=user)


# -- signature and signer -----------------------------------------------------------------------------------------


def _check_schema_valid(dcc_scenario: Scenario, body: bytes) -> None:
    """The broken request must still pass the schema, or the endpoint could refuse it without checking signatures."""
    from pytest_dcc.duis.xmlsafe import parse

    issues = dcc_scenario.target.transport.judge.schema.issues(parse(body).getroot())
    if issues:
        raise HarnessError(f"the tampered request no longer validates: {issues[0]}")


def _other_devices(dcc_scenario: Scenario) -> dict[str, str]:
    """Each estate device's EUI -> another estate device's (a DeviceID changed into one the endpoint knows)."""
    euis = list(dict.fromkeys(dcc_scenario.target.devices.values()))
    return {eui: euis[(i + 1) % len(euis)] for i, eui in enumerate(euis)} if len(euis) > 1 else {}


@when(parsers.parse('the user sends a "{srv}" request whose signed content was changed after signing'))
def tampered(dcc_scenario: Scenario, srv: str) -> None:
    with _as_sender(dcc_scenario, srv) as user:
        request = _fresh(dcc_scenario, srv, user)
        others = {**OTHER_VALUE, "DeviceID": _other_devices(dcc_scenario)}
        changed = change_signed_value(_signed(dcc_scenario, request, user), others)
        _check_schema_valid(dcc_scenario, changed)
        dcc_scenario.send_bytes(request, changed, user=user)


@when(parsers.parse('the user sends a "{srv}" request whose signature value has one bit flipped'))
def flipped(dcc_scenario: Scenario, srv: str) -> None:
    with _as_sender(dcc_scenario, srv) as user:
        request = _fresh(dcc_scenario, srv, user)
        _signed(dcc_scenario, request, user)
        flip_signature_bit(request.root)
        body = request.to_bytes()
        _check_schema_valid(dcc_scenario, body)
        dcc_scenario.send_bytes(request, body, user=user)


@when(parsers.parse('the user sends a "{srv}" request signed by a key the DCC does not know'))
def unknown_signer(dcc_scenario: Scenario, srv: str) -> None:
    with _as_sender(dcc_scenario, srv) as user:
        request = _fresh(dcc_scenario, srv, user)
        stranger = TestPki.generate([request.request_id.originator]).identity(request.request_id.originator)
        sign(request.root, stranger)
        dcc_scenario.send_bytes(request, request.to_bytes(), user=user)


@when(parsers.parse('the user sends a "{srv}" request signed with the certificate of another registered user'))
def other_signer(dcc_scenario: Scenario, srv: str) -> None:
    """BusinessOriginatorID this user, signed (correctly) by another user the target registers."""
    with _as_sender(dcc_scenario, srv) as user:
        target = dcc_scenario.target
        other = next((e for e in dict.fromkeys(target.roles.values()) if e != user and e in target.identities), None)
        if other is None:
            raise NotApplicableError(
                f"the target declares no user other than {user} whose key the suite holds (declare another user in "
                "the implementation statement)"
            )
        request = _fresh(dcc_scenario, srv, user)
        dcc_scenario.notes["signer"] = other
        dcc_scenario.send_bytes(request, _signed(dcc_scenario, request, other), user=user)


# -- counter ------------------------------------------------------------------------------------------------------


@when(parsers.parse('the user sends the same "{srv}" request twice'))
def replay(dcc_scenario: Scenario, srv: str) -> None:
    with _as_sender(dcc_scenario, srv) as user:
        request = _fresh(dcc_scenario, srv, user)
        body = _signed(dcc_scenario, request, user)
        observe = dcc_scenario.needs_origin()  # the replay is judged, on the state before it
        dcc_scenario.notes["first"] = dcc_scenario.send_bytes(request, body, user=user, observe=observe)
        dcc_scenario.send_bytes(request, body, user=user)


@when(parsers.parse('the user sends a "{srv}" request, then a fresh one with a lower counter'))
def lower_counter(dcc_scenario: Scenario, srv: str) -> None:
    """Two correct requests built one after the other; the later (higher counter) is sent first, then the earlier:
    a request never sent before, correctly signed, whose OriginatorCounter is below one already accepted."""
    with _as_sender(dcc_scenario, srv) as user:
        earlier = _fresh(dcc_scenario, srv, user)
        later = _fresh(dcc_scenario, srv, user)
        if not earlier.request_id.counter < later.request_id.counter:
            raise HarnessError(f"the counters built ({earlier.request_id}, {later.request_id}) do not increase")
        early_body = _signed(dcc_scenario, earlier, user)
        later_body, observe = _signed(dcc_scenario, later, user), dcc_scenario.needs_origin()
        dcc_scenario.notes["first"] = dcc_scenario.send_bytes(later, later_body, user=user, observe=observe)
        dcc_scenario.send_bytes(earlier, early_body, user=user)  # judged, on the state before it


# -- role ---------------------------------------------------------------------------------------------------------


@when(parsers.parse('a user of a role that may not send "{srv}" sends a correct one'))
def ineligible(dcc_scenario: Scenario, srv: str) -> None:
    """A correct request from a user none of whose roles the DUIS eligibility table allows for ``srv``."""
    target = dcc_scenario.target
    eligible = set(SRVS[srv].roles)
    held: dict[str, set[str]] = {}
    for role, eui in target.roles.items():
        held.setdefault(eui, set()).add(role)
    user = next((e for e, roles in held.items() if not roles & eligible and e in target.identities), None)
    if user is None:
        raise NotApplicableError(
            f"SRV {srv} may be sent by {', '.join(SRVS[srv].roles)}; the target declares no user holding none of "
            f"those roles (its users' roles: {', '.join(target.roles)})"
        )
    dcc_scenario.notes["role"] = "/".join(sorted(held[user]))
    with target.hold(user):
        request = _fresh(dcc_scenario, srv, user)
        dcc_scenario.send_bytes(request, _signed(dcc_scenario, request, user), user=user)

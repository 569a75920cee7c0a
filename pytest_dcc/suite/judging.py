"""The suite's judgements on an endpoint, in one place: :func:`expect` (FAIL unless), and :func:`check_refused`, the
one helper every refusal step goes through.

"Refused" (``../shared/docs/sec-clauses.md``, response codes): the code the implementation statement declares for the
case, else the published code where DUIS or the SEC publishes one, else any E-code of the Service Request's XSD code
set or a generic code (or an HTTP 4xx for a request malformed at the transport or schema level); and in every case
no change of the state the driver can observe (the inventory, the SMKI repository, the device).
"""

from __future__ import annotations

from typing import Any

from pytest_dcc.errors import EndpointAssertion, HarnessError
from pytest_dcc.spec.refusals import REFUSAL_CASES, refusal_codes
from pytest_dcc.suite.context import Answer, Scenario
from pytest_dcc.suite.frame import Change, Difference, unexplained


def expect(condition: object, message: str) -> None:
    """A judgement on the endpoint: :class:`EndpointAssertion` (FAIL) with ``message`` unless ``condition``."""
    if not condition:
        raise EndpointAssertion(message)


def _compared(scenario: Scenario, before: dict[str, Any], sender: str, what: str) -> dict[str, Any] | None:
    """The state now, observed as ``before`` was (its devices), or None when nothing could be observed (reported)."""
    if not before:
        scenario.report(
            f"state after {what} not compared: without a 'device-view' driver it is read with SR 8.2 as a user "
            "other than the sender (so the sender's counters stay in order), and the target has none; declare an "
            "Other User (users: OU) in the implementation statement"
        )
        return None
    if "device-view" not in scenario.target.driver.capabilities:
        scenario.report(
            f"state after {what} compared as SR 8.2 shows it (the SMI's record of the devices); the device's "
            f"own state and the SMKI need the 'device-view' capability, which driver {scenario.target.driver.name} "
            "lacks"
        )
    after = scenario.observe([k for k in before if not k.startswith("smki ")], sender=sender)
    unread = sorted(set(before) - set(after))
    if unread:  # a read that failed is no change of state: the comparison cannot be made
        raise HarnessError(f"the state of {', '.join(unread)} could not be read again after {what}")
    return after


def check_state(scenario: Scenario, before: dict[str, Any], sender: str, changes: list[Change], why: str) -> None:
    """The frame check: FAIL unless the observable state differs from ``before`` by nothing but ``changes``. Every
    difference found is shown in the report, expected or not."""
    after = _compared(scenario, before, sender, why)
    if after is None:
        return
    left, covered = unexplained(before, after, changes)
    lines = [f"changed as the clause says ({_clause_of(d, changes)}): {d}" for d in covered]
    lines += [f"changed, and no clause says so: {d}" for d in left]
    scenario.target.evidence.state_change(
        f"frame check: {len(covered)} change(s) the clause makes, {len(left)} more", lines or ["nothing changed"]
    )
    named = {eui for a in scenario.answers for eui in scenario.named_devices(a.request)}
    unnamed = sorted({d.path[0].removeprefix("smki ") for d in left} - named)
    hint = (
        f" (no request of this scenario names {', '.join(unnamed)}: a change there may be the late effect of an "
        "earlier scenario's request, which the endpoint still carries out after it was answered)"
        if unnamed
        else ""
    )
    expect(not left, f"{why}, yet the observable state changed: " + "; ".join(map(str, left[:6])) + hint)


def _clause_of(difference: Difference, changes: list[Change]) -> str:
    return next((c.what for c in changes if difference.path[: len(c.path)] == c.path), "?")


def check_unchanged(scenario: Scenario, answer: Answer, why: str) -> None:
    """FAIL if the state the driver can observe of the devices ``answer``'s request names changed since just before
    it was sent (the frame check with no change allowed); reported (not judged) when the driver observes nothing."""
    before = scenario.before.get(str(answer.request.request_id))
    if before is None:
        raise HarnessError(f"no state was observed before {answer.request.request_id}")
    if not before and not scenario.named_devices(answer.request):
        raise HarnessError(f"SRV {answer.request.srv} names no device whose state could be observed")
    # The rest of the estate (devices no request of the scenario names) is held to the scenario's origin.
    named = {eui for a in scenario.answers for eui in scenario.named_devices(a.request)}
    others = {k: v for k, v in (scenario.frame.origin or {}).items() if k.removeprefix("smki ") not in named}
    check_state(scenario, {**others, **before}, answer.request.request_id.originator, [], why)


def check_frame(scenario: Scenario) -> None:
    """FAIL unless the state observed since the scenario's first When step changed by exactly what its Then steps
    allowed (nothing more)."""
    origin = scenario.frame.origin
    if origin is None:
        raise HarnessError("no When step of this scenario sent a request or observed the state")
    sender = scenario.last.request.request_id.originator if scenario.answers else ""
    check_state(scenario, origin, sender, scenario.frame.changes, "the scenario's requests were answered")


def allowed_codes(scenario: Scenario, case_id: str) -> tuple[frozenset[str], str, bool]:
    """The codes that count as refusing ``case_id`` on this target, where that rule comes from, and whether the
    code is pinned (declared or published)."""
    case = REFUSAL_CASES.get(case_id)
    if case is None:
        raise HarnessError(f"unknown refusal case {case_id!r} (pytest_dcc/spec/refusals.py)")
    declared = scenario.target.refusal_codes.get(case.id)
    if declared is not None:
        return frozenset({declared}), f"the code the implementation statement declares for {case.id}", True
    if case.published is not None:
        return frozenset({case.published}), f"the published code for {case.what}", True
    codes = refusal_codes(case, scenario.target.schema_version)
    rule = f"an E-code of SR {case.sr} or a generic code (no code is published for {case.what})"
    if case.transport_level:
        rule += ", or an HTTP 4xx"
    return codes, rule, False


def check_refused(scenario: Scenario, case_id: str, answer: Answer | None = None) -> None:
    """FAIL unless ``answer`` (the last one) refuses ``case_id`` with a code that counts, and nothing observable
    changed. The answer judged is the one to the request that carried the input: a critical SRV whose CV 4 request
    was accepted has not refused it, whatever its signed pre-command's answer."""
    answer = answer or scenario.last
    codes, rule, pinned = allowed_codes(scenario, case_id)
    case = REFUSAL_CASES[case_id]
    if answer.carrier is not None:  # the values under test went with the CV 4 request, and it was accepted
        raise EndpointAssertion(
            f"{case.what}: the request carrying it was accepted ({answer.carrier.code}, a pre-command returned); "
            f"only its signed pre-command (CV {answer.request.cv}) was answered {answer.code}: a refusal must be the "
            "answer to the request that carried the input"
        )
    if answer.http_status is not None:
        expect(
            case.transport_level and not pinned,
            f"{case.what}: refused with HTTP {answer.http_status}; expected {rule} ({', '.join(sorted(codes))})",
        )
    else:
        expect(
            answer.code in codes,
            f"{case.what}: the endpoint answered {answer.code}; expected {rule}: {', '.join(sorted(codes))}",
        )
    if not pinned:
        scenario.report(f"{case.what}: refused with {answer.code} ({rule})")
    elif case.id in scenario.target.refusal_codes:
        scenario.report(f"{case.what}: held to {answer.code}, {rule}")
    check_unchanged(scenario, answer, f"{case.what} was refused with {answer.code}")


__all__ = ["allowed_codes", "check_frame", "check_refused", "check_state", "check_unchanged", "expect"]

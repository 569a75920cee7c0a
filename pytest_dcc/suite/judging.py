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


def expect(condition: object, message: str) -> None:
    """A judgement on the endpoint: :class:`EndpointAssertion` (FAIL) with ``message`` unless ``condition``."""
    if not condition:
        raise EndpointAssertion(message)


def _diff(before: Any, after: Any, path: str = "") -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after), key=str):
            found += _diff(before.get(key, "<missing>"), after.get(key, "<missing>"), f"{path}/{key}")
        return found
    return [] if before == after else [f"{path or '/'}: {before!r} -> {after!r}"]


def check_unchanged(scenario: Scenario, answer: Answer, why: str) -> None:
    """FAIL if the state the driver can observe of the devices ``answer``'s request names changed since just before
    it was sent; reported (not judged) when the driver observes nothing."""
    before = scenario.before.get(str(answer.request.request_id))
    if before is None:
        raise HarnessError(f"no state was observed before {answer.request.request_id}")
    if not before:
        if not scenario.named_devices(answer.request):
            raise HarnessError(f"SRV {answer.request.srv} names no device whose state could be observed")
        scenario.report(
            "state after the refusal not compared: without a 'device-view' driver it is read with SR 8.2 as a user "
            "other than the sender (so the sender's counters stay in order), and the target has none; declare an "
            "Other User (users: OU) in the implementation statement"
        )
        return
    if "device-view" not in scenario.target.driver.capabilities:
        scenario.report(
            "state after the refusal compared as SR 8.2 shows it (the SMI's record of the devices); the device's "
            f"own state and the SMKI need the 'device-view' capability, which driver {scenario.target.driver.name} "
            "lacks"
        )
    after = scenario.observe(
        [k for k in before if not k.startswith("smki ")], sender=answer.request.request_id.originator
    )
    changes = _diff(before, after)
    expect(not changes, f"{why}, yet the observable state changed: " + "; ".join(changes[:6]))


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


__all__ = ["allowed_codes", "check_refused", "check_unchanged", "expect"]

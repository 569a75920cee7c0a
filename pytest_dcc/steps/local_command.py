"""Steps of SR 8.13 Return Local Command Response and local delivery
(features/clauses/local-command-responses.feature).

Thin, as :mod:`pytest_dcc.steps.common` says of every step module."""

from __future__ import annotations

from typing import Final

from pytest_bdd import parsers, then, when

from pytest_dcc.drivers import require
from pytest_dcc.duis.gbcs import alert_problems, parse_general_signing
from pytest_dcc.duis.ids import RequestID
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.errors import ArrangementError, GbcsError, HarnessError
from pytest_dcc.steps import common
from pytest_dcc.suite.context import Scenario
from pytest_dcc.suite.frame import value_becomes
from pytest_dcc.suite.judging import expect

#: The registry clauses these steps judge.
CLAUSES: Final[tuple[str, ...]] = ("MP081-DUIS-3.8.112.2", "MP081-ORGCERT-TRACKING")


@when(parsers.parse('the user issues SRV "{srv}" for local delivery'))
def local(dcc_scenario: Scenario, srv: str) -> None:
    _issue_local(dcc_scenario, srv)


@when(parsers.parse('the user issues SRV "{srv}" for local delivery, joining the {other:w} to the {device:w}'))
def local_join(dcc_scenario: Scenario, srv: str, other: str, device: str) -> None:
    if srv not in {"8.7.1", "8.7.2"}:
        raise HarnessError(f"SRV {srv} is no Join Service variant (8.7.1, 8.7.2)")
    target = dcc_scenario.target
    _issue_local(dcc_scenario, srv, device=device, other_device_id=target.device(other))


def _issue_local(dcc_scenario: Scenario, srv: str, device: str | None = None, **overrides: str) -> None:
    answer = dcc_scenario.srv(srv, local=True, device=device, **overrides)
    # Arrangement for the 8.13 rules, not a judgement of SRV srv: an endpoint that will not issue it is not judged.
    if answer.code != "I0" or answer.exchange is None or answer.judged.response.payload_kind != "LocalCommand":
        raise ArrangementError(f"SRV {srv} for local delivery was answered {answer.code} without a LocalCommand")
    dcc_scenario.local_request_id = str(answer.request.request_id)
    dcc_scenario.local_srv = srv
    dcc_scenario.notes["local role"] = dcc_scenario.target.role_for(srv, answer.request.request_id.target)


def _local_state(dcc_scenario: Scenario) -> tuple[str, bytes]:
    if dcc_scenario.local_request_id is None or dcc_scenario.gbcs_response is None:
        raise HarnessError("no locally delivered command was executed in this scenario")
    return dcc_scenario.local_request_id, dcc_scenario.gbcs_response


@when("the engineer executes the command on the device")
def execute(dcc_scenario: Scenario) -> None:
    require(dcc_scenario.target.driver, "execute-locally", "running a locally delivered command on the device")
    if dcc_scenario.local_request_id is None:
        raise HarnessError("no command was issued for local delivery")
    dcc_scenario.gbcs_response = dcc_scenario.target.driver.execute_locally(dcc_scenario.local_request_id)


@when(
    parsers.re(
        r"the user returns the device's response with SR 8\.13"
        r"(?P<how> without the OriginalRequestID| under another originator counter)?$"
    )
)
def return_local(dcc_scenario: Scenario, how: str | None) -> None:
    request_id, response = _local_state(dcc_scenario)
    original: RequestID | None = RequestID.parse(request_id)
    if how == " without the OriginalRequestID":
        original = None
    elif how == " under another originator counter":
        try:
            counter = parse_general_signing(response).counter
        except GbcsError as exc:
            raise HarnessError(f"the device's response is not a GBCS General Signing message: {exc}") from None
        data = bytearray(response)
        position = bytes(data).find(counter.to_bytes(8, "big"))
        if position < 0:
            raise HarnessError("the originator counter is not where GBCS puts it in the device's response")
        data[position + 7] ^= 0x01  # the low byte of the GBCS originator counter
        response = bytes(data)
    # The response goes back as the user the command was issued to (DUIS 3.8.112.2: OriginalRequestID's originator).
    role = dcc_scenario.notes.get("local role")
    dcc_scenario.request("8.13", role=role, original_request_id=original, device_gbcs_response=response)


@when(parsers.parse("the engineer collects a Device Alert from the {device}"))
def collect_alert(dcc_scenario: Scenario, device: str) -> None:
    require(dcc_scenario.target.driver, "local-alert", "collecting a Device Alert from a device (hand-held terminal)")
    eui = dcc_scenario.target.device(device)
    alert = dcc_scenario.target.driver.collect_alert(eui)
    if problems := alert_problems(alert, eui):
        raise HarnessError(f"the driver's Device Alert from the {device} is not one: {'; '.join(problems)}")
    dcc_scenario.gbcs_response = alert
    dcc_scenario.notes["alerting device"] = eui


@when("the user returns the Device Alert with SR 8.13")
def return_alert(dcc_scenario: Scenario) -> None:
    eui = dcc_scenario.notes.get("alerting device")
    if eui is None or dcc_scenario.gbcs_response is None:
        raise HarnessError("no Device Alert was collected in this scenario")
    # A Device Alert answers no request: DUIS 3.8.112.2 makes OriginalRequestID not applicable, so none is sent.
    role = dcc_scenario.target.role_for("8.13", eui)
    dcc_scenario.request("8.13", role=role, original_request_id=None, device_gbcs_response=dcc_scenario.gbcs_response)


def _sent(dcc_scenario: Scenario) -> tuple[str, str]:
    """The Organisation Certificate the local command placed, as tracked: "RemotePartyRole/usage" -> DER as hex."""
    values = sample_values(dcc_scenario.local_srv or "6.15.1")
    return f"{values['remote_party_role']}/Digital Signing", values["digital_signing"].hex()


def _held(dcc_scenario: Scenario, device: str, *, smi: bool) -> dict[str, str]:
    view = common.view(dcc_scenario, device)
    return dict(view.smi.organisation_certificates if smi else view.device.organisation_certificates)


@then(parsers.parse("the organisation certificates tracked for the {device} include the one sent"))
def org_certs(dcc_scenario: Scenario, device: str) -> None:
    """Tracked under its own role and usage (the RemotePartyRole sent, Digital Signing), not merely somewhere."""
    key, der = _sent(dcc_scenario)
    tracked = _held(dcc_scenario, device, smi=True)
    expect(
        tracked.get(key) == der,
        f"the response was returned through 8.13, yet the certificate sent is not tracked as {key} "
        f"(tracked for the {device}: {sorted(k for k, v in tracked.items() if v == der) or 'nowhere'})",
    )
    eui = dcc_scenario.target.device(device)
    what = f"the {device}'s {key} certificate tracked (ORGCERT)"
    dcc_scenario.frame.allow(value_becomes((eui, "smi", "organisation_certificates", key), der, what))


@then(parsers.parse("the organisation certificates tracked for the {device} lack the one sent"))
def org_certs_not_yet(dcc_scenario: Scenario, device: str) -> None:
    _, der = _sent(dcc_scenario)
    tracked = _held(dcc_scenario, device, smi=True)
    found = sorted(k for k, v in tracked.items() if v == der)
    expect(not found, f"the certificate is tracked (as {found}) before the device's response was returned")


@then(parsers.parse("the {device} itself holds the organisation certificate sent"))
def device_org_cert(dcc_scenario: Scenario, device: str) -> None:
    key, der = _sent(dcc_scenario)
    held = _held(dcc_scenario, device, smi=False)
    expect(held.get(key) == der, f"the {device} does not hold the certificate sent as {key} ({sorted(held)})")
    eui = dcc_scenario.target.device(device)
    what = f"the {device} holds the {key} certificate the command placed"
    dcc_scenario.frame.allow(value_becomes((eui, "device", "organisation_certificates", key), der, what))

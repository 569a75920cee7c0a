"""Steps every clause feature uses: the estate, device status, the answer and its code, the device response, the
inventory status.

Thin: each step goes through the transport, the inbox or the driver; every Then judges the endpoint through
:mod:`pytest_dcc.suite.judging` (an EndpointAssertion is a FAIL), the suite's own preconditions raise HarnessError or
ArrangementError (ERROR) and a missing capability NotApplicableError."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Final

import pytest
from pytest_bdd import given, parsers, then

from pytest_dcc.drivers import DeviceView, RecordingDriver, SmkiEntry, require, unrecorded
from pytest_dcc.duis.responses import InventoryDevice
from pytest_dcc.errors import ArrangementError, NotApplicableError
from pytest_dcc.reporting.verdicts import ScenarioRecord
from pytest_dcc.suite.context import Answer, Scenario, Target
from pytest_dcc.suite.estate import standard_estate
from pytest_dcc.suite.frame import value_becomes
from pytest_dcc.suite.judging import check_frame, check_refused, expect

#: The registry clauses these steps judge.
CLAUSES: Final[tuple[str, ...]] = ()


@given("the standard estate", target_fixture="dcc_scenario")
def standard(dcc_target: Target, dcc_record: ScenarioRecord, request: pytest.FixtureRequest) -> Scenario:
    """Seed the standard estate where the driver can; otherwise use the statement's device pool as it is. The
    scenario sees the driver through a recorder of the capabilities it uses; the run's DUIS client counts what is
    sent from now on under this scenario."""
    dcc_target.client.begin(request.node.nodeid)
    driver = RecordingDriver(dcc_target.driver, dcc_record.used, dcc_target.client.changed)
    dcc_record.driver = driver.name
    dcc_target = replace(dcc_target, driver=driver)
    if {"reset", "seed"} <= driver.capabilities:
        from cryptography.hazmat.primitives import serialization

        certificates = {
            eui: identity.certificate.public_bytes(serialization.Encoding.DER)
            for eui, identity in dcc_target.identities.items()
        }
        lane = dcc_target.lane
        if lane.parallel:  # forget this lane's share only: the other workers' lanes go on meanwhile
            spares = [eui for eui, _ in dcc_target.spares]
            driver.reset_lane(lane.scope([*dcc_target.devices.values(), *spares]))
        else:
            driver.reset()
        driver.seed(
            standard_estate(dcc_target.roles, certificates, dcc_target.devices, uprn=lane.uprn, place=lane.premises())
        )
        return Scenario(dcc_target, reports=dcc_record.reports)
    if "estate" not in driver.capabilities:
        require(driver, "seed", "arranging the standard estate")
    if not dcc_target.declared_devices:
        raise NotApplicableError(
            f"driver {driver.name} cannot seed the standard estate, and the implementation statement declares no "
            "device pool (devices:) to use instead"
        )
    declared = {name: eui for name, eui in dcc_target.devices.items() if name in dcc_target.declared_devices}
    driver.arrange_estate(declared)
    target = replace(dcc_target, devices=declared)
    return Scenario(target, seeded=False, reports=dcc_record.reports, undo=dcc_record.undo)


#: The devices of a hub: drawn together from the statement's spare devices.
HUB: Final = ("CHF", "GPF")


#: A Given step that puts a device in a status (the step below): read from the scenario's own steps.
STATUS_STEP: Final = re.compile(r'^the (\w+) is in status "([^"]+)"$')


@given(parsers.parse('the {device} is in status "{status}"'))
def device_status(dcc_scenario: Scenario, device: str, status: str) -> None:
    """Put the ``device`` in ``status``. Where the estate is not seeded again before the next scenario, only in a way
    that is undone after this one: on the estate's device when the driver can set the status and set the one it
    had back afterwards, else, for a hub, on a spare hub of the statement; otherwise the scenario is NOT_APPLICABLE
    before it changed anything. Every status the scenario's Given steps ask for is decided at the first of them,
    before any is set: a spare hub is brought to all of them, and no step changes a device a later one finds it
    cannot put back."""
    target = dcc_scenario.target
    require(target.driver, "set-status", f"putting the {device} in status {status}")
    if dcc_scenario.seeded:
        target.driver.set_status(target.device(device), status)
        return
    decided: dict[str, str] = dcc_scenario.notes.get("statuses", {})
    if decided.get(device) == status:  # decided (and arranged) with the scenario's first status step
        return
    asked = (STATUS_STEP.match(text) for text in dcc_scenario.steps)
    wanted = {**decided, **{m.group(1): m.group(2) for m in asked if m is not None}, device: status}
    dcc_scenario.notes["statuses"] = wanted
    problem, changes = _restorable(dcc_scenario, wanted)
    if problem is None:
        _set_restoring(dcc_scenario, changes)
    elif not (set(wanted) <= set(HUB) and _spare_hub(dcc_scenario, wanted)):
        raise NotApplicableError(problem, capability="set-status")


def _restorable(dcc_scenario: Scenario, wanted: dict[str, str]) -> tuple[str | None, dict[str, tuple[str, str]]]:
    """Whether the driver can put the scenario's devices in ``wanted`` (name -> status) and put each back after the
    scenario (a spare hub drawn for it needs no putting back): why not, or None and the changes to make (name ->
    (status now, status wanted)). A driver that does not say what it cannot set (``unsettable``) sets any status."""
    target = dcc_scenario.target
    unsettable = getattr(target.driver, "unsettable", None) or (lambda kind, status: None)
    originals: dict[str, str] = dcc_scenario.notes.setdefault("originals", {})
    changes: dict[str, tuple[str, str]] = {}
    for name, status in wanted.items():
        eui = target.device(name)
        code, entry = _inventory_entry(dcc_scenario, eui)
        if entry is None or entry.status is None:
            return f"the {name} {eui} has no status SR 8.2 reads ({code}): it could not be put back", {}
        if entry.status == status:
            continue
        kind, before = entry.device_type or name, originals.get(eui, entry.status)
        if (why := unsettable(kind, status)) is not None:
            return f"the {name} {eui} is {entry.status}; {why}", {}
        if eui not in dcc_scenario.notes.get("spare hub", ()) and unsettable(kind, before) is not None:
            return (
                f"the {name} {eui} is {before}, which {target.driver.name} cannot set again: '{status}' could not be "
                "undone after the scenario (a hub is drawn from the statement's spare devices where one fits)"
            ), {}
        changes[name] = (entry.status, status)
    return None, changes


def _set_restoring(dcc_scenario: Scenario, changes: dict[str, tuple[str, str]]) -> None:
    """Make ``changes`` (name -> (status now, status wanted)), each put back after the scenario unless the device is
    a spare hub drawn for it; the restore is registered before the change, so a change half made is undone too."""
    target = dcc_scenario.target
    originals: dict[str, str] = dcc_scenario.notes["originals"]
    driver = target.driver
    for name, (now, status) in changes.items():
        eui = target.device(name)
        if eui not in originals and eui not in dcc_scenario.notes.get("spare hub", ()):
            originals[eui] = now
            dcc_scenario.on_teardown(lambda eui=eui, now=now: driver.set_status(eui, now))
        driver.set_status(eui, status)


def _spare_hub(dcc_scenario: Scenario, wanted: dict[str, str]) -> bool:
    """Draw a hub for ``wanted`` (CHF and GPF -> status) from the statement's spare devices where the driver can
    (over DUIS: one an earlier scenario or run left that SR 8.4 can bring there, else a fresh one pre-notified with
    SR 12.2), bring it there and let the scenario use it. A fresh hub still Pending afterwards is deleted again."""
    target = dcc_scenario.target
    draw = getattr(target.driver, "draw_hub", None)
    if draw is None or not target.spares:
        return False
    hub = draw(target.spares, wanted)
    if hub is None:
        return False
    driver, give_back = target.driver, getattr(target.driver, "return_hub", None)
    if hub.fresh and give_back is not None:
        dcc_scenario.on_teardown(lambda: give_back(hub))
    dcc_scenario.notes["spare hub"] = (hub.chf, hub.gpf)
    for name, status in wanted.items():
        driver.set_status(hub.device(name), status)
    dcc_scenario.target = replace(target, devices={**target.devices, "CHF": hub.chf, "GPF": hub.gpf})
    found = "pre-notified with SR 12.2" if hub.fresh else "as an earlier scenario left them"
    statuses = ", ".join(f"{name} {status}" for name, status in hub.statuses.items())
    dcc_scenario.report(f"spare CHF {hub.chf} and GPF {hub.gpf} used, {found} ({statuses})")
    return True


def _inventory_entry(dcc_scenario: Scenario, eui: str) -> tuple[str, InventoryDevice | None]:
    """SR 8.2 Read Inventory of ``eui``: the answer's code and the device's entry (None when not listed). The read
    is an observation or an arrangement, not the request the scenario judges, so it leaves ``last`` alone."""
    answer = dcc_scenario.request("8.2", device_id=eui)
    dcc_scenario.answers.pop()
    if answer.exchange is None or answer.code != "I0":
        return answer.code, None
    found = [d for d in answer.judged.response.inventory if d.device_id == eui]
    return answer.code, found[0] if found else None


@given(parsers.parse("the {device} is in the inventory"))
def in_inventory(dcc_scenario: Scenario, device: str) -> None:
    eui = dcc_scenario.target.device(device)
    code, entry = _inventory_entry(dcc_scenario, eui)
    if entry is None:
        raise ArrangementError(f"the {device} {eui} of the estate is not in the endpoint's inventory (8.2: {code})")


@given(parsers.parse("the {device}'s next response will be lost on its way to the DCC"))
def lose(dcc_scenario: Scenario, device: str) -> None:
    require(dcc_scenario.target.driver, "faults", "losing a device response")
    dcc_scenario.target.driver.set_fault(dcc_scenario.target.device(device), "lose-next-response")


@then(parsers.parse("the response code is {code}"))
def response_code(dcc_scenario: Scenario, code: str) -> None:
    got = dcc_scenario.last.code
    expect(got == code, f"expected {code}, the endpoint answered {got} to SRV {dcc_scenario.last.request.srv}")


@then("the request is accepted")
def accepted(dcc_scenario: Scenario) -> None:
    got = dcc_scenario.last.code
    expect(got in ("I0", "I99"), f"SRV {dcc_scenario.last.request.srv} was not accepted: the endpoint answered {got}")


@then(parsers.parse('the request is refused as "{case}"'))
def refused(dcc_scenario: Scenario, case: str) -> None:
    check_refused(dcc_scenario, case)


def _device_response(dcc_scenario: Scenario) -> Any:
    answer: Answer = dcc_scenario.last
    expect(answer.code == "I99", f"SRV {answer.request.srv} was answered {answer.code}: no device response is due")
    return dcc_scenario.wait_device_response(answer).response


@then(parsers.parse("the device response arrives with code {code}"))
def device_response(dcc_scenario: Scenario, code: str) -> None:
    got = _device_response(dcc_scenario).code
    expect(got == code, f"expected a device response {code}, got {got}")


@then("the device response arrives")
def device_response_any(dcc_scenario: Scenario) -> None:
    _device_response(dcc_scenario)


def _read_status(dcc_scenario: Scenario, device: str) -> str | None:
    eui = dcc_scenario.target.device(device)
    code, entry = _inventory_entry(dcc_scenario, eui)
    expect(code == "I0", f"8.2 Read Inventory of the {device} answered {code}")
    expect(entry is not None, f"8.2 did not return the {device} {eui}")
    assert entry is not None
    return entry.status


@then(parsers.parse('the inventory shows the {device} in status "{status}"'))
def inventory_status(dcc_scenario: Scenario, device: str, status: str) -> None:
    got = _read_status(dcc_scenario, device)
    expect(got == status, f"8.2 shows the {device} {got}, expected {status}")
    eui, what = dcc_scenario.target.device(device), f"the {device} in status {status}"
    for path in ((eui, "smi", "status"), (eui, "8.2", "status")):  # as the driver sees it, or as SR 8.2 shows it
        dcc_scenario.frame.allow(value_becomes(path, status, what))


@then("nothing else observable changed")
def nothing_else(dcc_scenario: Scenario) -> None:
    """The frame check: since the first When step, the state the driver can observe changed by what the scenario's
    Then steps judged, and nothing more."""
    check_frame(dcc_scenario)


def effect_on(
    dcc_scenario: Scenario, answer: Answer, device: str, what: str, shows: Callable[[DeviceView], bool | None]
) -> None:
    """What the device shows once ``answer``'s request is carried out (``shows`` of its view), where the driver can
    see the device: an accepted request whose device response never comes is then judged on it (item 3)."""
    if "device-view" in unrecorded(dcc_scenario.target.driver).capabilities:
        dcc_scenario.expect_effect(answer, what, lambda: shows(view(dcc_scenario, device)))


def view(dcc_scenario: Scenario, device: str) -> DeviceView:
    require(dcc_scenario.target.driver, "device-view", f"reading the inventory's and the {device}'s own records")
    return dcc_scenario.target.driver.device_view(dcc_scenario.target.device(device))


def smki(dcc_scenario: Scenario, device: str) -> list[SmkiEntry]:
    require(dcc_scenario.target.driver, "smki", "searching the SMKI repository")
    entries = dcc_scenario.target.driver.smki(dcc_scenario.target.device(device))
    return sorted(entries, key=lambda e: (e.usage, e.serial))

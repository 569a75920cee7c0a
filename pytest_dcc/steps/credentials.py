"""Steps of SR 6.24.2 Retrieve Device Security Credentials
(features/clauses/device-credentials.feature).

Thin, as :mod:`pytest_dcc.steps.common` says of every step module."""

from __future__ import annotations

from typing import Final

from pytest_bdd import given, parsers, then, when

from pytest_dcc.drivers import require
from pytest_dcc.errors import ArrangementError
from pytest_dcc.steps import common
from pytest_dcc.suite.context import Scenario
from pytest_dcc.suite.frame import smki_update, value_becomes
from pytest_dcc.suite.judging import expect

#: The registry clauses these steps judge.
CLAUSES: Final[tuple[str, ...]] = ("MP081-DUIS-3.8.77.3", "MP081-DUIS-3.8.77.4")


@given(parsers.parse("the {device} holds new security certificates"))
def renewed(dcc_scenario: Scenario, device: str) -> None:
    require(dcc_scenario.target.driver, "renew-certificates", "giving a device new certificates")
    eui = dcc_scenario.target.device(device)
    dcc_scenario.notes["before"] = dict(common.view(dcc_scenario, device).smi.certificates)
    dcc_scenario.notes["renewed"] = dcc_scenario.target.driver.renew_certificates(eui)


@given(parsers.parse("the {device} uses the certificates the inventory records"))
def same_certificates(dcc_scenario: Scenario, device: str) -> None:
    view = common.view(dcc_scenario, device)
    if dict(view.smi.certificates) != dict(view.device.certificates):
        raise ArrangementError(f"the {device} uses other certificates than the inventory records")
    dcc_scenario.notes["before"] = dict(view.smi.certificates)
    if "smki" in dcc_scenario.target.driver.capabilities:
        dcc_scenario.notes["smki before"] = common.smki(dcc_scenario, device)


@given(parsers.parse('the inventory holds no "{usage}" certificate of the {device}'))
def no_certificate(dcc_scenario: Scenario, usage: str, device: str) -> None:
    if usage in common.view(dcc_scenario, device).smi.certificates:
        raise ArrangementError(f"the estate's inventory holds a {usage} certificate of the {device}")


@when(parsers.parse('the user retrieves the "{usage}" credentials of the {device}'))
def credentials(dcc_scenario: Scenario, usage: str, device: str) -> None:
    dcc_scenario.srv("6.24.2", device=device, credential_type=usage)


def _record_change(dcc_scenario: Scenario, device: str, usage: str, serial: str) -> None:
    """The inventory's certificate of ``usage`` becomes ``serial`` and the SMKI follows: the frame allows it."""
    eui = dcc_scenario.target.device(device)
    what = f"the {device}'s {usage} certificate becomes {serial} (3.8.77.4)"
    dcc_scenario.frame.allow(value_becomes((eui, "smi", "certificates", usage), serial, what))
    replaced = dcc_scenario.notes.get("before", {}).get(usage)
    dcc_scenario.frame.allow(smki_update(eui, {serial: usage}, [replaced] if replaced else [], what))


@then(parsers.parse('the inventory records the {device}\'s new "{usage}" certificate'))
def inventory_certificate(dcc_scenario: Scenario, device: str, usage: str) -> None:
    new = dcc_scenario.notes["renewed"][usage]
    recorded = common.view(dcc_scenario, device).smi.certificates
    expect(recorded.get(usage) == new, f"the inventory records {recorded.get(usage)}, the device uses {new}")
    _record_change(dcc_scenario, device, usage, new)


@then(parsers.parse('the inventory records the "{usage}" certificate the {device} uses, if any'))
def inventory_device_certificate(dcc_scenario: Scenario, usage: str, device: str) -> None:
    """The device's certificate of ``usage`` as the inventory's (a set that differs from none is updated); a device
    that holds none returned none, and the inventory still holds none."""
    view = common.view(dcc_scenario, device)
    used = view.device.certificates.get(usage)
    recorded = view.smi.certificates.get(usage)
    expect(recorded == used, f"the inventory records {recorded} as the {device}'s {usage} certificate, it uses {used}")
    if used is None:
        dcc_scenario.report(f"the {device} holds no {usage} certificate: none was returned, none is recorded")
        return
    _record_change(dcc_scenario, device, usage, used)


@then(parsers.parse('the inventory still records the {device}\'s "{usage}" certificate as before'))
def inventory_old(dcc_scenario: Scenario, device: str, usage: str) -> None:
    recorded = common.view(dcc_scenario, device).smi.certificates
    before = dcc_scenario.notes["before"].get(usage)
    expect(recorded.get(usage) == before, f"the {usage} certificate changed from {before} to {recorded.get(usage)}")


@then(parsers.parse('the SMKI repository holds the {device}\'s new "{usage}" certificate as In Use'))
def smki_new(dcc_scenario: Scenario, device: str, usage: str) -> None:
    new = dcc_scenario.notes["renewed"][usage]
    entries = {e.serial: e for e in common.smki(dcc_scenario, device)}
    expect(new in entries, f"the SMKI repository has no certificate {new} for the {device}")
    expect(
        entries[new].status == "In Use" and entries[new].usage == usage,
        f"the SMKI repository holds {new} as {entries[new].status} {entries[new].usage}",
    )
    _record_change(dcc_scenario, device, usage, new)


@then(parsers.parse('the SMKI repository holds the {device}\'s replaced "{usage}" certificate no longer In Use'))
def smki_replaced(dcc_scenario: Scenario, device: str, usage: str) -> None:
    old = dcc_scenario.notes["before"].get(usage)
    if old is None:
        raise ArrangementError(f"the inventory held no {usage} certificate of the {device} before")
    entries = {e.serial: e for e in common.smki(dcc_scenario, device)}
    still = entries.get(old)
    expect(
        still is None or still.status != "In Use",
        f"the replaced {usage} certificate {old} of the {device} is still In Use in the SMKI repository",
    )


@then(parsers.parse("the inventory and the SMKI repository hold the {device}'s certificates as before"))
def certificates_unchanged(dcc_scenario: Scenario, device: str) -> None:
    recorded = dict(common.view(dcc_scenario, device).smi.certificates)
    expect(recorded == dcc_scenario.notes["before"], f"the inventory's certificates changed: {recorded}")
    if "smki before" in dcc_scenario.notes:
        now = common.smki(dcc_scenario, device)
        expect(now == dcc_scenario.notes["smki before"], f"the SMKI repository changed: {now}")
    else:
        dcc_scenario.report("the SMKI repository was not compared: the driver offers no 'smki' capability")

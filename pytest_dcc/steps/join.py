"""Steps of SR 8.7 Join and SR 8.8 Unjoin (features/clauses/join-unjoin.feature).

Thin, as :mod:`pytest_dcc.steps.common` says of every step module."""

from __future__ import annotations

from typing import Final

from pytest_bdd import given, parsers, then, when

from pytest_dcc.drivers import require, unrecorded
from pytest_dcc.duis.estates import device_entries
from pytest_dcc.errors import ArrangementError, HarnessError, NotApplicableError
from pytest_dcc.steps import common
from pytest_dcc.suite.context import Scenario
from pytest_dcc.suite.frame import membership
from pytest_dcc.suite.judging import expect

#: The registry clauses these steps judge.
CLAUSES: Final[tuple[str, ...]] = ("DP178-SMI-JOIN", "DP178-REJOIN", "DP178-E080801", "MP178-UNJOIN")


@given(parsers.parse("the {other} is joined to the {device}"))
def joined(dcc_scenario: Scenario, other: str, device: str) -> None:
    target = dcc_scenario.target
    if "joins" in target.driver.capabilities:
        eui, member = target.device(device), target.device(other)
        target.driver.set_join(eui, member, smi=True, device=True)
        dcc_scenario.on_teardown(lambda: target.driver.set_join(eui, member, smi=True, device=True, remove=True))
        return
    require(target.driver, "seed", "recording a join in the inventory and on the device")
    entry = dict(device_entries(target.roles["IS"], target.devices, target.roles.get("GS"))[device])
    entry["joins"] = [target.device(other)]
    target.driver.seed({"devices": [entry]})


@given(parsers.parse("the {device} itself holds a join with the {other} that the inventory does not record"))
def device_only_join(dcc_scenario: Scenario, device: str, other: str) -> None:
    target = dcc_scenario.target
    require(target.driver, "joins", "a join held by the device but not recorded in the SMI")
    eui, member = target.device(device), target.device(other)
    target.driver.set_join(eui, member, smi=False, device=True)
    target.driver.set_join(eui, member, smi=True, device=False, remove=True)
    dcc_scenario.on_teardown(lambda: target.driver.set_join(eui, member, smi=False, device=True, remove=True))


@given(parsers.parse("the inventory files the join of the {other} and the {device} under the {other}"))
def reverse_join(dcc_scenario: Scenario, other: str, device: str) -> None:
    """The SMI records the join the other way round (as the ``other``'s join to the ``device``) and not the usual way:
    one relation all the same."""
    target = dcc_scenario.target
    require(target.driver, "joins", "a join the SMI files under the other device")
    eui, member = target.device(device), target.device(other)
    target.driver.set_join(eui, member, smi=True, device=False, remove=True)
    target.driver.set_join(member, eui, smi=True, device=False)
    dcc_scenario.on_teardown(lambda: target.driver.set_join(member, eui, smi=True, device=False, remove=True))


@given(parsers.parse("the inventory records no join of the {other} to the {device}"))
def no_join_given(dcc_scenario: Scenario, other: str, device: str) -> None:
    """Checked in the SMI where the driver can read it, else taken from the statement's declaration of joins."""
    target = dcc_scenario.target
    pair = (target.device(device), target.device(other))
    if "device-view" in target.driver.capabilities:
        if (
            pair[1] in common.view(dcc_scenario, device).smi.joins
            or pair[0] in common.view(dcc_scenario, other).smi.joins
        ):
            raise ArrangementError(f"the estate's inventory already records the {other} joined to the {device}")
        return
    if target.declared_joins is None:
        raise NotApplicableError(
            f"whether the SMI holds a join of the {other} to the {device} needs the 'device-view' capability, or "
            "a 'joins:' declaration in the implementation statement",
            capability="device-view",
        )
    if pair in target.declared_joins or pair[::-1] in target.declared_joins:
        raise NotApplicableError(f"the implementation statement declares the {other} joined to the {device}")
    dcc_scenario.report(f"no join of the {other} to the {device} in the SMI, as the implementation statement declares")


@given(parsers.parse("the {device} rejects a Join it already holds"))
def reject_rejoin(dcc_scenario: Scenario, device: str) -> None:
    require(dcc_scenario.target.driver, "faults", "a meter that rejects a re-sent Join")
    dcc_scenario.target.driver.set_fault(dcc_scenario.target.device(device), "reject-rejoin", 1000)


@when(parsers.parse("the user joins the {other:w} to the {device:w}"))
def join(dcc_scenario: Scenario, other: str, device: str) -> None:
    _join(dcc_scenario, other, device, "8.7.2")


def _unjoin_quietly(dcc_scenario: Scenario, other: str, device: str) -> None:
    """Restore the pair (best effort, not judged): Unjoin, and wait for the device response so the SMI is
    updated before the next scenario starts."""
    sent = dcc_scenario.srv("8.8.2", device=device, other_device_id=dcc_scenario.target.device(other))
    if sent.code == "I99":
        dcc_scenario.wait_device_response(sent)


@when(parsers.parse("the user joins the {other:w} to the {device:w} with SRV {srv}"))
def join_with(dcc_scenario: Scenario, other: str, device: str, srv: str) -> None:
    """Join Service, critical (8.7.1: CV 4, then its signed pre-command) or non-critical (8.7.2)."""
    if srv not in {"8.7.1", "8.7.2"}:
        raise HarnessError(f"SRV {srv} is no Join Service variant (8.7.1, 8.7.2)")
    _join(dcc_scenario, other, device, srv)


def _join(dcc_scenario: Scenario, other: str, device: str, srv: str) -> None:
    member = dcc_scenario.target.device(other)
    answer = dcc_scenario.srv(srv, device=device, other_device_id=member)
    common.effect_on(
        dcc_scenario, answer, device, f"the {device}'s join with the {other}", lambda v: member in v.device.joins
    )
    if answer.code == "I99":  # on an endpoint that is not reset, the pair is unjoined again after the scenario
        dcc_scenario.on_teardown(lambda: _unjoin_quietly(dcc_scenario, other, device))


@when(parsers.parse("the user unjoins the {other:w} from the {device:w}"))
def unjoin(dcc_scenario: Scenario, other: str, device: str) -> None:
    _unjoin(dcc_scenario, other, device, "8.8.2")


@when(parsers.parse("the user unjoins the {other:w} from the {device:w} with SRV {srv} for local delivery"))
def unjoin_local(dcc_scenario: Scenario, other: str, device: str, srv: str) -> None:
    """The Unjoin Service for local delivery: 8.8.2 with CV 2, 8.8.1 with CV 4 then its signed pre-command (CV 6)."""
    if srv not in {"8.8.1", "8.8.2"}:
        raise HarnessError(f"SRV {srv} is no Unjoin Service variant (8.8.1, 8.8.2)")
    dcc_scenario.srv(srv, device=device, other_device_id=dcc_scenario.target.device(other), local=True)


@then("the command for local delivery is issued")
def local_issued(dcc_scenario: Scenario) -> None:
    answer = dcc_scenario.last
    expect(answer.code == "I0", f"SRV {answer.request.srv} for local delivery was answered {answer.code}, not I0")
    kind = answer.judged.response.payload_kind
    expect(kind == "LocalCommand", f"SRV {answer.request.srv} for local delivery was answered I0 with {kind}")


@when(parsers.re(r"the user unjoins the (?P<other>\w+) from the (?P<device>\w+) with SRV (?P<srv>[\d.]+)$"))
def unjoin_with(dcc_scenario: Scenario, other: str, device: str, srv: str) -> None:
    """Unjoin Service, critical (8.8.1: CV 4, then its signed pre-command) or non-critical (8.8.2)."""
    if srv not in {"8.8.1", "8.8.2"}:
        raise HarnessError(f"SRV {srv} is no Unjoin Service variant (8.8.1, 8.8.2)")
    _unjoin(dcc_scenario, other, device, srv)


def _unjoin(dcc_scenario: Scenario, other: str, device: str, srv: str) -> None:
    """Send the Unjoin; where the driver sees the device hold the join, its removal is the effect due."""
    target, member = dcc_scenario.target, dcc_scenario.target.device(other)
    inner = unrecorded(target.driver)
    held = "device-view" in inner.capabilities and member in inner.device_view(target.device(device)).device.joins
    answer = dcc_scenario.srv(srv, device=device, other_device_id=member)
    if held:
        what = f"the {device}'s join with the {other} removed"
        common.effect_on(dcc_scenario, answer, device, what, lambda v: member not in v.device.joins)


def _judge_join(dcc_scenario: Scenario, device: str, other: str, *, smi: bool, held: bool, failure: str) -> None:
    """FAIL with ``failure`` unless the SMI's (``smi``) or the device's own view holds the join as ``held`` says."""
    eui, member = dcc_scenario.target.device(device), dcc_scenario.target.device(other)
    view = common.view(dcc_scenario, device)
    if smi:  # one relation, whichever of the two devices the SMI files it under
        found = member in view.smi.joins or eui in common.view(dcc_scenario, other).smi.joins
    else:
        found = member in view.device.joins
    expect(found == held, failure)
    what = f"{'the SMI' if smi else f'the {device} itself'} {'holds' if held else 'holds no'} the join with the {other}"
    for change in membership(eui, "smi" if smi else "device", member, held=held, what=what):
        dcc_scenario.frame.allow(change)


@then(parsers.parse("the inventory records the {other} joined to the {device}"))
def smi_join(dcc_scenario: Scenario, other: str, device: str) -> None:
    _judge_join(
        dcc_scenario,
        device,
        other,
        smi=True,
        held=True,
        failure=f"the SMI records no join of the {other} to the {device}",
    )


@then(parsers.parse("the inventory records no join of the {other} to the {device}"))
def smi_no_join(dcc_scenario: Scenario, other: str, device: str) -> None:
    _judge_join(
        dcc_scenario, device, other, smi=True, held=False, failure=f"the SMI records the {other} joined to the {device}"
    )


@then(parsers.parse("the {device} itself holds the join with the {other}"))
def device_join(dcc_scenario: Scenario, device: str, other: str) -> None:
    _judge_join(
        dcc_scenario, device, other, smi=False, held=True, failure=f"the {device} holds no join with the {other}"
    )


@then(parsers.parse("the {device} itself no longer holds the join with the {other}"))
def device_no_join(dcc_scenario: Scenario, device: str, other: str) -> None:
    _judge_join(
        dcc_scenario,
        device,
        other,
        smi=False,
        held=False,
        failure=f"the {device} still holds the join with the {other}",
    )

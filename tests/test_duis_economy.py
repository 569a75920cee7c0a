"""No request nobody judges (issue 27 item 3): the Then steps that judge the frame are the ones the scenario asks
about (``frame.FRAME_STEPS``), and the run-wide DUIS client counts what it sends by purpose."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_dcc.drivers.reference_control import InProcessDriver
from pytest_dcc.duis.ids import CounterStore
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.errors import HarnessError
from pytest_dcc.reporting.verdicts import ScenarioRecord
from pytest_dcc.steps.common import standard
from pytest_dcc.suite.context import Scenario, Target
from pytest_dcc.suite.frame import judges_frame
from pytest_dcc.transport.client import DuisClient, NoEvidence, Purpose
from tests.reference_harness import ESME, GS, GSME, IS, Harness

STEPS = Path(__file__).resolve().parent.parent / "pytest_dcc" / "steps"
JUDGING = {"check_refused", "check_frame", "check_unchanged", "check_state"}


def _then_texts(function: ast.FunctionDef) -> list[str]:
    """The texts of ``function``'s ``@then`` decorators (the format of a ``parsers.parse``)."""
    texts = []
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "then":
            argument = decorator.args[0]
            if isinstance(argument, ast.Call):  # parsers.parse("...")
                argument = argument.args[0]
            assert isinstance(argument, ast.Constant)
            texts.append(str(argument.value))
    return texts


def test_every_then_step_that_judges_the_frame_is_known_to_judge_it() -> None:
    """A Then step that calls the frame check must be one FRAME_STEPS names, else over DUIS alone nothing would be
    read before the request it judges; and no other Then step is taken for one."""
    found = 0
    for module in sorted(STEPS.glob("*.py")):
        tree = ast.parse(module.read_text())
        judging = _judges_through(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            for text in _then_texts(node):
                example = text.replace("{case}", "x").replace("{device}", "CHF").replace("{status}", "Pending")
                assert judges_frame(example) == judging[node.name], f"{module.name}: {text}"
                found += judging[node.name]
    assert found >= 3


def _judges_through(module: ast.Module) -> dict[str, bool]:
    """Per function of ``module``: whether it calls a frame check, directly or through another function of the
    module (a Then step that judges through a helper is one too)."""
    functions = {n.name: n for n in ast.walk(module) if isinstance(n, ast.FunctionDef)}

    def called(node: ast.FunctionDef) -> set[str]:
        return {getattr(c.func, "id", getattr(c.func, "attr", "")) for c in ast.walk(node) if isinstance(c, ast.Call)}

    def through(name: str, seen: frozenset[str]) -> bool:
        calls = called(functions[name])
        return bool(calls & JUDGING) or any(through(c, seen | {c}) for c in calls & set(functions) - seen)

    return {name: through(name, frozenset({name})) for name in functions}


def test_the_client_counts_each_request_by_scenario_srv_and_purpose() -> None:
    harness = Harness()
    client = DuisClient(harness.transport, {IS: harness.pki.identity(IS)}, schema_version=harness.version)
    client.begin("one")
    start = client.generation
    assert client.request("8.2", user=IS, purpose=Purpose.ARRANGEMENT, **sample_values("8.2")).code == "I0"
    assert client.generation == start  # a read changes nothing
    client.request("8.2", user=IS, **sample_values("8.2"))  # a read under test may change anything
    assert client.generation == start + 1
    client.begin("two")
    client.request("8.7.2", user=IS, cv=1, target=ESME, other_device_id=sample_values("8.7.2")["other_device_id"])
    assert client.tally() == [
        {"scenario": "one", "srv": "8.2", "purpose": "arrangement", "count": 1},
        {"scenario": "one", "srv": "8.2", "purpose": "under test", "count": 1},
        {"scenario": "two", "srv": "8.7.2", "purpose": "under test", "count": 1},
    ]


def _reads_through(module: ast.Module) -> dict[str, set[str]]:
    """Per function of ``module``: the capabilities it reads through (``view``: device-view, ``smki``: smki),
    directly or through another function of the module."""
    functions = {n.name: n for n in ast.walk(module) if isinstance(n, ast.FunctionDef)}
    direct = {"view": "device-view", "smki": "smki"}

    def called(node: ast.FunctionDef) -> set[str]:
        return {getattr(c.func, "id", getattr(c.func, "attr", "")) for c in ast.walk(node) if isinstance(c, ast.Call)}

    def through(name: str, seen: frozenset[str]) -> set[str]:
        found = {direct[c] for c in called(functions[name]) if c in direct}
        for callee in called(functions[name]) & set(functions) - seen - set(direct):
            found |= through(callee, seen | {name})
        return found

    return {name: through(name, frozenset({name})) for name in functions}


def test_every_then_step_that_reads_through_a_capability_is_known_to() -> None:
    """A Then step that needs a capability must be one frame.CAPABILITY_STEPS names (else, over DUIS alone, the
    state would be read for a frame check the step's NOT_APPLICABLE never lets run), with the same capabilities."""
    from pytest_dcc.suite.frame import needs

    found = 0
    for module in sorted(STEPS.glob("*.py")):
        tree = ast.parse(module.read_text())
        reads = _reads_through(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                for text in _then_texts(node):
                    example = text.replace("{", "<").replace("}", ">")
                    assert needs(example) == reads[node.name], f"{module.name}: {text}"
                    found += bool(reads[node.name])
    assert found >= 10


class _StatusOnlyDriver:
    """A vendor's driver that sets statuses by its own test control and cannot view devices: the frame is observed
    over DUIS (SR 8.2), the status it sets never passes through the run's DUIS client."""

    name = "a vendor's status-only driver"
    capabilities = frozenset({"estate", "set-status"})

    def __init__(self, harness: Harness) -> None:
        self.control = InProcessDriver(harness.dcc)

    def arrange_estate(self, devices: object) -> None:
        return None

    def set_status(self, eui: str, status: str) -> None:
        self.control.set_status(eui, status)


class _Notes(NoEvidence):
    """The notes a scenario's evidence was given."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def note(self, text: str) -> None:
        self.notes.append(text)


def _target(harness: Harness, keys: tuple[str, ...] = (IS, GS), **more: Any) -> Target:
    """The Import and the Gas Supplier on the harness, with keys of ``keys``, arranged by a status-only driver."""
    return Target(
        transport=harness.transport,
        inbox=harness.inbox,
        driver=_StatusOnlyDriver(harness),  # type: ignore[arg-type]
        release="latest",
        schema_version=harness.version,
        counters=CounterStore(),
        identities={user: harness.pki.identity(user) for user in keys},
        roles={"IS": IS, "GS": GS},
        timeout_s=1.0,
        **more,
    )


def test_a_driver_change_outside_the_client_makes_earlier_reads_stale() -> None:
    """What SR 8.2 showed before a driver changed the state (by its own means, not a DUIS request) is not the state
    observed before the request under test: a stale origin would hide an endpoint that puts the status back."""
    harness = Harness()
    target = _target(harness, declared_devices=frozenset({"ESME", "GSME", "CHF", "GPF"}))
    request = SimpleNamespace(node=SimpleNamespace(nodeid="scenario"))
    scenario = standard(target, ScenarioRecord(), request)  # type: ignore[arg-type]
    read = scenario.request("8.2", device_id=GSME)  # a Given step's read, as the Gas Supplier
    was = read.judged.response.inventory[0].status
    now = "Suspended" if was != "Suspended" else "Commissioned"
    scenario.target.driver.set_status(GSME, now)  # the driver's own test control
    scenario.act()
    seen = scenario.observe([GSME], sender=IS)  # observed as the Gas Supplier, IS's observer
    assert seen[GSME] == {"8.2": {"type": "GSME", "status": now}}


def test_a_state_read_once_is_shown_where_it_is_used_again() -> None:
    """A frame check that reuses an earlier SR 8.2 (nothing sent since that may change it) names the answer it rests
    on in its own step's evidence: the report shows what each judgement read."""
    harness, evidence = Harness(), _Notes()
    target = _target(harness, evidence=evidence)
    scenario = Scenario(target)
    first = scenario.observe([GSME], sender=IS)
    assert evidence.notes == []
    assert scenario.observe([GSME], sender=IS) == first  # nothing sent since: the same read
    (read,) = target.client.reads.values()
    assert evidence.notes == [
        f"SR 8.2 of {GSME}: the answer to {read[1].request.request_id}, nothing sent since that may change it"
    ]


def test_a_scenario_never_sends_unsigned_for_want_of_a_key() -> None:
    """The run's client sends unsigned as a user it holds no key for (the skeleton, the QA tooling); a scenario's
    request must be signed as its originator, as before the one client: an unsigned request would be refused for
    that, and a refusal scenario PASS for the wrong reason. No key is a harness error."""
    target = _target(Harness(), keys=(IS,))
    scenario = Scenario(target)
    with pytest.raises(HarnessError, match=GS):
        scenario.request("8.2", role="GS", device_id=GSME)
    assert target.client.tally() == []  # nothing went on the wire

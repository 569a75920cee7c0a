"""Coverage that does not depend on the order, over DUIS alone (issue 25): on an endpoint that is never reset, a
scenario changes a device's status only where it can put it back afterwards (SR 8.4), draws a hub it cannot put
back from the statement's spare devices (an earlier scenario's where SR 8.4 can bring it there, else a fresh one,
pre-notified with SR 12.2 and deleted again while still Pending), or is NOT_APPLICABLE before it changed anything.

Here against the reference DCC in process, arranged over DUIS alone (``DuisDriver``) on a scenario that is not
reseeded; ``tests/test_duis_only.py`` runs the bundled suite in three orders on one served endpoint."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from pytest_dcc.drivers import RecordingDriver
from pytest_dcc.drivers.duis import DuisDriver, hub_pairs
from pytest_dcc.duis.ids import CounterStore
from pytest_dcc.errors import NotApplicableError
from pytest_dcc.steps.common import device_status
from pytest_dcc.suite.context import Scenario, Target
from tests.conftest import load_benchmark
from tests.reference_harness import CHF, ESME, GPF, GS, GSME, IS, OU, Harness, duis_driver, srvs_sent, status_of

SPARES = [("00-DB-12-34-56-78-91-C0", "CHF"), ("00-DB-12-34-56-78-91-C1", "GPF")]
SPARES2 = [("00-DB-12-34-56-78-91-C2", "CHF"), ("00-DB-12-34-56-78-91-C3", "GPF")]
SPARE_CHF, SPARE_GPF = SPARES[0][0], SPARES[1][0]


_driver, _status, _srvs = duis_driver, status_of, srvs_sent


def _scenario(harness: Harness, spares: list[tuple[str, str]]) -> tuple[Scenario, DuisDriver]:
    """A scenario on the harness's estate as the DUIS driver finds it (not reseeded: restores run on teardown)."""
    driver = _driver(harness)
    target = Target(
        transport=harness.transport,
        inbox=harness.inbox,
        driver=RecordingDriver(driver, set()),
        release="latest",
        schema_version=harness.version,
        counters=CounterStore(),
        identities={user: harness.pki.identity(user) for user in (IS, GS, OU)},
        roles={"IS": IS, "GS": GS, "OU": OU},
        timeout_s=1.0,
        devices={"ESME": ESME, "GSME": GSME, "CHF": CHF, "GPF": GPF},
        spares=list(spares),
    )
    return Scenario(target, seeded=False), driver


def _teardown(scenario: Scenario) -> None:
    while scenario.undo:
        scenario.undo.pop()()


def test_spare_hubs_pair_the_nth_chf_with_the_nth_gpf() -> None:
    mixed = [SPARES[0], SPARES[1], SPARES2[1], SPARES2[0], ("00-DB-12-34-56-78-91-C4", "CHF")]
    assert hub_pairs(mixed) == [(SPARE_CHF, SPARE_GPF), (SPARES2[0][0], SPARES2[1][0])]  # a CHF without a GPF: none


def test_a_fresh_spare_hub_is_pre_notified_and_deleted_again_while_pending() -> None:
    harness = Harness()
    driver = _driver(harness)
    hub = driver.draw_hub(SPARES, {"CHF": "Pending", "GPF": "Pending"})
    assert hub is not None and hub.fresh and (hub.chf, hub.gpf) == (SPARE_CHF, SPARE_GPF)
    assert _status(harness, SPARE_CHF) == "Pending" and _status(harness, SPARE_GPF) == "Pending"
    assert driver.return_hub(hub)
    assert _status(harness, SPARE_CHF) is None and _status(harness, SPARE_GPF) is None
    again = driver.draw_hub(SPARES, {"CHF": "Pending"})  # fresh again: the next scenario or run draws it as new
    assert again is not None and again.fresh


def test_a_hub_an_earlier_scenario_left_is_drawn_before_a_fresh_one_and_not_deleted() -> None:
    harness = Harness()
    driver = _driver(harness)
    first = driver.draw_hub(SPARES2, {"CHF": "Pending"})
    assert first is not None
    driver.set_status(first.chf, "InstalledNotCommissioned")  # 8.14.2 moved it on: never Pending again
    spares = SPARES + SPARES2  # the fresh pair comes first in the statement, the used one is preferred
    used = driver.draw_hub(spares, {"CHF": "Commissioned", "GPF": "Pending"})
    assert used is not None and not used.fresh and used.chf == first.chf
    assert used.statuses == {"CHF": "InstalledNotCommissioned", "GPF": "Pending"}
    assert _status(harness, SPARE_CHF) is None  # the fresh one is left fresh
    assert not driver.return_hub(used) and _status(harness, first.chf) == "InstalledNotCommissioned"
    fresh = driver.draw_hub(spares, {"CHF": "Pending"})  # a CHF is Pending only when fresh
    assert fresh is not None and fresh.fresh and fresh.chf == SPARE_CHF


@pytest.mark.parametrize("wanted", [{"GPF": "Commissioned"}, {"CHF": "Pending", "GPF": "Withdrawn"}])
def test_no_spare_hub_fits_what_8_4_cannot_reach_and_nothing_but_8_2_is_sent(wanted: dict[str, str]) -> None:
    harness = Harness()
    driver = _driver(harness)
    assert driver.draw_hub(SPARES, wanted) is None
    assert set(_srvs(driver)) == {"8.2"} and _status(harness, SPARE_CHF) is None


def test_a_status_the_estate_can_be_put_back_from_is_set_and_restored_after_the_scenario() -> None:
    harness = Harness()
    scenario, driver = _scenario(harness, SPARES)
    device_status(scenario, "CHF", "Withdrawn")
    assert _status(harness, CHF) == "Withdrawn" and "12.2" not in _srvs(driver)
    _teardown(scenario)
    assert _status(harness, CHF) == "Commissioned"


def test_a_status_the_estate_cannot_be_put_back_from_is_set_on_a_spare_hub() -> None:
    """InstalledNotCommissioned and Pending: the estate's CHF could be put back, its GPF (Commissioned) not, so the
    hub comes from the spares, brought to both statuses; the estate's hub ends as it was."""
    harness = Harness()
    scenario, _ = _scenario(harness, SPARES)
    device_status(scenario, "CHF", "InstalledNotCommissioned")
    device_status(scenario, "GPF", "Pending")
    assert scenario.target.devices["CHF"] == SPARE_CHF and scenario.target.devices["GPF"] == SPARE_GPF
    assert _status(harness, SPARE_CHF) == "InstalledNotCommissioned" and _status(harness, SPARE_GPF) == "Pending"
    assert _status(harness, GPF) == "Commissioned"
    assert any("spare CHF" in text for text in scenario.reports)
    _teardown(scenario)
    assert _status(harness, CHF) == "Commissioned" and _status(harness, GPF) == "Commissioned"
    assert _status(harness, SPARE_CHF) == "InstalledNotCommissioned"  # moved on: stays, for a later scenario


@pytest.mark.parametrize(
    ("chf", "gpf"), [("Withdrawn", "Withdrawn"), ("Pending", "Commissioned"), ("Commissioned", "Suspended")]
)
def test_what_neither_the_estate_nor_a_spare_can_reach_is_not_applicable_and_leaves_all_as_it_was(
    chf: str, gpf: str
) -> None:
    harness = Harness()
    scenario, driver = _scenario(harness, SPARES)
    scenario.steps = (f'the CHF is in status "{chf}"', f'the GPF is in status "{gpf}"')  # as the plugin gives them
    with pytest.raises(NotApplicableError, match=r"so '\w+' needs"):  # decided at the first step, for both
        device_status(scenario, "CHF", chf)
    assert _status(harness, CHF) == "Commissioned" and _status(harness, GPF) == "Commissioned"  # nothing set yet
    assert set(_srvs(driver)) <= {"8.2"}  # reads only: no status set, no spare pre-notified
    _teardown(scenario)
    assert _status(harness, CHF) == "Commissioned" and _status(harness, GPF) == "Commissioned"
    assert _status(harness, SPARE_CHF) is None and _status(harness, SPARE_GPF) is None  # a spare drawn, returned


def test_without_spares_a_pending_hub_is_not_applicable_before_anything_is_sent_but_reads() -> None:
    harness = Harness()
    scenario, driver = _scenario(harness, [])
    with pytest.raises(NotApplicableError, match=r"UpdateDeviceStatusCH can only set .*so 'Pending' needs"):
        device_status(scenario, "CHF", "Pending")
    assert not driver.exchanges and {a.request.srv for a in scenario.answers} <= {"8.2"} and not scenario.undo


@pytest.fixture(scope="module")
def duis_only() -> ModuleType:
    return load_benchmark("duis_only")


def _document(verdicts: dict[str, str]) -> dict[str, Any]:
    return {"scenarios": [{"id": scenario, "verdict": verdict} for scenario, verdict in verdicts.items()]}


def test_the_orders_compared_name_every_scenario_whose_verdict_differs(duis_only: ModuleType) -> None:
    same = _document({"a": "PASS", "b": "NOT_APPLICABLE"})
    assert duis_only.order_differences([same, same, same]) == []
    other = _document({"a": "NOT_APPLICABLE", "b": "NOT_APPLICABLE", "c": "PASS"})
    assert duis_only.order_differences([same, other]) == ["a: PASS / NOT_APPLICABLE", "c: - / PASS"]


def test_the_spares_last_the_runs_they_are_sized_for(duis_only: ModuleType) -> None:
    assert duis_only.spare_devices(0) == [] and "spare_devices" not in duis_only.statement("2021-06", runs=0)
    spares = duis_only.spare_devices(3)
    assert len(hub_pairs([(s["eui"], s["type"]) for s in spares])) == 5 and len({s["eui"] for s in spares}) == 10
    assert {s["eui"] for s in spares}.isdisjoint(duis_only.DEVICES.values())

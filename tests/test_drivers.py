"""Arrangement over DUIS (SR 8.2, 8.4, 12.2) against the reference DCC in process: what it can arrange it arranges
and reads back; what DUIS cannot do is NOT_APPLICABLE with the reason; a pool that does not match is an error."""

from __future__ import annotations

import pytest

from pytest_dcc.drivers import CAPABILITIES, FULL_CONTROL, Capability, RecordingDriver, SmkiEntry, require
from pytest_dcc.drivers.check import check_driver
from pytest_dcc.drivers.reference_control import InProcessDriver
from pytest_dcc.errors import ArrangementError, NotApplicableError
from tests.reference_harness import CHF, ESME, GPF, GS, GSME, Harness, duis_driver, srvs_sent, status_of

NEW_CHF = "00-DB-12-34-56-78-91-B0"
NEW_GPF = "00-DB-12-34-56-78-91-B1"


_driver, _status, _srvs = duis_driver, status_of, srvs_sent


def test_the_declared_pool_is_used_as_it_is_when_every_device_exists() -> None:
    harness = Harness()
    driver = _driver(harness)
    driver.arrange_estate({"ESME": ESME, "GSME": GSME, "CHF": CHF, "GPF": GPF})
    assert _srvs(driver) == ["8.2"] * 4


def test_a_missing_hub_is_pre_notified_with_its_gpf_and_starts_pending() -> None:
    harness = Harness()
    driver = _driver(harness)
    driver.arrange_estate({"GPF": NEW_GPF, "CHF": NEW_CHF})
    assert _srvs(driver) == ["8.2", "12.2", "8.2", "8.2"]  # the hub first, its GPF comes with it
    assert _status(harness, NEW_CHF) == "Pending" and _status(harness, NEW_GPF) == "Pending"
    assert harness.dcc.inventory.device(NEW_GPF).type == "GPF"  # type: ignore[union-attr]


def test_a_pool_that_does_not_match_the_endpoint_is_an_arrangement_error() -> None:
    driver = _driver(Harness())
    with pytest.raises(ArrangementError, match=f"declares {ESME} a GSME.*lists it as a ESME"):
        driver.arrange_estate({"GSME": ESME})


def test_statuses_8_4_allows_are_set_and_read_back() -> None:
    harness = Harness()
    driver = _driver(harness)
    driver.set_status(GPF, "Pending")
    driver.set_status(CHF, "InstalledNotCommissioned")
    assert _status(harness, GPF) == "Pending" and _status(harness, CHF) == "InstalledNotCommissioned"
    assert _srvs(driver) == ["8.2", "8.4", "8.2"] * 2
    update = driver.exchanges[4].request.to_bytes()
    assert b"UpdateDeviceStatusCH" in update  # a hub takes the CH element


def test_a_status_already_held_sends_no_update() -> None:
    harness = Harness()
    driver = _driver(harness)
    driver.set_status(CHF, str(_status(harness, CHF)))
    assert _srvs(driver) == ["8.2"]


@pytest.mark.parametrize(
    ("device", "status", "element"),
    [(CHF, "Pending", "UpdateDeviceStatusCH"), (GSME, "Suspended", "UpdateDeviceStatusExceptCH")],
)
def test_a_status_8_4_cannot_set_is_not_applicable_with_the_reason(device: str, status: str, element: str) -> None:
    harness = Harness()
    before = _status(harness, device)
    driver = _driver(harness)
    wanted = f"{element} can only set .*'{status}' needs a driver with the 'set-status'"
    with pytest.raises(NotApplicableError, match=wanted):
        driver.set_status(device, status)
    assert _status(harness, device) == before and "8.4" not in _srvs(driver)


def test_an_endpoint_refusing_the_arrangement_makes_it_not_applicable_naming_the_code() -> None:
    harness = Harness()
    driver = _driver(harness, user=GS)  # the Gas Supplier is not the supplier registered for the ESME
    with pytest.raises(NotApplicableError, match=r"refused SR 8\.4 setting .* with E4"):
        driver.set_status(ESME, "Pending")
    assert _status(harness, ESME) == "Commissioned"


def test_an_accepted_update_that_does_not_take_effect_is_an_arrangement_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    harness = Harness()
    monkeypatch.setattr(harness.dcc.inventory, "set_status", lambda eui, status: None)
    with pytest.raises(ArrangementError, match="reads it back as Commissioned"):
        _driver(harness).set_status(GPF, "Pending")


def test_everything_else_is_missing_and_names_what_to_do() -> None:
    driver = _driver(Harness())
    assert "seed" not in driver.capabilities and {"estate", "set-status"} <= driver.capabilities
    with pytest.raises(NotApplicableError, match=r"'seed' cannot be arranged over DUIS.*--test-control"):
        driver.seed({})
    with pytest.raises(NotApplicableError, match="needs the 'faults' capability"):
        require(driver, "faults", "losing a device response")


def test_full_control_drivers_set_any_inventory_status() -> None:
    harness = Harness()
    driver = InProcessDriver(harness.dcc)
    assert driver.capabilities == FULL_CONTROL
    driver.set_status(CHF, "Pending")
    assert _status(harness, CHF) == "Pending"
    with pytest.raises(NotApplicableError, match="'estate'"):
        driver.arrange_estate({})


class _SmkiOnly:
    """A vendor's driver that does not derive from NoDriver: it lists one capability and has that method alone."""

    name = "smki only"
    capabilities = frozenset({"smki"})

    def smki(self, subject: str) -> list[SmkiEntry]:
        return [SmkiEntry("1001", "Digital Signing", "In Use")]


def test_a_driver_need_not_derive_from_nodriver() -> None:
    """What such a driver lacks is refused as NoDriver refuses it (NOT_APPLICABLE naming the capability), and the
    contract check finds nothing missing: a capability it does not list needs no method."""
    used: set[str] = set()
    driver = RecordingDriver(_SmkiOnly(), used)  # type: ignore[arg-type]
    assert driver.smki(ESME) == [SmkiEntry("1001", "Digital Signing", "In Use")] and used == {Capability.SMKI}
    with pytest.raises(NotApplicableError, match="'device-view'"):
        driver.device_view(ESME)
    with pytest.raises(NotApplicableError, match="'reset-lane'"):
        driver.reset_lane({"devices": [ESME], "uprns": [1, 2]})
    assert [f.what for f in check_driver(_SmkiOnly(), [ESME]) if not f.ok] == []


def test_capabilities_are_the_enumeration_spelled_as_the_docs_spell_them() -> None:
    assert [str(c) for c in CAPABILITIES] == [c.value for c in Capability]
    assert Capability("reset-lane") is Capability.RESET_LANE and Capability.RESET_LANE.method == "reset_lane"
    assert "seed" in FULL_CONTROL and "estate" not in FULL_CONTROL


def test_the_test_control_routes_are_one_table_the_server_serves_and_the_driver_derives_its_capabilities_from() -> None:
    """A capability route is named by its capability, so the HTTP driver offers exactly what the routes (and the
    server's SMKI search) provide, and the reference serves every route of the table and no other."""
    from pytest_dcc.drivers.control_over_http import TestControlDriver
    from pytest_dcc.duis.control_api import ROUTE_CAPABILITIES, ROUTES
    from pytest_dcc.reference.control_http import ControlApi

    unknown = ROUTE_CAPABILITIES - {c.value for c in Capability}
    assert not unknown, unknown
    assert TestControlDriver.capabilities == FULL_CONTROL
    for capability in TestControlDriver.capabilities:  # each has its own method, not NoDriver's refusal
        assert capability.method in vars(TestControlDriver), capability
    served = ControlApi(Harness().dcc, deliveries=None).routes()  # type: ignore[arg-type]
    assert [(r.path, sorted(r.methods or ())) for r in served] == [
        (route.template, sorted({route.method, "HEAD"} if route.method == "GET" else {route.method}))
        for route in ROUTES
    ]


def test_a_route_part_of_a_capability_is_its_optional_batch_which_the_http_driver_offers() -> None:
    """``device-views`` is no capability of its own (no name a driver lists): the batched form of "device-view",
    which the test-control driver offers (BatchedViews) and NoDriver does not (read device by device)."""
    from pytest_dcc.drivers import BatchedViews, NoDriver
    from pytest_dcc.drivers.control_over_http import TestControlDriver
    from pytest_dcc.drivers.reference_control import InProcessDriver
    from pytest_dcc.duis.control_api import ROUTE_CAPABILITIES, ROUTES

    parts = {r.name: r.part_of for r in ROUTES if r.part_of is not None}
    assert parts == {"device-views": "device-view"}
    assert not any(r.capability for r in ROUTES if r.part_of) and set(parts) - ROUTE_CAPABILITIES == set(parts)
    assert set(parts.values()) <= {c.value for c in TestControlDriver.capabilities}
    assert not set(parts) & {c.value for c in Capability}
    assert issubclass(TestControlDriver, BatchedViews) and issubclass(InProcessDriver, BatchedViews)
    assert not isinstance(NoDriver(), BatchedViews)

"""The suite's whole-state observation in one batched read (``device_views``, an optional part of capability
"device-view"): on the reference, in process and over HTTP, it observes exactly what the device-by-device calls
observe (both views, the SMKI entries, the GPF a hub names, an absent device, the order of the keys), in at most two
HTTP calls; a driver without it is read device by device; a batch of the wrong shape is a DriverContractError; the
contract check compares the two ways of reading."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest

from pytest_dcc.drivers import BatchedViews, DeviceSnapshot, DeviceView, NoDriver, SmkiEntry, snapshots
from pytest_dcc.drivers.check import UNKNOWN_DEVICE, check_driver
from pytest_dcc.drivers.control_over_http import TestControlDriver
from pytest_dcc.drivers.reference_control import InProcessDriver
from pytest_dcc.duis.control_api import MAX_VIEW_DEVICES
from pytest_dcc.duis.ids import CounterStore
from pytest_dcc.errors import DriverContractError
from pytest_dcc.reference.server import Deliveries, make_app
from pytest_dcc.suite.context import Scenario, Target
from pytest_dcc.transport.receiver import ServerThread
from tests.reference_harness import CAD, CHF, ESME, GPF, GS, GSME, IS, Harness


class _OneByOne:
    """``inner`` as a vendor's driver without the batched read (not derived from NoDriver): device by device."""

    def __init__(self, inner: Any, capabilities: frozenset[str] | None = None) -> None:
        self.inner = inner
        self.name = "one by one"
        self.capabilities = inner.capabilities if capabilities is None else capabilities

    def device_view(self, eui: str) -> DeviceView:
        return self.inner.device_view(eui)  # type: ignore[no-any-return]

    def smki(self, subject: str) -> list[SmkiEntry]:
        return self.inner.smki(subject)  # type: ignore[no-any-return]


def _observe(harness: Harness, driver: Any, euis: list[str]) -> dict[str, Any]:
    target = Target(
        transport=harness.transport,
        inbox=harness.inbox,
        driver=driver,
        release="latest",
        schema_version=harness.version,
        counters=CounterStore(),
        identities={},
        roles={"IS": IS, "GS": GS},
        timeout_s=1.0,
    )
    return Scenario(target).observe(euis)


def _arranged() -> Harness:
    """The premises with views that differ: a join the device holds and the SMI does not, a GSME with new
    certificates the SMI does not know."""
    harness = Harness()
    control = InProcessDriver(harness.dcc)
    control.set_join(ESME, CAD, smi=False, device=True)
    control.renew_certificates(GSME)
    return harness


@dataclass
class Reference:
    """An arranged reference and its driver; over HTTP, the requests that driver made (``None`` in process)."""

    harness: Harness
    driver: Any
    requests: list[str] | None = None


@pytest.fixture(params=["in-process", "http"])
def reference(request: pytest.FixtureRequest) -> Iterator[Reference]:
    harness = _arranged()
    if request.param == "in-process":
        yield Reference(harness, InProcessDriver(harness.dcc))
        return
    deliveries = Deliveries(harness.dcc)
    requests: list[str] = []
    hooks = {"request": [lambda r: requests.append(f"{r.method} {r.url.path}")]}
    try:
        app = make_app(harness.dcc, test_control=True, deliveries=deliveries)
        with ServerThread(app) as server, httpx.Client(timeout=10, event_hooks=hooks) as client:
            yield Reference(harness, TestControlDriver(server.url, client), requests)
    finally:
        deliveries.close()


def test_an_observation_is_the_same_through_the_batch_and_device_by_device(reference: Reference) -> None:
    harness, driver, requests = reference.harness, reference.driver, reference.requests
    euis = [ESME, CHF, GSME, UNKNOWN_DEVICE, ESME]  # the CHF's GPF not named: followed; one twice; one unknown
    assert isinstance(driver, BatchedViews) and not isinstance(_OneByOne(driver), BatchedViews)
    batched = _observe(harness, driver, euis)
    batch_calls = list(requests or ())
    if requests is not None:
        requests.clear()
    single = _observe(harness, _OneByOne(driver), euis)
    assert list(batched.items()) == list(single.items())  # the same keys in the same order, the same values
    assert list(batched) == [ESME, f"smki {ESME}", CHF, f"smki {CHF}", GSME, f"smki {GSME}", UNKNOWN_DEVICE, GPF,
                             f"smki {GPF}"]  # fmt: skip
    assert batched[UNKNOWN_DEVICE] == "absent" and batched[CHF]["smi"]["gpf"] == GPF
    assert CAD in batched[ESME]["device"]["joins"] and CAD not in batched[ESME]["smi"]["joins"]
    assert batched[GSME]["device"]["certificates"] != batched[GSME]["smi"]["certificates"]
    assert batched[f"smki {ESME}"] and all(set(e) == {"serial", "usage", "status"} for e in batched[f"smki {ESME}"])
    if requests is not None:  # over HTTP: the devices asked for, then the GPF learned
        assert batch_calls == ["POST /test-control/device-views"] * 2
        assert len(requests) == 2 * 4 + 1  # view and SMKI of each known device, the unknown device's view


def test_without_smki_no_entries_are_asked_for_or_observed(reference: Reference) -> None:
    harness, driver = reference.harness, reference.driver

    class ViewsOnly(_OneByOne):
        def device_views(self, euis: Sequence[str], *, smki: bool) -> list[DeviceSnapshot | None]:
            assert not smki
            return driver.device_views(euis, smki=smki)  # type: ignore[no-any-return]

    views_only = ViewsOnly(driver, frozenset({"device-view"}))
    seen = _observe(harness, views_only, [ESME, CHF])
    assert list(seen) == [ESME, CHF, GPF]
    assert seen == _observe(harness, _OneByOne(views_only), [ESME, CHF])


def test_more_devices_than_one_call_takes_are_split(reference: Reference) -> None:
    driver = reference.driver
    euis = [ESME, *(f"00-DB-12-34-56-79-{i // 256:02X}-{i % 256:02X}" for i in range(MAX_VIEW_DEVICES)), GSME]
    answers = driver.device_views(euis, smki=True)
    assert [a is not None for a in answers] == [True, *[False] * MAX_VIEW_DEVICES, True]
    assert answers == snapshots(_OneByOne(driver), euis, smki=True)
    if reference.requests is not None:
        assert reference.requests[:2] == ["POST /test-control/device-views"] * 2


def test_a_server_without_the_batched_route_is_read_device_by_device() -> None:
    """A ``serve`` of a release before ``device-views`` (the route answers 404): the same answers, device by device."""
    harness = _arranged()
    deliveries = Deliveries(harness.dcc)
    app = make_app(harness.dcc, test_control=True, deliveries=deliveries)
    app.router.routes = [r for r in app.router.routes if getattr(r, "path", "") != "/test-control/device-views"]
    try:
        with ServerThread(app) as server, httpx.Client(timeout=10) as client:
            driver = TestControlDriver(server.url, client)
            answers = driver.device_views([ESME, UNKNOWN_DEVICE, CHF], smki=True)
            assert not driver.batched
            assert answers == snapshots(_OneByOne(InProcessDriver(harness.dcc)), [ESME, UNKNOWN_DEVICE, CHF], smki=True)
            assert answers[1] is None and answers[0] is not None and answers[0].smki
    finally:
        deliveries.close()


class _Lying(InProcessDriver):
    """The reference's driver with a batched read that breaks the contract in one way (``how``)."""

    how = ""

    def device_views(self, euis: Sequence[str], *, smki: bool) -> list[DeviceSnapshot | None]:
        answers = super().device_views(euis, smki=smki)
        if self.how == "short":
            return answers[:-1]
        if self.how == "swapped":
            return answers[::-1]
        if self.how == "not-a-snapshot":
            return [a.view if a is not None else None for a in answers]  # type: ignore[misc]
        if self.how == "bad-smki":
            return [replace(a, smki=[{"serial": "1"}]) if a is not None else None for a in answers]  # type: ignore[list-item]
        if self.how == "absent":  # well formed, but not what device_view answers
            return [None, *answers[1:]]
        return answers


@pytest.mark.parametrize("how", ["short", "swapped", "not-a-snapshot", "bad-smki"])
def test_a_batch_of_the_wrong_shape_is_a_contract_error(how: str) -> None:
    harness = Harness()
    driver = _Lying(harness.dcc)
    driver.how = how
    with pytest.raises(DriverContractError, match="driver in-process reference DCC"):
        _observe(harness, driver, [ESME, GSME])


def test_a_device_view_of_the_wrong_type_is_still_a_contract_error() -> None:
    harness = Harness()

    class Dicts(NoDriver):
        name = "dicts"
        capabilities = frozenset({"device-view"})

        def device_view(self, eui: str) -> DeviceView:
            return harness.dcc.device_view(eui)  # type: ignore[return-value]

    with pytest.raises(DriverContractError, match=r"device_view\(.*\) gave a dict"):
        _observe(harness, Dicts(), [ESME])


def test_the_contract_check_compares_the_batch_with_the_one_device_calls() -> None:
    harness = Harness()
    honest = check_driver(InProcessDriver(harness.dcc), [ESME, CHF])
    (finding,) = [f for f in honest if f.what.startswith("device_views(")]
    assert finding.ok and UNKNOWN_DEVICE in finding.what
    lying = _Lying(harness.dcc)
    lying.how = "absent"
    (finding,) = [f for f in check_driver(lying, [ESME, CHF]) if f.what.startswith("device_views(")]
    assert not finding.ok and f"differs for {ESME}" in finding.what
    lying.how = "short"
    (finding,) = [f for f in check_driver(lying, [ESME]) if f.what.startswith("device_views(")]
    assert not finding.ok and "DriverContractError" in finding.what
    assert not [f for f in check_driver(_OneByOne(InProcessDriver(harness.dcc)), [ESME]) if "device_views" in f.what]


def test_smki_entries_of_the_wrong_shape_device_by_device_are_a_contract_error() -> None:
    """Read device by device, SMKI entries that are not a list of SmkiEntry (a generator, dicts) are a
    DriverContractError, as they are in a batch: the contract says list[SmkiEntry]."""
    harness = Harness()

    class Generating(_OneByOne):
        def smki(self, subject: str) -> list[SmkiEntry]:
            return (entry for entry in self.inner.smki(subject))  # type: ignore[return-value]

    class Dicts(_OneByOne):
        def smki(self, subject: str) -> list[SmkiEntry]:
            return [{"serial": e.serial} for e in self.inner.smki(subject)]  # type: ignore[misc]

    for wrong in (Generating, Dicts):
        with pytest.raises(DriverContractError, match="the SMKI entries of"):
            _observe(harness, wrong(InProcessDriver(harness.dcc)), [ESME])

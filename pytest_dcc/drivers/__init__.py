"""Drivers: everything a scenario needs beyond DUIS (arranging state, the hand-held terminal, device faults).

:class:`Driver` is the contract. Implementations: :class:`~pytest_dcc.drivers.reference_control.InProcessDriver` (the
reference DCC in process), :class:`~pytest_dcc.drivers.control_over_http.TestControlDriver` (``pytest-dcc serve
--test-control``), :class:`~pytest_dcc.drivers.duis.DuisDriver` (arrangement over SR 8.2, 8.4 and 12.2 for an
endpoint with nothing else), and whatever a vendor returns from the ``pytest_dcc_driver`` hook. A capability a driver
lacks raises :class:`~pytest_dcc.errors.NotApplicableError` naming it, which makes the scenario NOT_APPLICABLE.
A driver with "device-view" may also read many devices at once (:class:`BatchedViews`, no capability of its own);
:func:`snapshots` reads through it where offered, else device by device, to the same records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, Protocol, TypeAlias, TypedDict, runtime_checkable

from pytest_dcc.drivers.records import DeviceRecord, DeviceSnapshot, DeviceView, SmiRecord, SmkiEntry
from pytest_dcc.errors import DriverContractError, NotApplicableError


class Capability(StrEnum):
    """One thing a driver may offer beyond DUIS: its value is the name a driver lists in :attr:`Driver.capabilities`
    (a ``str``, so the spellings of the docs and of a statement are the members themselves), ``method`` the
    :class:`Driver` method that provides it, ``use`` what the suite uses it for. The one source of the names, the
    method mapping, :class:`NoDriver`'s refusals, the contract check and the docs table (tested against it)."""

    method: str
    use: str

    def __new__(cls, value: str, method: str, use: str) -> Capability:
        member = str.__new__(cls, value)
        member._value_ = value
        member.method = method
        member.use = use
        return member

    RESET = "reset", "reset", "forget all state between scenarios"
    RESET_LANE = "reset-lane", "reset_lane", "forget one parallel lane's devices and coverage, leaving the rest"
    SEED = "seed", "seed", "load an inventory document (devices, users, coverage)"
    DEVICE_VIEW = "device-view", "device_view", "read the SMI's and the device's view of a device"
    SMKI = "smki", "smki", "search the SMKI repository"
    FAULTS = "faults", "set_fault", "lose-next-response, reject-rejoin"
    RENEW_CERTIFICATES = "renew-certificates", "renew_certificates", "give a device new security certificates"
    EXECUTE_LOCALLY = "execute-locally", "execute_locally", "run a locally delivered command on its device"
    LOCAL_ALERT = "local-alert", "collect_alert", "collect a Device Alert from a device (hand-held terminal)"
    SET_STATUS = "set-status", "set_status", "set a device's status in the inventory (a driver may refuse some)"
    JOINS = "joins", "set_join", "record or forget a join in the SMI and/or on the device, independently"
    ESTATE = "estate", "arrange_estate", "without reset/seed: use the statement's device pool as the estate"


@dataclass(frozen=True, slots=True)
class CapabilityRow:
    """A row of the docs table (docs/drivers.md): the name a driver lists, its method, what the suite uses it for."""

    name: str
    method: str
    what: str


#: The docs table, derived from :class:`Capability` (docs/drivers.md is tested against it).
CAPABILITY_TABLE: Final = tuple(CapabilityRow(c.value, c.method, c.use) for c in Capability)
#: The capabilities, as a driver lists them in :attr:`Driver.capabilities`.
CAPABILITIES: Final = tuple(Capability)
#: What a driver with full test control of a reference DCC offers (it seeds the estate instead of "estate").
FULL_CONTROL: Final = frozenset(Capability) - {Capability.ESTATE}


class LaneScope(TypedDict):
    """What a lane reset forgets (capability "reset-lane"): the lane's devices (EUI-64s) and the coverage of its
    UPRN range (``[low, high]``, both included)."""

    devices: list[str]
    uprns: list[int]


#: An inventory document (capability "seed"), as docs/inventory-format.md describes it: ``version``, ``users``,
#: ``devices``, ``coverage``; the reference DCC checks it entry by entry as it loads it.
InventoryDocument: TypeAlias = Mapping[str, Any]


@runtime_checkable
class Driver(Protocol):
    """What the suite can ask of a target besides DUIS."""

    name: str

    @property
    def capabilities(self) -> frozenset[str]:
        """What it offers: :class:`Capability` members (a name spelled as a string is the same member)."""

    def reset(self) -> None:
        """Forget all state."""

    def reset_lane(self, scope: LaneScope) -> None:
        """Capability "reset-lane": forget ``scope``'s devices (``"devices"``: EUIs) and the coverage of its UPRN
        range (``"uprns"``: [low, high]), nothing else: other workers' lanes go on meanwhile."""

    def seed(self, document: InventoryDocument) -> None:
        """Load an inventory document (docs/inventory-format.md)."""

    def device_view(self, eui: str) -> DeviceView:
        """Capability "device-view": what the SMI records of the device and what the device itself holds
        (:class:`~pytest_dcc.drivers.records.DeviceView`). A device the driver does not know: ``LookupError``."""

    def set_fault(self, eui: str, fault: str, times: int = 1) -> None:
        """Arm a device fault."""

    def renew_certificates(self, eui: str) -> dict[str, str]:
        """New device security certificates; usage -> serial."""

    def execute_locally(self, request_id: str) -> bytes:
        """The device's GBCS response to a command delivered locally."""

    def collect_alert(self, eui: str) -> bytes:
        """Capability "local-alert": a GBCS Device Alert (CRA flag 03) the device raises, as an engineer's hand-held
        terminal collects it. A device the driver does not know: ``LookupError``."""

    def smki(self, subject: str) -> list[SmkiEntry]:
        """Capability "smki": the SMKI repository's entries for the device's certificates."""

    def set_status(self, eui: str, status: str) -> None:
        """Capability "set-status": bring a device to ``status`` in the inventory; NotApplicableError where the
        driver cannot reach that status."""

    def set_join(self, eui: str, other: str, *, smi: bool, device: bool, remove: bool = False) -> None:
        """Capability "joins": record (``remove``: forget) the join of ``other`` to ``eui`` in the SMI (``smi``)
        and/or on the device itself (``device``)."""

    def arrange_estate(self, devices: Mapping[str, str]) -> None:
        """Capability "estate", for a driver without "reset" and "seed": make the declared devices (type -> EUI)
        usable as the estate."""


@runtime_checkable
class BatchedViews(Protocol):
    """The optional batched form of capability "device-view" (with "smki"): no capability of its own. A driver that
    can read many devices in one go offers ``device_views``; the suite reads one that does not device by device
    (``device_view``, ``smki``), with the same observations (:func:`snapshots`)."""

    def device_views(self, euis: Sequence[str], *, smki: bool) -> list[DeviceSnapshot | None]:
        """Every device of ``euis``, in that order: its :class:`DeviceSnapshot` (with ``smki``: its SMKI entries as
        ``smki(eui)`` answers them), or ``None`` for a device ``device_view`` refuses with ``LookupError``. Exactly
        what the one-device calls answer, read at once."""


def snapshots(driver: Driver, euis: Sequence[str], *, smki: bool) -> list[DeviceSnapshot | None]:
    """Each device of ``euis`` read through ``driver`` (capability "device-view"; with ``smki`` "smki" too): in one
    call of :class:`BatchedViews` where the driver offers it, else device by device. A device the driver does not
    know (``LookupError``, or NOT_APPLICABLE) is ``None``; an answer of the wrong shape a
    :class:`DriverContractError`."""
    if not isinstance(driver, BatchedViews):
        return one_by_one(driver, euis, smki=smki)
    answers = driver.device_views(list(euis), smki=smki)
    if not isinstance(answers, list) or len(answers) != len(euis):
        raise DriverContractError(f"driver {driver.name}: device_views of {len(euis)} devices gave {answers!r:.200}")
    for eui, answer in zip(euis, answers, strict=True):
        if answer is None:
            continue
        ok = isinstance(answer, DeviceSnapshot) and isinstance(answer.view, DeviceView)
        if not ok or _digits(answer.view.smi.eui) != _digits(eui):
            raise DriverContractError(f"driver {driver.name}: device_views gave {answer!r:.200} for {eui}")
        if smki:
            _check_entries(driver, eui, answer.smki)
    return answers


def _digits(eui: str) -> str:
    return eui.replace("-", "").upper()


def _check_entries(driver: Driver, eui: str, entries: object) -> list[SmkiEntry]:
    if not isinstance(entries, list | tuple) or not all(isinstance(e, SmkiEntry) for e in entries):
        raise DriverContractError(f"driver {driver.name}: the SMKI entries of {eui} are {entries!r:.200}")
    return list(entries)


def one_by_one(driver: Driver, euis: Sequence[str], *, smki: bool) -> list[DeviceSnapshot | None]:
    """What :meth:`BatchedViews.device_views` answers, read device by device (``device_view``, ``smki``)."""
    return [_one_snapshot(driver, eui, smki) for eui in euis]


def _one_snapshot(driver: Driver, eui: str, smki: bool) -> DeviceSnapshot | None:
    try:
        view = driver.device_view(eui)
    except (LookupError, NotApplicableError):  # the contract: an unknown device is a LookupError
        return None
    if not isinstance(view, DeviceView):
        raise DriverContractError(f"driver {driver.name}: device_view({eui}) gave a {type(view).__name__}")
    if not smki:
        return DeviceSnapshot(view)
    return DeviceSnapshot(view, _check_entries(driver, eui, driver.smki(eui)))


def require(driver: Driver, capability: str, why: str) -> None:
    """Raise :class:`NotApplicableError` unless ``driver`` has ``capability``."""
    if capability not in driver.capabilities:
        raise NotApplicableError(
            f"{why} needs the '{capability}' capability, which driver {driver.name} lacks", capability=capability
        )


class NoDriver:
    """The driver of a target that offers nothing beyond DUIS: every capability is missing. A convenience, not the
    contract (:class:`Driver` is): a driver may derive from it so a capability it does not implement is missing in
    the same way; one that does not is refused the same way for a method it lacks (:class:`RecordingDriver`)."""

    name = "none"
    capabilities: frozenset[str] = frozenset()  # Capability members (or their names)
    #: Whether what the driver does goes over DUIS itself (a run with such a driver judges over DUIS alone); a
    #: vendor's driver or test control works beside DUIS.
    over_duis: bool = False

    def _missing(self, capability: Capability) -> NotApplicableError:
        return NotApplicableError(
            f"the target offers no '{capability}' (give a --dcc-endpoint served with --test-control, "
            "or implement the pytest_dcc_driver hook)",
            capability=capability,
        )

    def reset(self) -> None:
        raise self._missing(Capability.RESET)

    def reset_lane(self, scope: LaneScope) -> None:
        raise self._missing(Capability.RESET_LANE)

    def seed(self, document: InventoryDocument) -> None:
        raise self._missing(Capability.SEED)

    def device_view(self, eui: str) -> DeviceView:
        raise self._missing(Capability.DEVICE_VIEW)

    def set_fault(self, eui: str, fault: str, times: int = 1) -> None:
        raise self._missing(Capability.FAULTS)

    def renew_certificates(self, eui: str) -> dict[str, str]:
        raise self._missing(Capability.RENEW_CERTIFICATES)

    def execute_locally(self, request_id: str) -> bytes:
        raise self._missing(Capability.EXECUTE_LOCALLY)

    def collect_alert(self, eui: str) -> bytes:
        raise self._missing(Capability.LOCAL_ALERT)

    def smki(self, subject: str) -> list[SmkiEntry]:
        raise self._missing(Capability.SMKI)

    def arrange_estate(self, devices: Mapping[str, str]) -> None:
        raise self._missing(Capability.ESTATE)

    def set_status(self, eui: str, status: str) -> None:
        raise self._missing(Capability.SET_STATUS)

    def set_join(self, eui: str, other: str, *, smi: bool, device: bool, remove: bool = False) -> None:
        raise self._missing(Capability.JOINS)


#: The capability each driver method stands for (what a scenario used, for the clause matrix).
METHOD_CAPABILITIES: Final = MappingProxyType({c.method: c for c in Capability})


#: The capabilities that only read: a call of any other may change the endpoint's state.
DRIVER_READS: Final = frozenset({Capability.DEVICE_VIEW, Capability.SMKI})


class RecordingDriver:
    """``driver`` as one scenario sees it: every call is passed on and its capability recorded in ``used`` (unless
    the driver works over DUIS, which is no capability beyond DUIS). ``changed`` is told after every call that may
    change the endpoint's state by the driver's own means (any capability but the reads :data:`DRIVER_READS`; a
    driver over DUIS sends its requests through the run's DUIS client, which knows), so no SR 8.2 read from before
    it is taken for the state after it."""

    def __init__(self, driver: Driver, used: set[str], changed: Callable[[], None] | None = None) -> None:
        self.inner = driver
        self.used = used
        self.name = driver.name
        self.capabilities = driver.capabilities
        self.over_duis = bool(getattr(driver, "over_duis", False))
        self.changed = changed

    def __getattr__(self, attribute: str) -> Any:
        capability = METHOD_CAPABILITIES.get(attribute)
        if capability is None:
            return getattr(self.inner, attribute)
        value = getattr(self.inner, attribute, None)
        if not callable(value):  # a driver need not derive from NoDriver: a method it lacks is refused as NoDriver's
            return getattr(NoDriver(), attribute)

        def call(*args: Any, **kwargs: Any) -> Any:
            if not self.over_duis:  # a lane's reset is the reset of what the scenario owns: reported alike whatever -n
                self.used.add("reset" if capability == "reset-lane" else capability)
            try:
                return value(*args, **kwargs)
            finally:
                if self.changed is not None and not self.over_duis and capability not in DRIVER_READS:
                    self.changed()

        return call

    def __repr__(self) -> str:
        return f"RecordingDriver({self.name})"


def unrecorded(driver: Driver) -> Driver:
    """The driver behind a :class:`RecordingDriver` (itself otherwise): for reading state to observe or to decide,
    which is no capability a scenario used."""
    return driver.inner if isinstance(driver, RecordingDriver) else driver


__all__ = [
    "BatchedViews",
    "CAPABILITIES",
    "CAPABILITY_TABLE",
    "Capability",
    "DRIVER_READS",
    "CapabilityRow",
    "FULL_CONTROL",
    "InventoryDocument",
    "LaneScope",
    "METHOD_CAPABILITIES",
    "DeviceRecord",
    "DeviceSnapshot",
    "DeviceView",
    "Driver",
    "DriverContractError",
    "NoDriver",
    "RecordingDriver",
    "SmiRecord",
    "SmkiEntry",
    "one_by_one",
    "require",
    "snapshots",
    "unrecorded",
]

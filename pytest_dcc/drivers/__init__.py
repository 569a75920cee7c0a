"""Drivers: everything a scenario needs beyond DUIS (arranging state, the hand-held terminal, device faults).

:class:`Driver` is the contract. Implementations: :class:`~pytest_dcc.drivers.inprocess.InProcessDriver` (the
reference DCC in process), :class:`~pytest_dcc.drivers.http.TestControlDriver` (``pytest-dcc serve
--test-control``), :class:`~pytest_dcc.drivers.duis.DuisDriver` (arrangement over SR 8.2, 8.4 and 12.2 for an
endpoint with nothing else), and whatever a vendor returns from the ``pytest_dcc_driver`` hook. A capability a driver
lacks raises :class:`~pytest_dcc.errors.NotApplicableError` naming it, which makes the scenario NOT_APPLICABLE.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Protocol, runtime_checkable

from pytest_dcc.drivers.records import DeviceRecord, DeviceView, SmiRecord, SmkiEntry
from pytest_dcc.errors import DriverContractError, NotApplicableError


@dataclass(frozen=True, slots=True)
class Capability:
    """One thing a driver may offer beyond DUIS: the name a driver lists in :attr:`Driver.capabilities`, the
    :class:`Driver` method that provides it, and what the suite uses it for."""

    name: str
    method: str
    what: str


#: The capabilities, in one place: the names, the method mapping, the contract check and the docs table
#: (docs/drivers.md, tested against it) all come from here.
CAPABILITY_TABLE: Final = (
    Capability("reset", "reset", "forget all state between scenarios"),
    Capability("reset-lane", "reset_lane", "forget one parallel lane's devices and coverage, leaving the rest"),
    Capability("seed", "seed", "load an inventory document (devices, users, coverage)"),
    Capability("device-view", "device_view", "read the SMI's and the device's view of a device"),
    Capability("smki", "smki", "search the SMKI repository"),
    Capability("faults", "set_fault", "lose-next-response, reject-rejoin"),
    Capability("renew-certificates", "renew_certificates", "give a device new security certificates"),
    Capability("execute-locally", "execute_locally", "run a locally delivered command on its device"),
    Capability("local-alert", "collect_alert", "collect a Device Alert from a device (hand-held terminal)"),
    Capability("set-status", "set_status", "set a device's status in the inventory (a driver may refuse some)"),
    Capability("joins", "set_join", "record or forget a join in the SMI and/or on the device, independently"),
    Capability("estate", "arrange_estate", "without reset/seed: use the statement's device pool as the estate"),
)
#: Capability names, as a driver lists them in :attr:`Driver.capabilities`.
CAPABILITIES: Final = tuple(c.name for c in CAPABILITY_TABLE)
#: What a driver with full test control of a reference DCC offers (it seeds the estate instead of "estate").
FULL_CONTROL = frozenset(CAPABILITIES) - {"estate"}


@runtime_checkable
class Driver(Protocol):
    """What the suite can ask of a target besides DUIS."""

    name: str
    capabilities: frozenset[str]

    def reset(self) -> None:
        """Forget all state."""

    def reset_lane(self, scope: Mapping[str, Any]) -> None:
        """Capability "reset-lane": forget ``scope``'s devices (``"devices"``: EUIs) and the coverage of its UPRN
        range (``"uprns"``: [low, high]), nothing else: other workers' lanes go on meanwhile."""

    def seed(self, document: Mapping[str, Any]) -> None:
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


def require(driver: Driver, capability: str, why: str) -> None:
    """Raise :class:`NotApplicableError` unless ``driver`` has ``capability``."""
    if capability not in driver.capabilities:
        raise NotApplicableError(
            f"{why} needs the '{capability}' capability, which driver {driver.name} lacks", capability=capability
        )


class NoDriver:
    """The driver of a target that offers nothing beyond DUIS: every capability is missing. Other drivers derive
    from it so a capability they do not implement is missing in the same way."""

    name = "none"
    capabilities: frozenset[str] = frozenset()
    #: Whether what the driver does goes over DUIS itself (a run with such a driver judges over DUIS alone); a
    #: vendor's driver or test control works beside DUIS.
    over_duis: bool = False

    def _missing(self, capability: str) -> NotApplicableError:
        return NotApplicableError(
            f"the target offers no '{capability}' (give a --dcc-endpoint served with --test-control, "
            "or implement the pytest_dcc_driver hook)",
            capability=capability,
        )

    def reset(self) -> None:
        raise self._missing("reset")

    def reset_lane(self, scope: Mapping[str, Any]) -> None:
        raise self._missing("reset-lane")

    def seed(self, document: Mapping[str, Any]) -> None:
        raise self._missing("seed")

    def device_view(self, eui: str) -> DeviceView:
        raise self._missing("device-view")

    def set_fault(self, eui: str, fault: str, times: int = 1) -> None:
        raise self._missing("faults")

    def renew_certificates(self, eui: str) -> dict[str, str]:
        raise self._missing("renew-certificates")

    def execute_locally(self, request_id: str) -> bytes:
        raise self._missing("execute-locally")

    def collect_alert(self, eui: str) -> bytes:
        raise self._missing("local-alert")

    def smki(self, subject: str) -> list[SmkiEntry]:
        raise self._missing("smki")

    def arrange_estate(self, devices: Mapping[str, str]) -> None:
        raise self._missing("estate")

    def set_status(self, eui: str, status: str) -> None:
        raise self._missing("set-status")

    def set_join(self, eui: str, other: str, *, smi: bool, device: bool, remove: bool = False) -> None:
        raise self._missing("joins")


#: The capability each driver method stands for (what a scenario used, for the clause matrix).
METHOD_CAPABILITIES: Final = MappingProxyType({c.method: c.name for c in CAPABILITY_TABLE})


class RecordingDriver:
    """``driver`` as one scenario sees it: every call is passed on and its capability recorded in ``used`` (unless
    the driver works over DUIS, which is no capability beyond DUIS)."""

    def __init__(self, driver: Driver, used: set[str]) -> None:
        self.inner = driver
        self.used = used
        self.name = driver.name
        self.capabilities = driver.capabilities
        self.over_duis = bool(getattr(driver, "over_duis", False))

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(self.inner, attribute)
        capability = METHOD_CAPABILITIES.get(attribute)
        if capability is None or not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            if not self.over_duis:  # a lane's reset is the reset of what the scenario owns: reported alike whatever -n
                self.used.add("reset" if capability == "reset-lane" else capability)
            return value(*args, **kwargs)

        return call

    def __repr__(self) -> str:
        return f"RecordingDriver({self.name})"


def unrecorded(driver: Driver) -> Driver:
    """The driver behind a :class:`RecordingDriver` (itself otherwise): for reading state to observe or to decide,
    which is no capability a scenario used."""
    return driver.inner if isinstance(driver, RecordingDriver) else driver


__all__ = [
    "CAPABILITIES",
    "CAPABILITY_TABLE",
    "Capability",
    "FULL_CONTROL",
    "METHOD_CAPABILITIES",
    "DeviceRecord",
    "DeviceView",
    "Driver",
    "DriverContractError",
    "NoDriver",
    "RecordingDriver",
    "SmiRecord",
    "SmkiEntry",
    "require",
    "unrecorded",
]

"""Arrangement over DUIS alone, for an endpoint that offers no test control and no vendor driver.

What DUIS lets a User arrange, this driver arranges, and nothing more:

* the estate is the device pool the implementation statement declares (the IXIT); each device is looked up with
  SR 8.2 Read Inventory, and one missing from the Smart Metering Inventory is added with SR 12.2 Device
  Pre-notification (so it starts Pending, with its GPF when it is a CHF);
* a device status is set with SR 8.4 Update Inventory, within what the schema allows a User to set:
  ``UpdateDeviceStatusExceptCH`` takes Pending or InstalledNotCommissioned, ``UpdateDeviceStatusCH`` (CHFs) takes
  Commissioned, Withdrawn or InstalledNotCommissioned. A status outside that (a Pending CHF that is no longer
  Pending, a Suspended meter, ...) cannot be arranged and the scenario is NOT_APPLICABLE, saying why;
* everything else (seeding coverage, joins, faults, the hand-held terminal, the SMKI repository, the device's own
  view) is missing, and the scenarios that need it are NOT_APPLICABLE.

An endpoint that refuses an arrangement request is within its rights (the arrangement is not the clause under
test), so a refusal also makes the scenario NOT_APPLICABLE, naming the code. A statement whose device pool does
not match the endpoint (a declared ESME that the inventory lists as a GSME) is a harness error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from pytest_dcc.drivers import NoDriver
from pytest_dcc.duis.ids import normalise_eui
from pytest_dcc.duis.responses import InventoryDevice
from pytest_dcc.errors import ArrangementError, NotApplicableError
from pytest_dcc.transport import Exchange

#: ``send(srv, **values)``: build, sign and send a non-device request as the run's user; the judged exchange.
Sender = Callable[..., Exchange]

#: The statuses SR 8.4 lets a User set (DUIS XSD UpdateDeviceStatusExceptCH / UpdateDeviceStatusCH).
SETTABLE_EXCEPT_CH: Final = frozenset({"Pending", "InstalledNotCommissioned"})
SETTABLE_CH: Final = frozenset({"Commissioned", "Withdrawn", "InstalledNotCommissioned"})
#: SR 8.2 codes that mean "no such device" (DUIS XSD response codes of 8.2).
_NOT_FOUND: Final = frozenset({"E080201", "E080202"})
_ACCEPTED: Final = frozenset({"I0", "I99"})


class DuisDriver(NoDriver):
    """Arranges what SR 8.2, 8.4 and 12.2 can arrange; every other capability is missing (NOT_APPLICABLE)."""

    name = "arrangement over DUIS (SR 8.2, 8.4, 12.2)"
    capabilities: frozenset[str] = frozenset({"estate", "set-status"})
    over_duis = True

    def __init__(self, send: Sender, *, prenotify: bool = True) -> None:
        self._send = send
        #: Whether a pool device missing from the inventory is pre-notified (a declared pool) or the scenario is
        #: NOT_APPLICABLE (the pool assumed without a statement: the suite adds nothing to an estate it guessed).
        self.prenotify = prenotify
        self.exchanges: list[Exchange] = []  # every arrangement request, for the report
        self._types: dict[str, str] = {}  # EUI -> device type, as declared and confirmed

    def _missing(self, capability: str) -> NotApplicableError:
        return NotApplicableError(
            f"'{capability}' cannot be arranged over DUIS (SR 8.2, 8.4 and 12.2 are all a User has); give a "
            "--dcc-endpoint served with --test-control, or implement the pytest_dcc_driver hook",
            capability=capability,
        )

    def _call(self, srv: str, **values: Any) -> Exchange:
        exchange = self._send(srv, **values)
        self.exchanges.append(exchange)
        return exchange

    # -- reading ---------------------------------------------------------------------------------------------------

    def read(self, eui: str) -> InventoryDevice | None:
        """The SMI entry of ``eui`` over SR 8.2, or ``None`` when the endpoint does not know the device."""
        eui = normalise_eui(eui)
        answer = self._call("8.2", device_id=eui)
        if answer.code in _NOT_FOUND:
            return None
        if answer.code not in _ACCEPTED:
            raise NotApplicableError(f"the endpoint refused SR 8.2 Read Inventory of {eui} with {answer.code}")
        found = [d for d in answer.judged.response.inventory if normalise_eui(d.device_id) == eui]
        return found[0] if found else None

    # -- the estate ------------------------------------------------------------------------------------------------

    def arrange_estate(self, devices: Mapping[str, str]) -> None:
        """Make sure every device of the pool (name -> EUI; the name is the device type) is in the inventory, with
        the declared type: pre-notify (12.2) the missing ones, CHFs first so their GPF comes with them."""
        order = sorted(devices.items(), key=lambda item: item[0] != "CHF")
        gpf = devices.get("GPF")
        for kind, eui in order:
            eui = normalise_eui(eui)
            entry = self.read(eui)
            if entry is None and not self.prenotify:
                raise NotApplicableError(
                    f"{kind} {eui} is not in the endpoint's inventory: without an implementation statement the suite "
                    "assumes the estate `pytest-dcc serve` holds by default (DCC Boxed's users, the DUIS templates' "
                    "devices); declare the endpoint's own device pool with --dcc-statement"
                )
            if entry is None:
                self._prenotify(eui, kind, gpf if kind == "CHF" else None)
                entry = self.read(eui)
                if entry is None:
                    raise ArrangementError(f"SR 12.2 pre-notified {kind} {eui}, but SR 8.2 does not find it")
            if entry.device_type is not None and entry.device_type != kind:
                raise ArrangementError(
                    f"the statement declares {eui} a {kind}; the endpoint's inventory lists it as a {entry.device_type}"
                )
            self._types[eui] = kind

    def _prenotify(self, eui: str, kind: str, gpf: str | None) -> None:
        values: dict[str, Any] = {"device_id": eui, "device_type": kind}
        if gpf is not None:
            values["associated_gpf_device_id"] = normalise_eui(gpf)
        answer = self._call("12.2", **values)
        if answer.code not in _ACCEPTED:
            raise NotApplicableError(
                f"{kind} {eui} is not in the endpoint's inventory and SR 12.2 Device Pre-notification of it was "
                f"refused with {answer.code}"
            )

    # -- statuses --------------------------------------------------------------------------------------------------

    def set_status(self, eui: str, status: str) -> None:
        """Bring ``eui`` to ``status`` with SR 8.4 when DUIS allows it; confirm it with SR 8.2."""
        eui = normalise_eui(eui)
        entry = self.read(eui)
        if entry is None:
            raise NotApplicableError(f"{eui} is not in the endpoint's inventory; its status cannot be set")
        if entry.status == status:
            return
        kind = entry.device_type or self._types.get(eui, "")
        hub = kind == "CHF"
        settable = SETTABLE_CH if hub else SETTABLE_EXCEPT_CH
        if status not in settable:
            element = "UpdateDeviceStatusCH" if hub else "UpdateDeviceStatusExceptCH"
            raise NotApplicableError(
                f"the {kind or 'device'} {eui} is {entry.status or 'without a status'}; DUIS SR 8.4 {element} can "
                f"only set {', '.join(sorted(settable))}, so '{status}' needs a driver with the 'set-status' "
                "capability beyond DUIS (or, for a Pending hub, spare devices in the statement)",
                capability="set-status",
            )
        answer = self._call("8.4", device_id=eui, status=status, communications_hub=hub)
        if answer.code not in _ACCEPTED:
            raise NotApplicableError(
                f"the endpoint refused SR 8.4 setting {eui} from {entry.status} to {status} with {answer.code}"
            )
        after = self.read(eui)
        if after is None or after.status != status:
            raise ArrangementError(
                f"SR 8.4 set {eui} to {status} ({answer.code}), but SR 8.2 reads it back as "
                f"{after.status if after else 'absent'}"
            )


__all__ = ["SETTABLE_CH", "SETTABLE_EXCEPT_CH", "DuisDriver", "Sender"]

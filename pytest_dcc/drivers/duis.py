"""Arrangement over DUIS alone, for an endpoint that offers no test control and no vendor driver.

What DUIS lets a User arrange, this driver arranges, and nothing more:

* the estate is the device pool the implementation statement declares (the IXIT); each device is looked up with
  SR 8.2 Read Inventory, and one missing from the Smart Metering Inventory is added with SR 12.2 Device
  Pre-notification (so it starts Pending, with its GPF when it is a CHF);
* a device status is set with SR 8.4 Update Inventory, within what the schema allows a User to set:
  ``UpdateDeviceStatusExceptCH`` takes Pending or InstalledNotCommissioned, ``UpdateDeviceStatusCH`` (CHFs) takes
  Commissioned, Withdrawn or InstalledNotCommissioned. A status outside that (a Pending CHF that is no longer
  Pending, a Suspended meter, ...) cannot be arranged and the scenario is NOT_APPLICABLE, saying why;
* a hub in a status the estate's hub cannot be brought to and back (a Pending CHF; a Pending GPF where the estate's
  GPF is Commissioned, which 8.4 cannot set again) is drawn from the statement's spare devices
  (:meth:`DuisDriver.draw_hub`): a spare hub an earlier scenario or run left in the SMI when 8.4 can bring it there,
  else a fresh one pre-notified with SR 12.2; one still Pending afterwards is deleted again with SR 8.4
  (:meth:`DuisDriver.return_hub`), so it stays fresh;
* everything else (seeding coverage, joins, faults, the hand-held terminal, the SMKI repository, the device's own
  view) is missing, and the scenarios that need it are NOT_APPLICABLE.

Each device is read once while nothing that may change it was sent (``DuisClient.recall``): a status set reads the
device, sends SR 8.4 and reads it back, and a later step (or the restore after the scenario) finds that read; the
pool is looked up once per run.

An endpoint that refuses an arrangement request is within its rights (the arrangement is not the clause under
test), so a refusal also makes the scenario NOT_APPLICABLE, naming the code. A statement whose device pool does
not match the endpoint (a declared ESME that the inventory lists as a GSME) is a harness error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pytest_dcc.drivers import NoDriver
from pytest_dcc.duis.ids import normalise_eui
from pytest_dcc.duis.responses import InventoryDevice
from pytest_dcc.errors import ArrangementError, NotApplicableError
from pytest_dcc.transport import Exchange
from pytest_dcc.transport.client import DuisClient, Purpose

#: The statuses SR 8.4 lets a User set (DUIS XSD UpdateDeviceStatusExceptCH / UpdateDeviceStatusCH).
SETTABLE_EXCEPT_CH: Final = frozenset({"Pending", "InstalledNotCommissioned"})
SETTABLE_CH: Final = frozenset({"Commissioned", "Withdrawn", "InstalledNotCommissioned"})
#: SR 8.2 codes that mean "no such device" (DUIS XSD response codes of 8.2).
_NOT_FOUND: Final = frozenset({"E080201", "E080202"})
_ACCEPTED: Final = frozenset({"I0", "I99"})
#: The statuses of a hub SR 12.2 has just pre-notified.
_FRESH: Final = {"CHF": "Pending", "GPF": "Pending"}


def settable(kind: str, status: str) -> bool:
    """Whether SR 8.4 lets a User set ``status`` on a device of type ``kind``."""
    return status in (SETTABLE_CH if kind == "CHF" else SETTABLE_EXCEPT_CH)


def hub_pairs(spares: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The spare hubs of a statement's spare devices ((EUI, type)): the n-th spare CHF with the n-th spare GPF."""
    chfs = [normalise_eui(eui) for eui, kind in spares if kind == "CHF"]
    gpfs = [normalise_eui(eui) for eui, kind in spares if kind == "GPF"]
    return list(zip(chfs, gpfs, strict=False))


@dataclass(frozen=True, slots=True)
class SpareHub:
    """A spare CHF and its GPF drawn for one scenario; ``fresh`` when this draw pre-notified them."""

    chf: str
    gpf: str
    fresh: bool
    statuses: Mapping[str, str | None]  # "CHF"/"GPF" -> the status SR 8.2 read when it was drawn

    def device(self, name: str) -> str:
        return self.chf if name == "CHF" else self.gpf


class DuisDriver(NoDriver):
    """Arranges what SR 8.2, 8.4 and 12.2 can arrange; every other capability is missing (NOT_APPLICABLE)."""

    name = "arrangement over DUIS (SR 8.2, 8.4, 12.2)"
    capabilities: frozenset[str] = frozenset({"estate", "set-status"})
    over_duis = True

    def __init__(self, client: DuisClient, user: str, *, prenotify: bool = True) -> None:
        self.client = client  # the run's DUIS client
        self.user = normalise_eui(user)  # who arranges: the run's user
        #: Whether a pool device missing from the inventory is pre-notified (a declared pool) or the scenario is
        #: NOT_APPLICABLE (the pool assumed without a statement: the suite adds nothing to an estate it guessed).
        self.prenotify = prenotify
        self.exchanges: list[Exchange] = []  # every arrangement request, for the report
        self._types: dict[str, str] = {}  # EUI -> device type, as declared and confirmed (once per run)
        #: Spare hub (CHF, GPF) -> (requests that named either, what SR 8.2 read of both): the statement's spares
        #: are the suite's own, so what was read of one holds, from scenario to scenario, until a request names it.
        self._spares: dict[tuple[str, str], tuple[int, tuple[InventoryDevice | None, ...]]] = {}

    def _missing(self, capability: str) -> NotApplicableError:
        return NotApplicableError(
            f"'{capability}' cannot be arranged over DUIS (SR 8.2, 8.4 and 12.2 are all a User has); give a "
            "--dcc-endpoint served with --test-control, or implement the pytest_dcc_driver hook",
            capability=capability,
        )

    def _call(self, srv: str, **values: Any) -> Exchange:
        exchange = self.client.request(srv, user=self.user, purpose=Purpose.ARRANGEMENT, **values)
        self.exchanges.append(exchange)
        return exchange

    # -- reading ---------------------------------------------------------------------------------------------------

    def read(self, eui: str) -> InventoryDevice | None:
        """The SMI entry of ``eui`` over SR 8.2, or ``None`` when the endpoint does not know the device."""
        eui = normalise_eui(eui)
        answer = self.client.recall(self.user, eui) or self._call("8.2", device_id=eui)
        if answer.code in _NOT_FOUND:
            found: list[InventoryDevice] = []
        elif answer.code not in _ACCEPTED:
            raise NotApplicableError(f"the endpoint refused SR 8.2 Read Inventory of {eui} with {answer.code}")
        else:
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
            if self._types.get(eui) == kind:  # looked up by an earlier scenario of the run
                continue
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
        if not settable(kind, status):
            raise NotApplicableError(
                f"the {kind or 'device'} {eui} is {entry.status or 'no status'}; {self.unsettable(kind, status)}",
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

    def unsettable(self, kind: str, status: str) -> str | None:
        """Why this driver cannot set ``status`` on a device of type ``kind`` (SR 8.4 does not let a User), or None
        when it can."""
        if settable(kind, status):
            return None
        element, can = (
            ("UpdateDeviceStatusCH", SETTABLE_CH)
            if kind == "CHF"
            else ("UpdateDeviceStatusExceptCH", SETTABLE_EXCEPT_CH)
        )
        return (
            f"DUIS SR 8.4 {element} can only set {', '.join(sorted(can))}, so '{status}' needs a driver with the "
            "'set-status' capability beyond DUIS (or, for a hub, spare devices in the statement 8.4 can bring there)"
        )

    # -- spare hubs ------------------------------------------------------------------------------------------------

    def draw_hub(self, spares: Sequence[tuple[str, str]], wanted: Mapping[str, str]) -> SpareHub | None:
        """A spare hub of ``spares`` (the statement's spare devices) that SR 8.4 can bring to ``wanted`` ("CHF" or
        "GPF" -> status): one an earlier scenario or run left in the SMI, else a fresh one (neither device in the
        SMI), pre-notified with SR 12.2. None when none fits, and then nothing but SR 8.2 was sent."""
        fresh: tuple[str, str] | None = None
        for chf, gpf in hub_pairs(spares):
            found = self._read_spare(chf, gpf)
            if found == (None, None):
                fresh = fresh or (chf, gpf)
                continue
            if found[0] is None or found[1] is None or (found[0].device_type, found[1].device_type) != ("CHF", "GPF"):
                continue  # half of a hub, or not a hub: no spare to draw on
            statuses = {"CHF": found[0].status, "GPF": found[1].status}
            if _reaches(statuses, wanted):
                return SpareHub(chf, gpf, fresh=False, statuses=statuses)
        if fresh is None or not _reaches(_FRESH, wanted):
            return None
        self._prenotify(fresh[0], "CHF", fresh[1])
        after = [self.read(eui) for eui in fresh]
        if any(entry is None or entry.status != "Pending" for entry in after):
            raise NotApplicableError(
                f"SR 12.2 pre-notified the spare CHF {fresh[0]} with its GPF {fresh[1]}, but SR 8.2 does not read "
                f"both back Pending ({', '.join(entry.status or '?' if entry else 'absent' for entry in after)})"
            )
        return SpareHub(*fresh, fresh=True, statuses=dict(_FRESH))

    def _read_spare(self, chf: str, gpf: str) -> tuple[InventoryDevice | None, ...]:
        """What SR 8.2 reads of a spare hub (its CHF and GPF): read again only once a request named either."""
        known = self._spares.get((chf, gpf))
        if known is not None and known[0] == _named(self.client, chf, gpf):
            return known[1]
        found = self.read(chf), self.read(gpf)
        self._spares[(chf, gpf)] = (_named(self.client, chf, gpf), found)
        return found

    def return_hub(self, hub: SpareHub) -> bool:
        """Delete ``hub`` again (SR 8.4 DeleteDevice, the GPF first) when both are still Pending, so a fresh spare
        stays fresh for the next scenario or run. False when it has moved on: it stays in the SMI, to be drawn on
        again where 8.4 can bring it to what a scenario needs."""
        entries = list(reversed(self._read_spare(hub.chf, hub.gpf)))
        if any(entry is None or entry.status != "Pending" for entry in entries):
            return False
        return all(self._call("8.4", device_id=eui, delete=True).code in _ACCEPTED for eui in (hub.gpf, hub.chf))


def _named(client: DuisClient, *euis: str) -> int:
    return sum(client.naming[eui.upper()] for eui in euis)


def _reaches(statuses: Mapping[str, str | None], wanted: Mapping[str, str]) -> bool:
    """Whether SR 8.4 can bring devices in ``statuses`` (name -> status) to ``wanted`` (name -> status)."""
    return all(statuses.get(name) == status or settable(name, status) for name, status in wanted.items())


__all__ = ["SETTABLE_CH", "SETTABLE_EXCEPT_CH", "DuisDriver", "SpareHub", "hub_pairs", "settable"]

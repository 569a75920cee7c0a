"""Test control of the reference DCC: what DCC Boxed offers a tester beside DUIS (seed and reset the SMI, set a
device's status, joins or faults, renew its certificates, run a command for local delivery on the device, read
both views of a device). Plain calls in process; :mod:`pytest_dcc.reference.server` serves them over HTTP.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.hazmat.primitives import serialization
from lxml import etree

from pytest_dcc.duis.control_api import MAX_VIEW_DEVICES
from pytest_dcc.duis.ids import Eui, RequestID
from pytest_dcc.duis.pki import self_signed_certificate
from pytest_dcc.errors import NotFoundError
from pytest_dcc.reference.inventory import Device, Inventory
from pytest_dcc.reference.services import devices


class TestControl:
    """The test-control calls; :class:`pytest_dcc.reference.dcc.ReferenceDcc` has them."""

    __test__ = False  # not a pytest test class
    inventory: Inventory
    history: deque[Any]
    on_seed: Callable[[Any], None] | None

    def seed(self, data: Mapping[str, Any]) -> None:
        """Load an inventory document (devices, users, coverage) on top of the current state."""
        with self.inventory.lock:
            self.inventory.seed(data)
            if self.on_seed is not None:
                self.on_seed(self)

    def reset(self) -> None:
        """Forget everything: inventory, device state, counters, queued responses, history."""
        with self.inventory.lock:
            self.inventory.reset()
            self.history.clear()

    def reset_lane(self, scope: Mapping[str, Any]) -> None:
        """Forget one lane's share: ``{"devices": [EUI, ...], "uprns": [low, high]}`` (both optional; the coverage of
        the UPRNs from low to high). Everything else stays: the other lanes' devices, users, counters, the journal.
        :class:`ValueError` naming what is wrong with ``scope``."""
        unknown = set(scope) - {"devices", "uprns"}
        if unknown:
            raise ValueError(f"a lane scope has devices and uprns, not {sorted(unknown)}")
        devices = scope.get("devices") or []
        if not isinstance(devices, list):
            raise ValueError("devices must be a list of EUI-64s")
        euis = [Eui(str(d)) for d in devices]
        uprns = scope.get("uprns")
        bounds = None
        if uprns is not None:
            ok = isinstance(uprns, list) and len(uprns) == 2 and all(type(u) is int for u in uprns)
            if not ok or uprns[0] > uprns[1]:
                raise ValueError(f"uprns must be [low, high] (integers, low <= high), given: {uprns!r}")
            bounds = (uprns[0], uprns[1])
        with self.inventory.lock:
            self.inventory.forget(euis, bounds)

    def execute_locally(self, request_id: str) -> bytes:
        """Carry out a command issued for local delivery on its simulated device (the hand-held terminal path) and
        return the device's GBCS response, as the engineer's terminal receives it."""
        with self.inventory.lock, self.inventory.transaction():
            command = self.inventory.local_command(request_id)
            if command is None:
                raise NotFoundError(f"no command for local delivery was issued for {request_id}")
            device = self.inventory.device(command["target"])
            if device is None:
                raise NotFoundError(f"device {command['target']} is no longer in the inventory")
            result = devices.execute(
                self.inventory, command["srv"], RequestID.parse(request_id), device, etree.fromstring(command["body"])
            )
            self.inventory.mark_local_command(request_id, executed=True)
            return result.message.to_bytes()

    def collect_alert(self, eui: str) -> bytes:
        """The GBCS Device Alert the simulated device ``eui`` raises, as the engineer's hand-held terminal collects
        it (returned through SR 8.13 without an OriginalRequestID); the inventory is not changed."""
        with self.inventory.lock:
            device = self.inventory.device(self._known(eui))
        assert device is not None  # _known refuses a device not in the inventory
        return devices.alert(device, time.time_ns() // 1000).to_bytes()  # the device's counter, microseconds

    def _known(self, eui: str) -> Eui:
        """``eui`` as an :class:`Eui` of a device in the inventory (:class:`NotFoundError` otherwise)."""
        key = Eui(eui)
        if self.inventory.device(key) is None:
            raise NotFoundError(f"device {eui} is not in the inventory")
        return key

    def renew_device_certificates(self, eui: str) -> dict[str, str]:
        """Give a simulated device a new set of security certificates (Digital Signature and Key Agreement) that
        the SMI does not know yet (the 6.24.2 situation); returns usage -> new serial."""
        with self.inventory.lock, self.inventory.transaction():
            key = self._known(eui)
            issued = {}
            for usage in ("Digital Signature", "Key Agreement"):
                serial, der = device_certificate(key, usage)
                self.inventory.set_device_certificate(
                    key, usage, {"serial": serial, "der": der.hex()}, smi=False, device=True
                )
                issued[usage] = serial
            return issued

    def set_status(self, eui: str, status: str) -> None:
        """Set a device's SMI status (test control; any status of the inventory, not only what 8.4 allows)."""
        with self.inventory.lock:
            key = self._known(eui)
            self.inventory.set_status(key, status)

    def set_join(self, eui: str, other: str, *, smi: bool, device: bool, remove: bool = False) -> None:
        """Record (or with ``remove`` forget) the join of ``other`` to ``eui`` in the SMI and/or on the device."""
        with self.inventory.lock:
            key = self._known(eui)
            if remove:
                self.inventory.remove_join(key, Eui(other), smi=smi, device=device)
            else:
                self.inventory.add_join(key, Eui(other), smi=smi, device=device)

    def set_fault(self, eui: str, kind: str, times: int = 1) -> None:
        """Arm a simulated device fault (``lose-next-response``, ``reject-rejoin``) for its next ``times`` uses."""
        with self.inventory.lock:
            key = self._known(eui)
            self.inventory.set_fault(key, kind, times)

    def device_view(self, eui: str) -> dict[str, Any]:
        """Both views of a device: what the SMI records and what the simulated device holds."""
        key = Eui(eui)
        device = self.inventory.device(key)
        if device is None:
            raise NotFoundError(f"device {eui} is not in the inventory")
        inv = self.inventory
        return {
            "smi": {
                **{k: getattr(device, k) for k in Device.__dataclass_fields__},
                "joins": inv.joins(key, smi=True),
                "certificates": inv.device_certificates(key, smi=True),
                "organisation_certificates": {
                    f"{role}/{usage}": der.hex() for (role, usage), der in inv.org_certificates(key, smi=True).items()
                },
            },
            "device": {
                "joins": inv.joins(key, smi=False),
                "certificates": inv.device_certificates(key, smi=False),
                "organisation_certificates": {
                    f"{role}/{usage}": der.hex() for (role, usage), der in inv.org_certificates(key, smi=False).items()
                },
                "state": inv.sim_state(key),
            },
        }

    def device_views(self, query: Mapping[str, Any]) -> dict[str, Any]:
        """Many devices at once (``{"devices": [EUI-64, ...], "smki": bool}``, 1 to :data:`MAX_VIEW_DEVICES` EUIs):
        ``{"devices": [...]}`` in the order asked, each ``{"view": ...}`` as :meth:`device_view` answers it, or
        ``{"view": None}`` for a device not in the inventory; with ``"smki"``, a device's ``"smki"`` entries
        (serial, usage, status) as ``GET /smki/certificates?subject=EUI`` finds them. One consistent reading.
        :class:`ValueError` naming what is wrong with ``query``."""
        devices, smki = query.get("devices"), query.get("smki", False)
        if set(query) - {"devices", "smki"} or not isinstance(devices, list) or type(smki) is not bool:
            raise ValueError('a device-views query is {"devices": [EUI-64, ...], "smki": true|false}')
        if not 1 <= len(devices) <= MAX_VIEW_DEVICES or not all(isinstance(d, str) for d in devices):
            raise ValueError(f"devices must be 1 to {MAX_VIEW_DEVICES} EUI-64 strings, given {len(devices)}")
        euis = [Eui(d) for d in devices]  # a BuildError (a ValueError) names one that is not an EUI-64
        answers: list[dict[str, Any]] = []
        with self.inventory.lock:
            for eui in euis:
                if self.inventory.device(eui) is None:
                    answers.append({"view": None})
                    continue
                answer: dict[str, Any] = {"view": self.device_view(eui)}
                if smki:
                    keys = ("serial", "usage", "status")
                    answer["smki"] = [{k: e[k] for k in keys} for e in self.inventory.smki_search(subject=eui)]
                answers.append(answer)
        return {"devices": answers}


def device_certificate(eui: str, usage: str) -> tuple[str, bytes]:
    """A fresh device certificate (P-256, the EUI as x500UniqueIdentifier) for the simulated device: serial, DER."""
    cert = self_signed_certificate(usage, eui)
    return str(cert.serial_number), cert.public_bytes(serialization.Encoding.DER)


__all__ = ["TestControl", "device_certificate"]

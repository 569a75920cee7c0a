"""The refusal every reference-DCC check raises, and the general authorisation checks shared by device and
non-device Service Requests (E4 user-for-device, E5 device status)."""

from __future__ import annotations

from typing import Final

from pytest_dcc.errors import Refusal
from pytest_dcc.reference.inventory import Device

#: Device statuses in which a device accepts Service Requests (the E5 check; docs/reference-dcc.md).
ACTIVE_STATUSES: Final = frozenset({"InstalledNotCommissioned", "Commissioned"})


def check_supplier(originator: str, role: str, device: Device) -> None:
    """E4: an Import or Gas Supplier may address only devices it is the registered supplier of (when one is)."""
    if role in {"IS", "GS"} and device.supplier is not None and device.supplier != originator:
        raise Refusal("E4", f"{originator} is not the supplier registered for {device.eui}")


def check_status(device: Device, srv: str) -> None:
    """E5: the device must be InstalledNotCommissioned or Commissioned."""
    if device.status not in ACTIVE_STATUSES:
        raise Refusal("E5", f"device {device.eui} is {device.status}; SRV {srv} needs {sorted(ACTIVE_STATUSES)}")


__all__ = ["ACTIVE_STATUSES", "Refusal", "check_status", "check_supplier"]

"""The typed records a driver hands the suite (the driver contract's data; docs/drivers.md).

A vendor's driver builds these from its own back office; the bundled drivers build them from the reference DCC's
JSON (:meth:`DeviceView.from_json`, :meth:`SmkiEntry.from_json`). The suite reads nothing else of a driver's
answers, so a field the suite needs is a field here, with its meaning written down.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_dcc.errors import DriverContractError


@dataclass(frozen=True)
class SmiRecord:
    """What the DCC's Smart Metering Inventory records of a device."""

    eui: str
    type: str  # DUIS DeviceType: ESME, GSME, GPF, CHF, PPMID, IHD, CAD, HCALCS
    status: str  # DUIS DeviceStatus, exact spelling
    joins: frozenset[str] = frozenset()  # EUIs the SMI records joined to this device
    certificates: Mapping[str, str] = field(default_factory=dict)  # device certificate usage -> serial
    #: "RemotePartyRole/usage" -> DER as hex: the role the certificate was placed for (the request's
    #: RemotePartyRole, e.g. "Supplier") and its usage named after its DUIS element ("Digital Signing",
    #: "Key Agreement", "Key Agreement Top-Up"); the suite judges the certificate under exactly that key
    organisation_certificates: Mapping[str, str] = field(default_factory=dict)
    gpf: str | None = None  # a CHF's GPF
    chf: str | None = None  # the CHF a device hangs off
    supplier: str | None = None  # the supplier the SMI registers for the device


@dataclass(frozen=True)
class DeviceRecord:
    """What the device itself holds (read from the device or the vendor's head-end, not from the SMI)."""

    joins: frozenset[str] = frozenset()
    certificates: Mapping[str, str] = field(default_factory=dict)  # usage -> serial
    organisation_certificates: Mapping[str, str] = field(default_factory=dict)  # "role/usage" -> DER as hex
    gas_block_thresholds_wh: tuple[int, ...] | None = None  # a GSME's GasThresholdMatrix, Wh; None: unknown


@dataclass(frozen=True)
class DeviceView:
    """Both views of one device: the SMI's and the device's own (capability "device-view")."""

    smi: SmiRecord
    device: DeviceRecord

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeviceView:
        """From the reference DCC's ``device_view`` / ``GET /test-control/devices/{eui}`` shape."""
        try:
            smi, device = data["smi"], data["device"]
            state = device.get("state") or {}
            thresholds = state.get("gas_block_thresholds_wh")
            return cls(
                SmiRecord(
                    eui=str(smi["eui"]),
                    type=str(smi["type"]),
                    status=str(smi["status"]),
                    joins=frozenset(map(str, smi.get("joins") or ())),
                    certificates={str(k): str(v) for k, v in (smi.get("certificates") or {}).items()},
                    organisation_certificates=dict(smi.get("organisation_certificates") or {}),
                    gpf=smi.get("gpf"),
                    chf=smi.get("chf"),
                    supplier=smi.get("supplier"),
                ),
                DeviceRecord(
                    joins=frozenset(map(str, device.get("joins") or ())),
                    certificates={str(k): str(v) for k, v in (device.get("certificates") or {}).items()},
                    organisation_certificates=dict(device.get("organisation_certificates") or {}),
                    gas_block_thresholds_wh=tuple(int(t) for t in thresholds) if thresholds is not None else None,
                ),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DriverContractError(f"not a device view: {type(exc).__name__}: {exc}") from None


@dataclass(frozen=True)
class SmkiEntry:
    """One SMKI repository entry of a device certificate (capability "smki")."""

    serial: str
    usage: str  # Digital Signature, Key Agreement
    status: str  # In Use, Superseded, ...

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SmkiEntry:
        try:
            return cls(str(data["serial"]), str(data["usage"]), str(data["status"]))
        except (KeyError, TypeError) as exc:
            raise DriverContractError(f"not an SMKI entry: {type(exc).__name__}: {exc}") from None

    @classmethod
    def many(cls, entries: Sequence[Mapping[str, Any]]) -> list[SmkiEntry]:
        return sorted((cls.from_json(e) for e in entries), key=lambda e: (e.usage, e.serial))


@dataclass(frozen=True)
class DeviceSnapshot:
    """One device as a batched read answers it (``device_views``, an optional part of capability "device-view"):
    its :class:`DeviceView` and, when asked for, its SMKI entries (``None``: not asked for)."""

    view: DeviceView
    smki: list[SmkiEntry] | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeviceSnapshot | None:
        """From one answer of the reference DCC's ``POST /test-control/device-views``: ``None`` for a device it
        does not know (``"view": null``)."""
        try:
            view, smki = data["view"], data.get("smki")
        except (KeyError, TypeError, AttributeError) as exc:
            raise DriverContractError(f"not a device snapshot: {type(exc).__name__}: {exc}") from None
        if view is None:
            return None
        return cls(DeviceView.from_json(view), SmkiEntry.many(smki) if smki is not None else None)


__all__ = ["DeviceRecord", "DeviceSnapshot", "DeviceView", "DriverContractError", "SmiRecord", "SmkiEntry"]

"""Check a driver against the contract offline, before a certification run (``dcc-conformance check-driver``).

What is checked: the driver's name and capabilities (known names only; "seed" needs "reset"); that every
capability it lists is implemented (not left to :class:`~pytest_dcc.drivers.NoDriver`, which refuses it, nor
missing); and, for the devices given, that ``device_view`` and ``smki`` answer the typed records of
:mod:`pytest_dcc.drivers.records` with DUIS values, and that a device the driver cannot know is refused with
``LookupError`` (or NOT_APPLICABLE), never answered; that a driver offering the optional batched read
(``device_views``) answers those devices and the unknown one exactly as ``device_view`` and ``smki`` do one by one;
and that ``collect_alert`` gives each device's GBCS Device Alert (CRA flag 03, the device as originator). Only calls
that change no record are made.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_dcc.drivers import (
    CAPABILITIES,
    BatchedViews,
    DeviceSnapshot,
    DeviceView,
    NoDriver,
    SmkiEntry,
    one_by_one,
    snapshots,
)
from pytest_dcc.duis.gbcs import alert_problems
from pytest_dcc.errors import DccError, NotApplicableError
from pytest_dcc.spec import DEVICE_STATUSES, DEVICE_TYPES

#: An EUI-64 no estate uses: a driver must refuse to describe it.
UNKNOWN_DEVICE = "FF-FF-FF-FF-FF-FF-FF-FE"


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.what}"


def load_driver(spec: str) -> Any:
    """``module:factory``: the driver the factory (a class or a function without arguments) returns."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise DccError(f"{spec!r}: give the driver as module:factory")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise DccError(f"{spec!r}: {type(exc).__name__}: {exc}") from None
    return factory()


def _implemented(driver: Any, method: str) -> bool:
    own = getattr(type(driver), method, None)
    return callable(own) and own is not getattr(NoDriver, method, None)


def check_driver(driver: Any, devices: Sequence[str] = ()) -> list[Finding]:
    """Every finding about ``driver``; the devices are EUIs of the estate the driver should know."""
    found: list[Finding] = []
    name = getattr(driver, "name", None)
    found.append(Finding(isinstance(name, str) and bool(name), f"name is a non-empty string: {name!r}"))
    capabilities = getattr(driver, "capabilities", None)
    if not isinstance(capabilities, frozenset | set) or not all(isinstance(c, str) for c in capabilities):
        return [*found, Finding(False, f"capabilities is a set of names: {capabilities!r}")]
    unknown = sorted(set(capabilities) - set(CAPABILITIES))
    found.append(Finding(not unknown, f"capabilities are contract names ({', '.join(unknown) or 'all known'})"))
    if "seed" in capabilities:
        found.append(Finding("reset" in capabilities, "'seed' comes with 'reset' (the standard estate needs both)"))
    for capability in CAPABILITIES:
        if capability in capabilities:  # one it does not list need not exist: the suite refuses it as NoDriver does
            method = capability.method
            found.append(Finding(_implemented(driver, method), f"'{capability}' is implemented ({method})"))
    if "device-view" in capabilities:
        found += _check_views(driver, devices)
    if "smki" in capabilities:
        found += _check_smki(driver, devices)
    if "device-view" in capabilities and isinstance(driver, BatchedViews):
        found += _check_batch(driver, devices, smki="smki" in capabilities)
    if "local-alert" in capabilities:
        found += _check_alerts(driver, devices)
    return found


def _check_views(driver: Any, devices: Sequence[str]) -> list[Finding]:
    found: list[Finding] = []
    for eui in devices:
        try:
            view = driver.device_view(eui)
        except Exception as exc:
            found.append(Finding(False, f"device_view({eui}) answers: {type(exc).__name__}: {exc}"))
            continue
        if not isinstance(view, DeviceView):
            found.append(Finding(False, f"device_view({eui}) gives a DeviceView, not a {type(view).__name__}"))
            continue
        smi = view.smi
        problems = [
            *([f"eui {smi.eui!r}"] if smi.eui.upper() != eui.upper() else []),
            *([f"type {smi.type!r}"] if smi.type not in DEVICE_TYPES else []),
            *([f"status {smi.status!r}"] if smi.status not in DEVICE_STATUSES else []),
            *([f"joins {smi.joins!r}"] if not isinstance(smi.joins, frozenset) else []),
            *(["device joins"] if not isinstance(view.device.joins, frozenset) else []),
        ]
        thresholds = view.device.gas_block_thresholds_wh
        if thresholds is not None and not all(isinstance(t, int) for t in thresholds):
            problems.append(f"gas_block_thresholds_wh {thresholds!r}")
        found.append(Finding(not problems, f"device_view({eui}) holds DUIS values ({'; '.join(problems) or 'yes'})"))
    try:
        driver.device_view(UNKNOWN_DEVICE)
        found.append(Finding(False, f"device_view({UNKNOWN_DEVICE}) of a device no estate has is refused"))
    except (LookupError, NotApplicableError):
        found.append(Finding(True, f"device_view({UNKNOWN_DEVICE}) of a device no estate has is refused"))
    except Exception as exc:
        found.append(Finding(False, f"device_view of an unknown device raises LookupError, not {type(exc).__name__}"))
    return found


def _check_smki(driver: Any, devices: Sequence[str]) -> list[Finding]:
    found: list[Finding] = []
    for eui in devices:
        try:
            entries = driver.smki(eui)
        except Exception as exc:
            found.append(Finding(False, f"smki({eui}) answers: {type(exc).__name__}: {exc}"))
            continue
        ok = isinstance(entries, list) and all(isinstance(e, SmkiEntry) for e in entries)
        found.append(Finding(ok, f"smki({eui}) gives a list of SmkiEntry ({len(entries) if ok else entries!r})"))
    return found


def _check_batch(driver: Any, devices: Sequence[str], *, smki: bool) -> list[Finding]:
    euis = [*devices, UNKNOWN_DEVICE]
    what = f"device_views({', '.join(euis)}) answers as device_view{' and smki' if smki else ''} do one by one"
    try:
        batched, single = snapshots(driver, euis, smki=smki), one_by_one(driver, euis, smki=smki)
    except Exception as exc:
        return [Finding(False, f"{what}: {type(exc).__name__}: {exc}")]
    differ = [eui for eui, one, other in zip(euis, batched, single, strict=True) if _seen(one) != _seen(other)]
    return [Finding(not differ, f"{what} ({'differs for ' + ', '.join(differ) if differ else 'yes'})")]


def _seen(snapshot: DeviceSnapshot | None) -> object:
    """A snapshot as the suite observes it (the order of SMKI entries is not observed)."""
    return None if snapshot is None else (snapshot.view, sorted(map(repr, snapshot.smki or ())))


def _check_alerts(driver: Any, devices: Sequence[str]) -> list[Finding]:
    found: list[Finding] = []
    for eui in devices:
        what = f"collect_alert({eui}) gives the device's GBCS Device Alert"
        try:
            problems = alert_problems(driver.collect_alert(eui), eui)
        except Exception as exc:
            found.append(Finding(False, f"{what}: {type(exc).__name__}: {exc}"))
            continue
        found.append(Finding(not problems, f"{what} ({'; '.join(problems) or 'yes'})"))
    return found


__all__ = ["UNKNOWN_DEVICE", "Finding", "check_driver", "load_driver"]

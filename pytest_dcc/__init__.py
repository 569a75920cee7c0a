"""pytest-dcc: the open conformance suite for DUIS and CHISM (GB Smart Energy Code).

The public API is what a vendor imports to plug an endpoint in: the driver contract and its records, the hook, the
settings, the implementation statement, the verdicts and the exception tree. Each name is loaded on first use, so
``import pytest_dcc`` alone loads neither pytest nor the reference DCC; ``tests/test_public_api.py`` locks the list.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pytest_dcc._version import __version__

#: public name -> the module that defines it
_API = {
    # the driver contract (docs/drivers.md)
    "CAPABILITIES": "pytest_dcc.drivers",
    "Capability": "pytest_dcc.drivers",
    "InventoryDocument": "pytest_dcc.drivers",
    "LaneScope": "pytest_dcc.drivers",
    "Driver": "pytest_dcc.drivers",
    "NoDriver": "pytest_dcc.drivers",
    "require": "pytest_dcc.drivers",
    "DeviceRecord": "pytest_dcc.drivers.records",
    "DeviceView": "pytest_dcc.drivers.records",
    "SmiRecord": "pytest_dcc.drivers.records",
    "SmkiEntry": "pytest_dcc.drivers.records",
    # the hook a vendor plugin implements, and what it is given
    "pytest_dcc_driver": "pytest_dcc.plugin.hookspecs",
    "DccSettings": "pytest_dcc.settings",
    # the implementation statement
    "Statement": "pytest_dcc.statement",
    "load_statement": "pytest_dcc.statement",
    # verdicts
    "ScenarioVerdict": "pytest_dcc.reporting.verdicts",
    "PASS": "pytest_dcc.reporting.verdicts",
    "FAIL": "pytest_dcc.reporting.verdicts",
    "ERROR": "pytest_dcc.reporting.verdicts",
    "NOT_APPLICABLE": "pytest_dcc.reporting.verdicts",
    # the exception tree
    "DccError": "pytest_dcc.errors",
    "ArrangementError": "pytest_dcc.errors",
    "DriverContractError": "pytest_dcc.errors",
    "EndpointAssertion": "pytest_dcc.errors",
    "HarnessError": "pytest_dcc.errors",
    "NotApplicableError": "pytest_dcc.errors",
    "TransportError": "pytest_dcc.errors",
}

if TYPE_CHECKING:  # for type checkers and readers; at run time each name is imported on first use
    from pytest_dcc.drivers import CAPABILITIES, Capability, Driver, InventoryDocument, LaneScope, NoDriver, require
    from pytest_dcc.drivers.records import DeviceRecord, DeviceView, SmiRecord, SmkiEntry
    from pytest_dcc.errors import (
        ArrangementError,
        DccError,
        DriverContractError,
        EndpointAssertion,
        HarnessError,
        NotApplicableError,
        TransportError,
    )
    from pytest_dcc.plugin.hookspecs import pytest_dcc_driver
    from pytest_dcc.reporting.verdicts import ERROR, FAIL, NOT_APPLICABLE, PASS, ScenarioVerdict
    from pytest_dcc.settings import DccSettings
    from pytest_dcc.statement import Statement, load_statement


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_dcc' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])


__all__ = [
    "CAPABILITIES",
    "ERROR",
    "FAIL",
    "NOT_APPLICABLE",
    "PASS",
    "ArrangementError",
    "Capability",
    "DccError",
    "DccSettings",
    "DeviceRecord",
    "DeviceView",
    "Driver",
    "DriverContractError",
    "EndpointAssertion",
    "HarnessError",
    "InventoryDocument",
    "LaneScope",
    "NoDriver",
    "NotApplicableError",
    "ScenarioVerdict",
    "SmiRecord",
    "SmkiEntry",
    "Statement",
    "TransportError",
    "__version__",
    "load_statement",
    "pytest_dcc_driver",
    "require",
]

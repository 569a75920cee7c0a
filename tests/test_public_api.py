"""The public API is locked: what a vendor imports from ``pytest_dcc`` changes only on purpose (this list), each
name resolves to what it says, and importing the package alone loads neither pytest nor the reference DCC."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pytest_dcc

LOCKED = [
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


def test_the_public_names_are_the_locked_list() -> None:
    assert sorted(pytest_dcc.__all__) == sorted(LOCKED)


def test_every_public_name_resolves_to_its_defining_module() -> None:
    from pytest_dcc import drivers, errors, settings, statement
    from pytest_dcc.drivers import records
    from pytest_dcc.plugin import hookspecs as hooks
    from pytest_dcc.reporting import verdicts

    homes = [settings, drivers, errors, hooks, statement, records, verdicts, pytest_dcc]
    for name in LOCKED:
        value = getattr(pytest_dcc, name)
        assert any(getattr(home, name, None) is value for home in homes[:-1]) or name == "__version__", name
    assert pytest_dcc.Driver is drivers.Driver and pytest_dcc.SmiRecord is records.SmiRecord
    assert pytest_dcc.DccError is errors.DccError and pytest_dcc.PASS == verdicts.PASS
    assert issubclass(pytest_dcc.EndpointAssertion, pytest_dcc.DccError)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        pytest_dcc.NoSuchThing  # noqa: B018


def test_importing_the_package_loads_no_test_tooling_and_no_reference() -> None:
    code = (
        "import sys, pytest_dcc\n"
        "pytest_dcc.Driver, pytest_dcc.DccError, pytest_dcc.load_statement\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'pytest', '_pytest', 'pytest_bdd', 'allure'}"
        " or m.startswith('pytest_dcc.reference')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

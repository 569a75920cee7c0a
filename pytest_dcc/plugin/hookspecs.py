"""Hooks pytest-dcc offers to conftest files and vendor plugins."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_dcc.drivers import Driver
    from pytest_dcc.settings import DccSettings


@pytest.hookspec(firstresult=True)
def pytest_dcc_driver(config: pytest.Config, settings: DccSettings) -> Driver | None:
    """Return the :class:`~pytest_dcc.drivers.Driver` for the endpoint under test (``--dcc-endpoint``), or ``None``
    to let pytest-dcc choose (the reference server's test-control API when it offers one, else no driver).

    A vendor implements this for their own system: arranging inventory state, running a locally delivered command
    on a device, and so on. Capabilities the driver does not list make the scenarios that need them NOT_APPLICABLE.
    """

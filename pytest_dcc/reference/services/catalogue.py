"""Non-device Service Requests (CV 8): which service processes an SRV against the SMI."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from pytest_dcc.reference.services import ch_status, coverage, inventory_srs, local_command
from pytest_dcc.reference.services.base import NonDeviceService

SERVICES: Final[Mapping[str, NonDeviceService]] = MappingProxyType(
    {srv: service for service in (inventory_srs, local_command, ch_status, coverage) for srv in service.SRVS}
)

__all__ = ["SERVICES"]

"""Every other device SRV the simulated devices know (:data:`pytest_dcc.duis.gbcs.MESSAGE_CODES`): no specific
validation, the device notes the last request of the SRV, the SMI records nothing. No clause of its own."""

from __future__ import annotations

from typing import Final

from lxml import etree

from pytest_dcc.duis.gbcs import MESSAGE_CODES
from pytest_dcc.duis.ids import RequestID
from pytest_dcc.reference.inventory import Device, Inventory
from pytest_dcc.reference.services.base import Outcome, RequestContext, Result

CLAUSES: Final[tuple[str, ...]] = ()
SRVS: Final = frozenset(MESSAGE_CODES)


def validate(ctx: RequestContext, device: Device) -> None:
    """No SR-specific validation."""


def execute(inv: Inventory, srv: str, rid: RequestID, device: Device, body: etree._Element) -> Outcome:
    inv.set_sim_state(device.eui, f"last_{srv}", str(rid))
    return Outcome()


def apply(inv: Inventory, srv: str, device: Device, body: etree._Element, result: Result, *, via_local: bool) -> None:
    """The SMI records nothing."""


__all__ = ["CLAUSES", "SRVS", "apply", "execute", "validate"]

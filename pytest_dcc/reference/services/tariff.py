"""SR 1.1.1 Update Import Tariff (Primary Element): the gas ``GasThresholdMatrix``.

Clause MP081-DUIS-3.8.1.2: BlockThreshold in Wh (the meter holds what the wire says, Wh); the ``index`` attribute
unique and consecutive from 1, which the XSD does not check, refused here with E010101 (a code whose meaning for this
case is not published: the suite does not pin it unless a statement declares it).
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from pytest_dcc.duis.ids import RequestID
from pytest_dcc.duis.semantics import threshold_index_issues
from pytest_dcc.errors import Refusal
from pytest_dcc.reference.inventory import Device, Inventory
from pytest_dcc.reference.services.base import SR, Outcome, RequestContext, Result

CLAUSES: Final = ("MP081-DUIS-3.8.1.2",)
SRVS: Final = frozenset({"1.1.1"})


def validate(ctx: RequestContext, device: Device) -> None:
    """Threshold indexes unique and consecutive from 1."""
    for issue in threshold_index_issues(ctx.body):
        raise Refusal("E010101", issue.message)


def execute(inv: Inventory, srv: str, rid: RequestID, device: Device, body: etree._Element) -> Outcome:
    """The meter holds the thresholds as sent: Wh (DUIS 3.8.1.2)."""
    values = [int((t.text or "0").strip()) for t in body.iter(f"{SR}BlockThreshold")]
    inv.set_sim_state(device.eui, "gas_block_thresholds_wh", values)
    return Outcome()


def apply(inv: Inventory, srv: str, device: Device, body: etree._Element, result: Result, *, via_local: bool) -> None:
    """The SMI records nothing of a tariff."""


__all__ = ["CLAUSES", "SRVS", "apply", "execute", "validate"]

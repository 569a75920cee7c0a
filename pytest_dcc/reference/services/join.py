"""SR 8.7.1 / 8.7.2 Join Service and SR 8.8.1 / 8.8.2 Unjoin Service.

Clauses: DP178-SMI-JOIN (the SMI records a join from the device's response, never before), DP178-REJOIN (a
non-compliant meter refuses a re-sent Join, and the SMI stays without it), DP178-E080801 (before 2024-06 an Unjoin
the SMI holds no join for is refused with E080801) and MP178-UNJOIN (from 2024-06 it is accepted and sent).
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from pytest_dcc.duis.ids import RequestID
from pytest_dcc.errors import Refusal
from pytest_dcc.reference.inventory import FAULT_REJECT_REJOIN, Device, Inventory
from pytest_dcc.reference.services.base import Outcome, RequestContext, Result, other_device

CLAUSES: Final = ("DP178-SMI-JOIN", "DP178-REJOIN", "DP178-E080801", "MP178-UNJOIN")
#: The DSP behaviour flag of DP178 / MP178 (spec.releases): an Unjoin is refused with E080801 without an SMI join.
UNJOIN_FLAG: Final = "unjoin_requires_smi_join"
JOIN_SRVS: Final = frozenset({"8.7.1", "8.7.2"})
UNJOIN_SRVS: Final = frozenset({"8.8.1", "8.8.2"})
SRVS: Final = JOIN_SRVS | UNJOIN_SRVS


def validate(ctx: RequestContext, device: Device) -> None:
    """Join: the other device must be in the SMI (E080702). Unjoin: DP178-E080801, while the release's flag holds
    (MP178-UNJOIN removes it from 2024-06)."""
    other = other_device(ctx.body)
    if ctx.srv.srv in JOIN_SRVS and ctx.inventory.device(other) is None:
        raise Refusal("E080702", f"OtherDeviceID {other} is not in the Smart Metering Inventory")
    flagged = ctx.srv.srv in UNJOIN_SRVS and ctx.release.behaves(UNJOIN_FLAG)
    if flagged and not ctx.inventory.smi_joined(device.eui, other):
        raise Refusal("E080801", f"according to the Smart Metering Inventory {other} is not joined to {device.eui}")


def execute(inv: Inventory, srv: str, rid: RequestID, device: Device, body: etree._Element) -> Outcome:
    """The device joins or unjoins; a meter armed with ``reject-rejoin`` refuses a Join it already holds
    (DP178-REJOIN)."""
    other = other_device(body)
    if srv in UNJOIN_SRVS:
        inv.remove_join(device.eui, other, smi=False, device=True)
        return Outcome()
    if inv.device_joined(device.eui, other) and inv.take_fault(device.eui, FAULT_REJECT_REJOIN):
        return Outcome(ok=False)
    inv.add_join(device.eui, other, smi=False, device=True)
    return Outcome()


def apply(inv: Inventory, srv: str, device: Device, body: etree._Element, result: Result, *, via_local: bool) -> None:
    """DP178-SMI-JOIN: the SMI learns the join (or the unjoin) from the device's response. A join is one relation
    between two devices, whichever of them the SMI files it under: an Unjoin removes it in both directions."""
    other = other_device(body)
    if srv in JOIN_SRVS:
        inv.add_join(device.eui, other, smi=True, device=False)
    else:
        inv.remove_join(device.eui, other, smi=True, device=False)
        inv.remove_join(other, device.eui, smi=True, device=False)


__all__ = ["CLAUSES", "JOIN_SRVS", "SRVS", "UNJOIN_SRVS", "apply", "execute", "validate"]

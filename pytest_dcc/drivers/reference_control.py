"""The driver of the in-process reference DCC: plain calls."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_dcc.drivers import FULL_CONTROL, InventoryDocument, LaneScope, NoDriver
from pytest_dcc.drivers.records import DeviceSnapshot, DeviceView, SmkiEntry
from pytest_dcc.duis.control_api import MAX_VIEW_DEVICES
from pytest_dcc.duis.ids import Eui
from pytest_dcc.reference.dcc import ReferenceDcc


class InProcessDriver(NoDriver):
    """Test control of a :class:`ReferenceDcc` in this process."""

    name = "in-process reference DCC"
    capabilities = FULL_CONTROL

    def __init__(self, dcc: ReferenceDcc) -> None:
        self.dcc = dcc

    def reset(self) -> None:
        self.dcc.reset()

    def reset_lane(self, scope: LaneScope) -> None:
        self.dcc.reset_lane(scope)

    def seed(self, document: InventoryDocument) -> None:
        self.dcc.seed(document)

    def device_view(self, eui: str) -> DeviceView:
        return DeviceView.from_json(self.dcc.device_view(eui))

    def device_views(self, euis: Sequence[str], *, smki: bool) -> list[DeviceSnapshot | None]:
        """The optional batched "device-view" (and "smki"): the reference's ``device_views``, as its route answers."""
        answers: list[DeviceSnapshot | None] = []
        for start in range(0, len(euis), MAX_VIEW_DEVICES):
            found = self.dcc.device_views({"devices": list(euis[start : start + MAX_VIEW_DEVICES]), "smki": smki})
            answers += [DeviceSnapshot.from_json(answer) for answer in found["devices"]]
        return answers

    def set_status(self, eui: str, status: str) -> None:
        self.dcc.set_status(eui, status)

    def set_join(self, eui: str, other: str, *, smi: bool, device: bool, remove: bool = False) -> None:
        self.dcc.set_join(eui, other, smi=smi, device=device, remove=remove)

    def set_fault(self, eui: str, fault: str, times: int = 1) -> None:
        self.dcc.set_fault(eui, fault, times)

    def renew_certificates(self, eui: str) -> dict[str, str]:
        return self.dcc.renew_device_certificates(eui)

    def execute_locally(self, request_id: str) -> bytes:
        return self.dcc.execute_locally(request_id)

    def collect_alert(self, eui: str) -> bytes:
        return self.dcc.collect_alert(eui)

    def smki(self, subject: str) -> list[SmkiEntry]:
        with self.dcc.inventory.lock:
            return SmkiEntry.many(self.dcc.inventory.smki_search(subject=Eui(subject)))


__all__ = ["InProcessDriver"]

"""The simulated devices' own state (beyond joins and certificates, which :mod:`.smi` keeps per view) and the
faults a test can arm on them (a lost response, a refused re-join)."""

from __future__ import annotations

import json
from typing import Any

from pytest_dcc.duis.ids import Eui
from pytest_dcc.errors import InventoryError
from pytest_dcc.reference.store.records import FAULTS, StoreBase


class SimulatedDevices(StoreBase):
    """The devices' own state and armed faults."""

    def set_sim_state(self, eui: Eui, key: str, value: object) -> None:
        """Store a value the simulated device holds (JSON)."""
        self.db.execute("INSERT OR REPLACE INTO sim_state VALUES (?, ?, ?)", (eui, key, json.dumps(value)))

    def sim_state(self, eui: Eui) -> dict[str, Any]:
        """Everything the simulated device holds, by key."""
        rows = self.db.execute("SELECT key, value FROM sim_state WHERE device = ?", (eui,))
        return {r[0]: json.loads(r[1]) for r in rows}

    def set_fault(self, eui: Eui, kind: str, remaining: int = 1) -> None:
        """Give a simulated device a fault for its next ``remaining`` occasions (0 removes it)."""
        if kind not in FAULTS:
            raise InventoryError(f"unknown fault {kind!r} (known: {', '.join(FAULTS)})")
        if remaining <= 0:
            self.db.execute("DELETE FROM faults WHERE device = ? AND kind = ?", (eui, kind))
        else:
            self.db.execute("INSERT OR REPLACE INTO faults VALUES (?, ?, ?)", (eui, kind, remaining))

    def take_fault(self, eui: Eui, kind: str) -> bool:
        """Consume one occurrence of a fault; True when the device had it."""
        key = eui
        row = self.db.execute("SELECT remaining FROM faults WHERE device = ? AND kind = ?", (key, kind)).fetchone()
        if row is None:
            return False
        self.set_fault(key, kind, int(row[0]) - 1)
        return True

    def has_fault(self, eui: Eui, kind: str) -> bool:
        """Whether the device has ``kind`` armed (without consuming it)."""
        row = self.db.execute("SELECT 1 FROM faults WHERE device = ? AND kind = ?", (eui, kind)).fetchone()
        return row is not None


__all__ = ["SimulatedDevices"]

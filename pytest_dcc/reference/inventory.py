"""The Smart Metering Inventory (SMI), the SMKI repository and the simulated devices' own state, in SQLite.

Two views of every device are kept apart on purpose, because the clauses are about the gap between them:

* the DCC's view (``devices``, ``smi_joins``, ``smi_org_certs``, ``smki_certs``): what the DSP believes;
* the device's view (``sim_joins``, ``sim_org_certs``, ``sim_device_certs``, ``sim_state``): what the simulated
  device really holds. A lost response or a rejected re-join makes them differ (DP178).

All writes of one Service Request happen in one transaction (:meth:`Inventory.transaction`), so a refused or
failed request leaves everything as it was.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pytest_dcc.errors import InventoryError
from pytest_dcc.reference.store.journal import Journal
from pytest_dcc.reference.store.loading import Loading, load_inventory_file
from pytest_dcc.reference.store.records import (
    FAULT_LOSE_RESPONSE,
    FAULT_REJECT_REJOIN,
    FAULTS,
    SCHEMA_SQL,
    Device,
    User,
)
from pytest_dcc.reference.store.simulated import SimulatedDevices


class Inventory(Loading, SimulatedDevices, Journal):
    """The reference DCC's SQLite store. ``path=None`` keeps it in memory.

    One connection guarded by a re-entrant lock: the reference DCC handles one Service Request at a time, which is
    what makes "one transaction per request" exact.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path is not None else ":memory:"
        self.lock = threading.RLock()
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        if self.path != ":memory:":
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA_SQL)
        self._depth = 0

    def close(self) -> None:
        """Close the database."""
        with self.lock:
            self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit: everything inside commits together or not at all (nested calls join the outer one)."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.db
                finally:
                    self._depth -= 1
                return
            self.db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            else:
                self.db.execute("COMMIT")
            finally:
                self._depth = 0

    @classmethod
    def open_read_only(cls, path: str | Path, *, timeout: float = 5.0) -> Inventory:
        """A read-only view of a store file another process writes (the reliability checks read it so)."""
        store = cls.__new__(cls)
        store.path = str(path)
        store.lock = threading.RLock()
        store.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout, check_same_thread=False)
        store.db.row_factory = sqlite3.Row
        store._depth = 0
        return store

    def integrity(self) -> str:
        """SQLite's integrity check: ``ok`` or what is wrong."""
        return str(self.db.execute("PRAGMA integrity_check").fetchone()[0])


__all__ = [
    "FAULTS",
    "FAULT_LOSE_RESPONSE",
    "FAULT_REJECT_REJOIN",
    "Device",
    "Inventory",
    "InventoryError",
    "User",
    "load_inventory_file",
]

"""What the DCC owes and remembers per request: originator counters, the journal of handled requests, the outbox
of asynchronous responses, commands issued for local delivery and pre-commands awaiting their signed form."""

from __future__ import annotations

from typing import Any

from pytest_dcc.duis.ids import Eui
from pytest_dcc.reference.store.records import StoreBase


class Journal(StoreBase):
    """Counters, journal, outbox, local commands and pre-commands."""

    def last_counter(self, originator: Eui) -> int | None:
        """The highest originator counter accepted from ``originator``."""
        row = self.db.execute("SELECT last FROM counters WHERE originator = ?", (originator,)).fetchone()
        return int(row[0]) if row else None

    def accept_counter(self, originator: Eui, counter: int) -> None:
        """Remember ``counter`` as the newest from ``originator``."""
        self.db.execute(
            "INSERT INTO counters VALUES (?, ?) ON CONFLICT(originator) DO UPDATE SET last = excluded.last",
            (originator, counter),
        )

    def journal(self, request_id: str, cv: int, srv: str, code: str, at: str) -> None:
        """Record an accepted Service Request, in its own transaction (a refused one leaves no trace)."""
        self.db.execute(
            "INSERT INTO journal (request_id, cv, srv, code, at) VALUES (?, ?, ?, ?, ?)",
            (request_id, cv, srv, code, at),
        )

    def journal_entries(self) -> list[dict[str, Any]]:
        """Every accepted Service Request, in the order the DCC applied them."""
        return [dict(row) for row in self.db.execute("SELECT * FROM journal ORDER BY seq")]

    def enqueue_response(self, request_id: str, body: bytes) -> int:
        """Keep an asynchronous response until it is delivered (written with the request that caused it)."""
        cursor = self.db.execute("INSERT INTO outbox (request_id, body) VALUES (?, ?)", (request_id, body))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def outbox(self, state: str | None = None) -> list[dict[str, Any]]:
        """Asynchronous responses not yet delivered (``pending``) or given up on (``failed``)."""
        with self.lock:
            if state is None:
                rows = self.db.execute("SELECT * FROM outbox ORDER BY id")
            else:
                rows = self.db.execute("SELECT * FROM outbox WHERE state = ? ORDER BY id", (state,))
            return [dict(row) for row in rows]

    def outbox_counts(self) -> dict[str, int]:
        """How many asynchronous responses are ``pending`` and ``failed``."""
        with self.lock:
            counts = {"pending": 0, "failed": 0}
            for state, n in self.db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"):
                counts[str(state)] = int(n)
            return counts

    def response_delivered(self, item_id: int) -> None:
        """Forget an asynchronous response the user's receiver accepted."""
        with self.transaction():
            self.db.execute("DELETE FROM outbox WHERE id = ?", (item_id,))

    def response_failed(self, item_id: int, attempts: int, reason: str) -> None:
        """Mark an asynchronous response that could not be delivered after ``attempts`` tries."""
        with self.transaction():
            self.db.execute(
                "UPDATE outbox SET state = 'failed', attempts = ?, last_error = ? WHERE id = ?",
                (attempts, reason[:1000], item_id),
            )

    def record_local_command(self, **row: Any) -> None:
        """Remember a command returned for local delivery (the 8.13 look-up)."""
        columns = ("request_id", "originator", "target", "counter", "srv", "message_code", "body", "issued_at")
        self.db.execute(
            f"INSERT OR REPLACE INTO local_commands ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            tuple(row[c] for c in columns),
        )

    def local_command(self, request_id: str) -> dict[str, Any] | None:
        """The local command issued for ``request_id``."""
        row = self.db.execute("SELECT * FROM local_commands WHERE request_id = ?", (request_id,)).fetchone()
        return dict(row) if row else None

    def mark_local_command(
        self, request_id: str, *, executed: bool | None = None, returned: bool | None = None
    ) -> None:
        """Flag a local command as executed on the device and/or returned through 8.13."""
        if executed is not None:
            self.db.execute("UPDATE local_commands SET executed = ? WHERE request_id = ?", (int(executed), request_id))
        if returned is not None:
            self.db.execute("UPDATE local_commands SET returned = ? WHERE request_id = ?", (int(returned), request_id))

    def save_pre_command(self, request_id: str, srv: str, target: str, body: str, payload: bytes) -> None:
        """Remember the pre-command returned for a CV 4 request, for its CV 5-7 follow-up."""
        self.db.execute(
            "INSERT OR REPLACE INTO pre_commands VALUES (?, ?, ?, ?, ?)", (request_id, srv, target, body, payload)
        )

    def pre_command(self, request_id: str) -> dict[str, Any] | None:
        """The stored pre-command for ``request_id``."""
        row = self.db.execute("SELECT * FROM pre_commands WHERE request_id = ?", (request_id,)).fetchone()
        return dict(row) if row else None

    def drop_pre_command(self, request_id: str) -> None:
        """Forget a pre-command once its signed form has been used."""
        self.db.execute("DELETE FROM pre_commands WHERE request_id = ?", (request_id,))

    def counters(self) -> dict[str, int]:
        """The last accepted OriginatorCounter of every originator."""
        return {r[0]: int(r[1]) for r in self.db.execute("SELECT originator, last FROM counters")}

    def journal_count(self) -> int:
        """How many requests the journal holds."""
        return int(self.db.execute("SELECT COUNT(*) FROM journal").fetchone()[0])


__all__ = ["Journal"]

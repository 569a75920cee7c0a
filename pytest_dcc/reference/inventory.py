"""The Smart Metering Inventory (SMI), the SMKI repository and the simulated devices' own state, in SQLite.

Two views of every device are kept apart on purpose, because the clauses are about the gap between them:

* the DCC's view (``devices``, ``smi_joins``, ``smi_org_certs``, ``smki_certs``): what the DSP believes;
* the device's view (``sim_joins``, ``sim_org_certs``, ``sim_device_certs``, ``sim_state``): what the simulated
  device really holds. A lost response or a rejected re-join makes them differ (DP178).

All writes of one Service Request happen in one transaction (:meth:`Inventory.transaction`), so a refused or
failed request leaves everything as it was.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from pytest_dcc.duis.ids import normalise_eui
from pytest_dcc.errors import BuildError, InventoryError
from pytest_dcc.spec import DEVICE_STATUSES, DEVICE_TYPES, ROLES, chism

SCHEMA_SQL: Final = """
CREATE TABLE IF NOT EXISTS devices (
    eui TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    status TEXT,
    manufacturer TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    mpxn TEXT,
    uprn INTEGER,
    postcode TEXT,
    address_identifier TEXT,
    csp_region TEXT,
    firmware_version TEXT,
    date_commissioned TEXT,
    esme_variant TEXT,
    gbcs_version TEXT,
    chf TEXT,
    gpf TEXT,
    supplier TEXT
);
CREATE INDEX IF NOT EXISTS devices_mpxn ON devices (mpxn);
CREATE INDEX IF NOT EXISTS devices_uprn ON devices (uprn);
CREATE INDEX IF NOT EXISTS devices_address ON devices (postcode, address_identifier);
CREATE INDEX IF NOT EXISTS devices_chf ON devices (chf);
CREATE TABLE IF NOT EXISTS users (
    eui TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'Active',
    certificate BLOB
);
CREATE TABLE IF NOT EXISTS smi_joins (
    device TEXT NOT NULL,
    other TEXT NOT NULL,
    PRIMARY KEY (device, other)
);
CREATE TABLE IF NOT EXISTS sim_joins (
    device TEXT NOT NULL,
    other TEXT NOT NULL,
    PRIMARY KEY (device, other)
);
CREATE TABLE IF NOT EXISTS smi_org_certs (
    device TEXT NOT NULL,
    role TEXT NOT NULL,
    usage TEXT NOT NULL,
    certificate BLOB NOT NULL,
    PRIMARY KEY (device, role, usage)
);
CREATE TABLE IF NOT EXISTS sim_org_certs (
    device TEXT NOT NULL,
    role TEXT NOT NULL,
    usage TEXT NOT NULL,
    certificate BLOB NOT NULL,
    PRIMARY KEY (device, role, usage)
);
CREATE TABLE IF NOT EXISTS smi_device_certs (
    device TEXT NOT NULL,
    usage TEXT NOT NULL,
    serial TEXT NOT NULL,
    PRIMARY KEY (device, usage)
);
CREATE TABLE IF NOT EXISTS smki_certs (
    serial TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    usage TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'In Use',
    certificate BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS smki_subject ON smki_certs (subject);
CREATE TABLE IF NOT EXISTS sim_device_certs (
    device TEXT NOT NULL,
    usage TEXT NOT NULL,
    serial TEXT NOT NULL,
    certificate BLOB NOT NULL,
    PRIMARY KEY (device, usage)
);
CREATE TABLE IF NOT EXISTS sim_state (
    device TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (device, key)
);
CREATE TABLE IF NOT EXISTS local_commands (
    request_id TEXT PRIMARY KEY,
    originator TEXT NOT NULL,
    target TEXT NOT NULL,
    counter INTEGER NOT NULL,
    srv TEXT NOT NULL,
    message_code INTEGER NOT NULL,
    body TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    executed INTEGER NOT NULL DEFAULT 0,
    returned INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS pre_commands (
    request_id TEXT PRIMARY KEY,
    srv TEXT NOT NULL,
    target TEXT NOT NULL,
    body TEXT NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    originator TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS wan_coverage (
    id INTEGER PRIMARY KEY,
    uprn INTEGER,
    postcode TEXT,
    address_identifier TEXT,
    region TEXT NOT NULL,
    response_code TEXT NOT NULL DEFAULT 'I0',
    available INTEGER,
    anticipated_date TEXT,
    wan_variant TEXT,
    connectivity_likelihood TEXT,
    auxiliary_equipment TEXT,
    additional_information TEXT
);
CREATE INDEX IF NOT EXISTS coverage_uprn ON wan_coverage (uprn);
CREATE INDEX IF NOT EXISTS coverage_address ON wan_coverage (postcode, address_identifier);
CREATE TABLE IF NOT EXISTS faults (
    device TEXT NOT NULL,
    kind TEXT NOT NULL,
    remaining INTEGER NOT NULL,
    PRIMARY KEY (device, kind)
);
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL,
    cv INTEGER NOT NULL,
    srv TEXT NOT NULL,
    code TEXT NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (request_id, cv)
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL,
    body BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
"""

#: Fault kinds a simulated device can be given (test control).
FAULT_LOSE_RESPONSE: Final = "lose-next-response"
FAULT_REJECT_REJOIN: Final = "reject-rejoin"
FAULTS: Final = (FAULT_LOSE_RESPONSE, FAULT_REJECT_REJOIN)

#: WAN variants (CHISM table 3), DCC 1.3 name -> DCC 2.0 name, with the CSP regions each belongs to.

_DEVICE_FIELDS: Final = (
    "manufacturer",
    "model",
    "mpxn",
    "uprn",
    "postcode",
    "address_identifier",
    "csp_region",
    "firmware_version",
    "date_commissioned",
    "esme_variant",
    "gbcs_version",
    "chf",
    "gpf",
    "supplier",
)
_EUI_FIELDS: Final = frozenset({"chf", "gpf", "supplier"})


@dataclass(frozen=True, slots=True)
class Device:
    """One row of the SMI ``devices`` table."""

    eui: str
    type: str
    status: str | None
    manufacturer: str = ""
    model: str = ""
    mpxn: str | None = None
    uprn: int | None = None
    postcode: str | None = None
    address_identifier: str | None = None
    csp_region: str | None = None
    firmware_version: str | None = None
    date_commissioned: str | None = None
    esme_variant: str | None = None
    gbcs_version: str | None = None
    chf: str | None = None
    gpf: str | None = None
    supplier: str | None = None


@dataclass(frozen=True, slots=True)
class User:
    """A DCC user: EUI-64, role(s), status, XML-signing certificate (DER). One EUI may hold several roles (DCC
    Boxed's test supplier sends both electricity and gas): ``role`` is then the roles joined by commas."""

    eui: str
    role: str
    status: str = "Active"
    certificate: bytes | None = None

    @property
    def roles(self) -> tuple[str, ...]:
        """Every role the user holds, in the order registered."""
        return tuple(r for r in self.role.split(",") if r)


class Inventory:
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

    # -- devices -----------------------------------------------------------------------------------------------

    def device(self, eui: str) -> Device | None:
        """The SMI entry for ``eui`` (any EUI spelling), or ``None``."""
        row = self.db.execute("SELECT * FROM devices WHERE eui = ?", (normalise_eui(eui),)).fetchone()
        return Device(**dict(row)) if row else None

    def devices_where(self, column: str, value: object) -> list[Device]:
        """Devices whose ``column`` (mpxn, uprn, chf) equals ``value``."""
        if column not in {"mpxn", "uprn", "chf", "gpf"}:
            raise InventoryError(f"cannot select devices by {column}")
        rows = self.db.execute(f"SELECT * FROM devices WHERE {column} = ? ORDER BY eui", (value,)).fetchall()
        return [Device(**dict(r)) for r in rows]

    def devices_at(self, postcode: str, address_identifier: str) -> list[Device]:
        """Devices at a property (PostCode and AddressIdentifier)."""
        rows = self.db.execute(
            "SELECT * FROM devices WHERE postcode = ? AND address_identifier = ? ORDER BY eui",
            (postcode, address_identifier),
        ).fetchall()
        return [Device(**dict(r)) for r in rows]

    def put_device(self, entry: Mapping[str, Any]) -> Device:
        """Insert or replace a device from a mapping (the inventory file's ``devices`` entry)."""
        data = dict(entry)
        try:
            eui = normalise_eui(str(data.pop("eui")))
            kind = str(data.pop("type"))
        except KeyError as exc:
            raise InventoryError(f"device entry {entry!r} lacks {exc.args[0]!r}") from None
        except ValueError as exc:
            raise InventoryError(f"device entry {entry!r}: {exc}") from None
        if kind not in DEVICE_TYPES:
            raise InventoryError(f"device {eui}: type {kind!r} is not one of {', '.join(DEVICE_TYPES)}")
        status = data.pop("status", None)
        if status is not None and status not in DEVICE_STATUSES:
            raise InventoryError(f"device {eui}: status {status!r} is not one of {', '.join(DEVICE_STATUSES)}")
        joins = data.pop("joins", [])
        certificates = data.pop("certificates", {})
        unknown = set(data) - set(_DEVICE_FIELDS)
        if unknown:
            raise InventoryError(f"device {eui}: unknown fields {sorted(unknown)}")
        for name in _EUI_FIELDS & set(data):
            if data[name] is not None:
                data[name] = normalise_eui(str(data[name]))
        if data.get("uprn") is not None:
            data["uprn"] = int(data["uprn"])
        row = {"eui": eui, "type": kind, "status": status, **{k: data.get(k) for k in _DEVICE_FIELDS}}
        row["manufacturer"] = row["manufacturer"] or ""
        row["model"] = row["model"] or ""
        with self.transaction() as db:
            columns = ", ".join(row)
            db.execute(
                f"INSERT OR REPLACE INTO devices ({columns}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
            )
            for other in joins:
                self.add_join(eui, str(other), smi=True, on_device=True)
            for usage, cert in certificates.items():
                self.set_device_certificate(eui, usage, cert, smi=True, device=True)
        device = self.device(eui)
        assert device is not None
        return device

    def set_status(self, eui: str, status: str) -> None:
        """Change a device's SMI status."""
        if status not in DEVICE_STATUSES:
            raise InventoryError(f"status {status!r} is not one of {', '.join(DEVICE_STATUSES)}")
        self.db.execute("UPDATE devices SET status = ? WHERE eui = ?", (status, normalise_eui(eui)))

    def update_device(self, eui: str, **fields: object) -> None:
        """Change fields of a device (names as in :class:`Device`)."""
        unknown = set(fields) - set(_DEVICE_FIELDS) - {"type"}
        if unknown:
            raise InventoryError(f"unknown device fields {sorted(unknown)}")
        if fields:
            sets = ", ".join(f"{k} = ?" for k in fields)
            self.db.execute(f"UPDATE devices SET {sets} WHERE eui = ?", (*fields.values(), normalise_eui(eui)))

    def delete_device(self, eui: str) -> None:
        """Remove a device and its SMI relationships."""
        key = normalise_eui(eui)
        with self.transaction() as db:
            db.execute("DELETE FROM devices WHERE eui = ?", (key,))
            db.execute("DELETE FROM smi_joins WHERE device = ? OR other = ?", (key, key))

    def device_count(self) -> int:
        """Number of devices in the SMI."""
        return int(self.db.execute("SELECT COUNT(*) FROM devices").fetchone()[0])

    # -- joins -------------------------------------------------------------------------------------------------

    def add_join(self, device: str, other: str, *, smi: bool, on_device: bool) -> None:
        """Record a join in the SMI (``smi``) and/or on the simulated device itself (``on_device``)."""
        pair = (normalise_eui(device), normalise_eui(other))
        if smi:
            self.db.execute("INSERT OR IGNORE INTO smi_joins VALUES (?, ?)", pair)
        if on_device:
            self.db.execute("INSERT OR IGNORE INTO sim_joins VALUES (?, ?)", pair)

    def remove_join(self, device: str, other: str, *, smi: bool, on_device: bool) -> None:
        """Remove a join from the SMI and/or the device."""
        pair = (normalise_eui(device), normalise_eui(other))
        if smi:
            self.db.execute("DELETE FROM smi_joins WHERE device = ? AND other = ?", pair)
        if on_device:
            self.db.execute("DELETE FROM sim_joins WHERE device = ? AND other = ?", pair)

    def smi_joined(self, device: str, other: str) -> bool:
        """Whether the SMI records ``other`` joined to ``device`` (either direction)."""
        a, b = normalise_eui(device), normalise_eui(other)
        row = self.db.execute(
            "SELECT 1 FROM smi_joins WHERE (device = ? AND other = ?) OR (device = ? AND other = ?)", (a, b, b, a)
        ).fetchone()
        return row is not None

    def device_joined(self, device: str, other: str) -> bool:
        """Whether the simulated device holds the join."""
        row = self.db.execute(
            "SELECT 1 FROM sim_joins WHERE device = ? AND other = ?", (normalise_eui(device), normalise_eui(other))
        ).fetchone()
        return row is not None

    def joins(self, eui: str, *, smi: bool = True) -> list[str]:
        """Devices joined to ``eui`` in the SMI (``smi``) or on the device."""
        table = "smi_joins" if smi else "sim_joins"
        rows = self.db.execute(f"SELECT other FROM {table} WHERE device = ? ORDER BY other", (normalise_eui(eui),))
        return [r[0] for r in rows]

    # -- users -------------------------------------------------------------------------------------------------

    def put_user(self, user: User) -> None:
        """Register or replace a user."""
        wrong = [r for r in user.roles if r not in ROLES] or ([] if user.roles else [user.role])
        if wrong:
            raise InventoryError(f"user {user.eui}: role {wrong[0]!r} is not one of {', '.join(ROLES)}")
        self.db.execute(
            "INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?)",
            (normalise_eui(user.eui), user.role, user.status, user.certificate),
        )

    def user(self, eui: str) -> User | None:
        """The user ``eui`` or ``None``."""
        row = self.db.execute("SELECT * FROM users WHERE eui = ?", (normalise_eui(eui),)).fetchone()
        return User(**dict(row)) if row else None

    def users(self) -> list[User]:
        """Every registered user."""
        return [User(**dict(r)) for r in self.db.execute("SELECT * FROM users ORDER BY eui")]

    # -- certificates ------------------------------------------------------------------------------------------

    def set_device_certificate(
        self, eui: str, usage: str, cert: Mapping[str, Any] | str, *, smi: bool, device: bool
    ) -> None:
        """Record a device security certificate (``{"serial": ..., "der": hex}`` or a serial) in the SMI + SMKI
        repository (``smi``) and/or on the device (``device``)."""
        if usage not in ("Digital Signature", "Key Agreement"):
            raise InventoryError(f"device {eui}: certificate usage {usage!r} is not Digital Signature/Key Agreement")
        if isinstance(cert, Mapping):
            serial, der = str(cert["serial"]), bytes.fromhex(str(cert.get("der", "")))
        else:
            serial, der = str(cert), b""
        key = normalise_eui(eui)
        if smi:
            self.db.execute("INSERT OR REPLACE INTO smi_device_certs VALUES (?, ?, ?)", (key, usage, serial))
            self.db.execute(
                "INSERT OR REPLACE INTO smki_certs (serial, subject, usage, status, certificate) "
                "VALUES (?, ?, ?, ?, ?)",
                (serial, key, usage, "In Use", der),
            )
        if device:
            self.db.execute("INSERT OR REPLACE INTO sim_device_certs VALUES (?, ?, ?, ?)", (key, usage, serial, der))

    def device_certificates(self, eui: str, *, smi: bool) -> dict[str, str]:
        """usage -> serial, as the SMI records (``smi``) or as the device holds them."""
        table = "smi_device_certs" if smi else "sim_device_certs"
        rows = self.db.execute(f"SELECT usage, serial FROM {table} WHERE device = ?", (normalise_eui(eui),))
        return {r[0]: r[1] for r in rows}

    def device_certificate_der(self, eui: str, usage: str) -> bytes:
        """The DER of the certificate the simulated device holds for ``usage`` (empty when unknown)."""
        row = self.db.execute(
            "SELECT certificate FROM sim_device_certs WHERE device = ? AND usage = ?", (normalise_eui(eui), usage)
        ).fetchone()
        return bytes(row[0]) if row else b""

    def supersede_certificate(self, serial: str) -> None:
        """Mark an SMKI repository entry as superseded by a newer certificate."""
        self.db.execute("UPDATE smki_certs SET status = 'Superseded' WHERE serial = ?", (serial,))

    def smki_search(self, subject: str | None = None, serial: str | None = None) -> list[dict[str, Any]]:
        """SMKI repository entries by subject (device EUI) and/or serial."""
        query, args = "SELECT serial, subject, usage, status, certificate FROM smki_certs WHERE 1=1", []
        if subject is not None:
            query += " AND subject = ?"
            args.append(normalise_eui(subject))
        if serial is not None:
            query += " AND serial = ?"
            args.append(serial)
        return [dict(r) for r in self.db.execute(query + " ORDER BY serial", args)]

    def set_org_certificate(self, eui: str, role: str, usage: str, cert: bytes, *, smi: bool, device: bool) -> None:
        """Record an Organisation Certificate held on a device, in the SMI and/or on the device."""
        row = (normalise_eui(eui), role, usage, cert)
        if smi:
            self.db.execute("INSERT OR REPLACE INTO smi_org_certs VALUES (?, ?, ?, ?)", row)
        if device:
            self.db.execute("INSERT OR REPLACE INTO sim_org_certs VALUES (?, ?, ?, ?)", row)

    def org_certificates(self, eui: str, *, smi: bool) -> dict[tuple[str, str], bytes]:
        """(role, usage) -> certificate DER, as the SMI tracks them (``smi``) or as the device holds them."""
        table = "smi_org_certs" if smi else "sim_org_certs"
        rows = self.db.execute(f"SELECT role, usage, certificate FROM {table} WHERE device = ?", (normalise_eui(eui),))
        return {(r[0], r[1]): bytes(r[2]) for r in rows}

    # -- device-side state and faults ----------------------------------------------------------------------------

    def set_sim_state(self, eui: str, key: str, value: object) -> None:
        """Store a value the simulated device holds (JSON)."""
        self.db.execute(
            "INSERT OR REPLACE INTO sim_state VALUES (?, ?, ?)", (normalise_eui(eui), key, json.dumps(value))
        )

    def sim_state(self, eui: str) -> dict[str, Any]:
        """Everything the simulated device holds, by key."""
        rows = self.db.execute("SELECT key, value FROM sim_state WHERE device = ?", (normalise_eui(eui),))
        return {r[0]: json.loads(r[1]) for r in rows}

    def set_fault(self, eui: str, kind: str, remaining: int = 1) -> None:
        """Give a simulated device a fault for its next ``remaining`` occasions (0 removes it)."""
        if kind not in FAULTS:
            raise InventoryError(f"unknown fault {kind!r} (known: {', '.join(FAULTS)})")
        if remaining <= 0:
            self.db.execute("DELETE FROM faults WHERE device = ? AND kind = ?", (normalise_eui(eui), kind))
        else:
            self.db.execute("INSERT OR REPLACE INTO faults VALUES (?, ?, ?)", (normalise_eui(eui), kind, remaining))

    def take_fault(self, eui: str, kind: str) -> bool:
        """Consume one occurrence of a fault; True when the device had it."""
        key = normalise_eui(eui)
        row = self.db.execute("SELECT remaining FROM faults WHERE device = ? AND kind = ?", (key, kind)).fetchone()
        if row is None:
            return False
        self.set_fault(key, kind, int(row[0]) - 1)
        return True

    def has_fault(self, eui: str, kind: str) -> bool:
        """Whether the device has ``kind`` armed (without consuming it)."""
        row = self.db.execute(
            "SELECT 1 FROM faults WHERE device = ? AND kind = ?", (normalise_eui(eui), kind)
        ).fetchone()
        return row is not None

    # -- counters ----------------------------------------------------------------------------------------------

    def last_counter(self, originator: str) -> int | None:
        """The highest originator counter accepted from ``originator``."""
        row = self.db.execute("SELECT last FROM counters WHERE originator = ?", (normalise_eui(originator),)).fetchone()
        return int(row[0]) if row else None

    def accept_counter(self, originator: str, counter: int) -> None:
        """Remember ``counter`` as the newest from ``originator``."""
        self.db.execute(
            "INSERT INTO counters VALUES (?, ?) ON CONFLICT(originator) DO UPDATE SET last = excluded.last",
            (normalise_eui(originator), counter),
        )

    # -- journal and outbox ------------------------------------------------------------------------------------

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

    def dump(self) -> str:
        """The whole store as SQL text, in a stable order: equal dumps mean equal contents."""
        with self.lock:
            return "\n".join(self.db.iterdump())

    # -- WAN coverage ------------------------------------------------------------------------------------------

    def add_coverage(self, entry: Mapping[str, Any]) -> None:
        """Add one coverage row (one CSP region's answer for a UPRN and/or address)."""
        data = dict(entry)
        variant = data.get("wan_variant")
        region = data.get("region")
        if variant is not None:
            if not isinstance(variant, str) or not 1 <= len(variant) <= 30:
                raise InventoryError(f"coverage entry {entry!r}: WAN variant must be a string of 1 to 30 characters")
            row = chism.variant(variant)
            if region in chism.TABLE_3_REGIONS and row is None:
                raise InventoryError(f"coverage entry {entry!r}: WAN variant {variant!r} is not in CHISM table 3")
            if region in chism.TABLE_3_REGIONS and row is not None and not row.belongs_to(str(region)):
                raise InventoryError(
                    f"coverage entry {entry!r}: WAN variant {variant!r} does not belong to region {region!r}"
                )
        self.db.execute(
            "INSERT INTO wan_coverage (uprn, postcode, address_identifier, region, response_code, available, "
            "anticipated_date, wan_variant, connectivity_likelihood, auxiliary_equipment, additional_information) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                data.get("uprn"),
                data.get("postcode"),
                data.get("address_identifier"),
                region,
                data.get("response_code", "I0"),
                None if data.get("available") is None else int(bool(data["available"])),
                data.get("anticipated_date"),
                variant,
                data.get("connectivity_likelihood"),
                data.get("auxiliary_equipment"),
                data.get("additional_information"),
            ),
        )

    def coverage(
        self, *, uprn: int | None = None, postcode: str | None = None, address_identifier: str | None = None
    ) -> list[dict[str, Any]]:
        """Coverage rows for a UPRN or an address, in region order of insertion."""
        if uprn is not None:
            rows = self.db.execute("SELECT * FROM wan_coverage WHERE uprn = ? ORDER BY id", (uprn,))
        else:
            rows = self.db.execute(
                "SELECT * FROM wan_coverage WHERE postcode = ? AND address_identifier = ? ORDER BY id",
                (postcode, address_identifier),
            )
        return [dict(r) for r in rows]

    # -- local commands and pre-commands -----------------------------------------------------------------------

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

    # -- whole-store operations --------------------------------------------------------------------------------

    def reset(self) -> None:
        """Empty every table."""
        with self.transaction() as db:
            for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                db.execute(f"DELETE FROM {table}")

    def seed(self, data: Mapping[str, Any]) -> None:
        """Load an inventory document (see ``docs/inventory-format.md``) in one transaction."""
        unknown = set(data) - {"devices", "users", "coverage", "version"}
        if unknown:
            raise InventoryError(f"unknown inventory sections {sorted(unknown)} (known: devices, users, coverage)")
        with self.transaction():
            for entry in _entries(data, "devices"):
                self.put_device(entry)
            users: dict[str, User] = {}  # entries for one EUI in one document add up (one user, several roles)
            for entry in _entries(data, "users"):
                try:
                    eui = normalise_eui(str(entry["eui"]))
                    given = entry.get("roles") or [entry["role"]]
                except KeyError as exc:
                    raise InventoryError(f"user entry {entry!r} lacks {exc.args[0]!r}") from None
                except BuildError as exc:
                    raise InventoryError(f"user entry {entry!r}: {exc}") from None
                cert = entry.get("certificate")
                earlier = users.get(eui)
                roles = [*(earlier.roles if earlier else ()), *(str(r) for r in given)]
                users[eui] = User(
                    eui,
                    ",".join(dict.fromkeys(roles)),
                    str(entry.get("status", earlier.status if earlier else "Active")),
                    bytes.fromhex(cert) if cert else (earlier.certificate if earlier else None),
                )
            for user in users.values():
                self.put_user(user)
            for entry in _entries(data, "coverage"):
                self.add_coverage(entry)


def _entries(data: Mapping[str, Any], section: str) -> Iterable[Mapping[str, Any]]:
    items = data.get(section) or []
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise InventoryError(f"inventory section {section!r} must be a list of mappings")
    return items


def load_inventory_file(path: str | Path) -> dict[str, Any]:
    """Read an inventory document from JSON (``.json``) or YAML (anything else)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InventoryError(f"cannot read inventory file {file}: {exc}") from None
    try:
        data = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InventoryError(f"inventory file {file} is not valid {file.suffix or 'YAML'}: {exc}") from None
    if not isinstance(data, dict):
        raise InventoryError(f"inventory file {file} must hold a mapping with devices/users/coverage")
    return data


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

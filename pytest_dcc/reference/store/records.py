"""The store's tables and records: the SQLite schema, the device and user records, the simulated faults, and the
base every part of the store shares (one connection, one transaction per Service Request)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Final

from pytest_dcc.duis.ids import Eui

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

DEVICE_FIELDS: Final = (
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
EUI_FIELDS: Final = frozenset({"chf", "gpf", "supplier"})


@dataclass(frozen=True, slots=True)
class Device:
    """One row of the SMI ``devices`` table."""

    eui: Eui
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
    chf: Eui | None = None
    gpf: Eui | None = None
    supplier: Eui | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Device:
        """A ``devices`` row as a record (its EUIs as :class:`Eui`: stored normalised, so not checked again)."""
        fields = dict(row)
        for name in ("eui", *EUI_FIELDS):
            if fields.get(name) is not None:
                fields[name] = Eui.stored(fields[name])
        return cls(**fields)


@dataclass(frozen=True, slots=True)
class User:
    """A DCC user: EUI-64, role(s), status, XML-signing certificate (DER). One EUI may hold several roles (DCC
    Boxed's test supplier sends both electricity and gas): ``role`` is then the roles joined by commas."""

    eui: Eui
    role: str
    status: str = "Active"
    certificate: bytes | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> User:
        """A ``users`` row as a record (its EUI as an :class:`Eui`)."""
        return cls(**{**dict(row), "eui": Eui.stored(row["eui"])})

    @property
    def roles(self) -> tuple[str, ...]:
        """Every role the user holds, in the order registered."""
        return tuple(r for r in self.role.split(",") if r)


class StoreBase:
    """What every part of the store works on; :class:`pytest_dcc.reference.inventory.Inventory` provides it."""

    db: sqlite3.Connection
    lock: threading.RLock

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One atomic unit (nested calls join the outer one)."""
        raise NotImplementedError


__all__ = [
    "DEVICE_FIELDS",
    "EUI_FIELDS",
    "FAULTS",
    "FAULT_LOSE_RESPONSE",
    "FAULT_REJECT_REJOIN",
    "SCHEMA_SQL",
    "Device",
    "StoreBase",
    "User",
]

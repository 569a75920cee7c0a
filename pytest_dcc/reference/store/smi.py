"""The DCC's view: the Smart Metering Inventory (devices, joins, users), the SMKI repository and the WAN coverage
the CSPs hold. What the DSP believes, kept apart from what the simulated devices hold (:mod:`.simulated`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_dcc.duis.ids import Eui
from pytest_dcc.errors import InventoryError
from pytest_dcc.reference.store.records import DEVICE_FIELDS, Device, StoreBase, User
from pytest_dcc.spec import DEVICE_STATUSES, ROLES


class SmiView(StoreBase):
    """Reads and writes of the DCC's records."""

    def device(self, eui: Eui) -> Device | None:
        """The SMI entry for ``eui`` (any EUI spelling), or ``None``."""
        row = self.db.execute("SELECT * FROM devices WHERE eui = ?", (eui,)).fetchone()
        return Device.from_row(row) if row else None

    def devices_where(self, column: str, value: object) -> list[Device]:
        """Devices whose ``column`` (mpxn, uprn, chf) equals ``value``."""
        if column not in {"mpxn", "uprn", "chf", "gpf"}:
            raise InventoryError(f"cannot select devices by {column}")
        rows = self.db.execute(f"SELECT * FROM devices WHERE {column} = ? ORDER BY eui", (value,)).fetchall()
        return [Device.from_row(r) for r in rows]

    def devices_at(self, postcode: str, address_identifier: str) -> list[Device]:
        """Devices at a property (PostCode and AddressIdentifier)."""
        rows = self.db.execute(
            "SELECT * FROM devices WHERE postcode = ? AND address_identifier = ? ORDER BY eui",
            (postcode, address_identifier),
        ).fetchall()
        return [Device.from_row(r) for r in rows]

    def set_status(self, eui: Eui, status: str) -> None:
        """Change a device's SMI status."""
        if status not in DEVICE_STATUSES:
            raise InventoryError(f"status {status!r} is not one of {', '.join(DEVICE_STATUSES)}")
        self.db.execute("UPDATE devices SET status = ? WHERE eui = ?", (status, eui))

    def update_device(self, eui: Eui, **fields: object) -> None:
        """Change fields of a device (names as in :class:`Device`)."""
        unknown = set(fields) - set(DEVICE_FIELDS) - {"type"}
        if unknown:
            raise InventoryError(f"unknown device fields {sorted(unknown)}")
        if fields:
            sets = ", ".join(f"{k} = ?" for k in fields)
            self.db.execute(f"UPDATE devices SET {sets} WHERE eui = ?", (*fields.values(), eui))

    def delete_device(self, eui: Eui) -> None:
        """Remove a device and its SMI relationships."""
        key = eui
        with self.transaction() as db:
            db.execute("DELETE FROM devices WHERE eui = ?", (key,))
            db.execute("DELETE FROM smi_joins WHERE device = ? OR other = ?", (key, key))

    def device_count(self) -> int:
        """Number of devices in the SMI."""
        return int(self.db.execute("SELECT COUNT(*) FROM devices").fetchone()[0])

    def add_join(self, eui: Eui, other: Eui, *, smi: bool, device: bool) -> None:
        """Record a join in the SMI (``smi``) and/or on the simulated device itself (``device``), the same two
        views every writer of the store names (certificates too)."""
        pair = (eui, other)
        if smi:
            self.db.execute("INSERT OR IGNORE INTO smi_joins VALUES (?, ?)", pair)
        if device:
            self.db.execute("INSERT OR IGNORE INTO sim_joins VALUES (?, ?)", pair)

    def remove_join(self, eui: Eui, other: Eui, *, smi: bool, device: bool) -> None:
        """Remove a join from the SMI and/or the device."""
        pair = (eui, other)
        if smi:
            self.db.execute("DELETE FROM smi_joins WHERE device = ? AND other = ?", pair)
        if device:
            self.db.execute("DELETE FROM sim_joins WHERE device = ? AND other = ?", pair)

    def smi_joined(self, device: Eui, other: Eui) -> bool:
        """Whether the SMI records ``other`` joined to ``device`` (either direction)."""
        a, b = device, other
        row = self.db.execute(
            "SELECT 1 FROM smi_joins WHERE (device = ? AND other = ?) OR (device = ? AND other = ?)", (a, b, b, a)
        ).fetchone()
        return row is not None

    def device_joined(self, device: Eui, other: Eui) -> bool:
        """Whether the simulated device holds the join."""
        row = self.db.execute("SELECT 1 FROM sim_joins WHERE device = ? AND other = ?", (device, other)).fetchone()
        return row is not None

    def joins(self, eui: Eui, *, smi: bool = True) -> list[str]:
        """Devices joined to ``eui`` in the SMI (``smi``) or on the device."""
        table = "smi_joins" if smi else "sim_joins"
        rows = self.db.execute(f"SELECT other FROM {table} WHERE device = ? ORDER BY other", (eui,))
        return [r[0] for r in rows]

    def put_user(self, user: User) -> None:
        """Register or replace a user."""
        wrong = [r for r in user.roles if r not in ROLES] or ([] if user.roles else [user.role])
        if wrong:
            raise InventoryError(f"user {user.eui}: role {wrong[0]!r} is not one of {', '.join(ROLES)}")
        self.db.execute(
            "INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?)",
            (user.eui, user.role, user.status, user.certificate),
        )

    def user(self, eui: Eui) -> User | None:
        """The user ``eui`` or ``None``."""
        row = self.db.execute("SELECT * FROM users WHERE eui = ?", (eui,)).fetchone()
        return User.from_row(row) if row else None

    def users(self) -> list[User]:
        """Every registered user."""
        return [User.from_row(r) for r in self.db.execute("SELECT * FROM users ORDER BY eui")]

    def set_device_certificate(
        self, eui: Eui, usage: str, cert: Mapping[str, Any] | str, *, smi: bool, device: bool
    ) -> None:
        """Record a device security certificate (``{"serial": ..., "der": hex}`` or a serial) in the SMI + SMKI
        repository (``smi``) and/or on the device (``device``)."""
        if usage not in ("Digital Signature", "Key Agreement"):
            raise InventoryError(f"device {eui}: certificate usage {usage!r} is not Digital Signature/Key Agreement")
        if isinstance(cert, Mapping):
            serial, der = str(cert["serial"]), bytes.fromhex(str(cert.get("der", "")))
        else:
            serial, der = str(cert), b""
        key = eui
        if smi:
            self.db.execute("INSERT OR REPLACE INTO smi_device_certs VALUES (?, ?, ?)", (key, usage, serial))
            self.db.execute(
                "INSERT OR REPLACE INTO smki_certs (serial, subject, usage, status, certificate) "
                "VALUES (?, ?, ?, ?, ?)",
                (serial, key, usage, "In Use", der),
            )
        if device:
            self.db.execute("INSERT OR REPLACE INTO sim_device_certs VALUES (?, ?, ?, ?)", (key, usage, serial, der))

    def device_certificates(self, eui: Eui, *, smi: bool) -> dict[str, str]:
        """usage -> serial, as the SMI records (``smi``) or as the device holds them."""
        table = "smi_device_certs" if smi else "sim_device_certs"
        rows = self.db.execute(f"SELECT usage, serial FROM {table} WHERE device = ?", (eui,))
        return {r[0]: r[1] for r in rows}

    def device_certificate_der(self, eui: Eui, usage: str) -> bytes:
        """The DER of the certificate the simulated device holds for ``usage`` (empty when unknown)."""
        row = self.db.execute(
            "SELECT certificate FROM sim_device_certs WHERE device = ? AND usage = ?", (eui, usage)
        ).fetchone()
        return bytes(row[0]) if row else b""

    def supersede_certificate(self, serial: str) -> None:
        """Mark an SMKI repository entry as superseded by a newer certificate."""
        self.db.execute("UPDATE smki_certs SET status = 'Superseded' WHERE serial = ?", (serial,))

    def smki_search(self, subject: Eui | None = None, serial: str | None = None) -> list[dict[str, Any]]:
        """SMKI repository entries by subject (device EUI) and/or serial."""
        query, args = "SELECT serial, subject, usage, status, certificate FROM smki_certs WHERE 1=1", list[object]()
        if subject is not None:
            query += " AND subject = ?"
            args.append(subject)
        if serial is not None:
            query += " AND serial = ?"
            args.append(serial)
        return [dict(r) for r in self.db.execute(query + " ORDER BY serial", args)]

    def set_org_certificate(self, eui: Eui, role: str, usage: str, cert: bytes, *, smi: bool, device: bool) -> None:
        """Record an Organisation Certificate held on a device, in the SMI and/or on the device."""
        row = (eui, role, usage, cert)
        if smi:
            self.db.execute("INSERT OR REPLACE INTO smi_org_certs VALUES (?, ?, ?, ?)", row)
        if device:
            self.db.execute("INSERT OR REPLACE INTO sim_org_certs VALUES (?, ?, ?, ?)", row)

    def org_certificates(self, eui: Eui, *, smi: bool) -> dict[tuple[str, str], bytes]:
        """(role, usage) -> certificate DER, as the SMI tracks them (``smi``) or as the device holds them."""
        table = "smi_org_certs" if smi else "sim_org_certs"
        rows = self.db.execute(f"SELECT role, usage, certificate FROM {table} WHERE device = ?", (eui,))
        return {(r[0], r[1]): bytes(r[2]) for r in rows}

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

    def all_joins(self, *, smi: bool) -> set[tuple[str, str]]:
        """Every (device, other) join the SMI (``smi``) or the devices themselves hold."""
        table = "smi_joins" if smi else "sim_joins"
        return {(r[0], r[1]) for r in self.db.execute(f"SELECT device, other FROM {table}")}

    def statuses(self) -> dict[str, str | None]:
        """Every device's SMI status."""
        return {r[0]: r[1] for r in self.db.execute("SELECT eui, status FROM devices")}


__all__ = ["SmiView"]

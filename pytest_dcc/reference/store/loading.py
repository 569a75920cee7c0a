"""Loading: device and coverage entries validated as they enter (EUIs normalised once, CHISM table 3 checked),
inventory documents seeded in one transaction, files read, the whole store emptied or dumped."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pytest_dcc.duis.ids import Eui
from pytest_dcc.duis.yamlsafe import load_yaml_text, read_bounded
from pytest_dcc.errors import BuildError, ConfigError, InventoryError
from pytest_dcc.reference.store.records import DEVICE_FIELDS, EUI_FIELDS, Device, User
from pytest_dcc.reference.store.smi import SmiView
from pytest_dcc.spec import DEVICE_STATUSES, DEVICE_TYPES, chism

#: (table, column) of every row that belongs to one device.
_DEVICE_COLUMNS = (
    ("devices", "eui"),
    ("smi_joins", "device"),
    ("sim_joins", "device"),
    ("smi_org_certs", "device"),
    ("sim_org_certs", "device"),
    ("smi_device_certs", "device"),
    ("sim_device_certs", "device"),
    ("smki_certs", "subject"),
    ("sim_state", "device"),
    ("faults", "device"),
    ("local_commands", "target"),
    ("pre_commands", "target"),
)


class Loading(SmiView):
    """Entries into the store, and the whole-store operations."""

    def put_device(self, entry: Mapping[str, Any]) -> Device:
        """Insert or replace a device from a mapping (the inventory file's ``devices`` entry)."""
        data = dict(entry)
        try:
            eui = Eui(str(data.pop("eui")))
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
        unknown = set(data) - set(DEVICE_FIELDS)
        if unknown:
            raise InventoryError(f"device {eui}: unknown fields {sorted(unknown)}")
        for name in EUI_FIELDS & set(data):
            if data[name] is not None:
                data[name] = Eui(str(data[name]))
        if data.get("uprn") is not None:
            data["uprn"] = int(data["uprn"])
        row = {"eui": eui, "type": kind, "status": status, **{k: data.get(k) for k in DEVICE_FIELDS}}
        row["manufacturer"] = row["manufacturer"] or ""
        row["model"] = row["model"] or ""
        with self.transaction() as db:
            columns = ", ".join(row)
            db.execute(
                f"INSERT OR REPLACE INTO devices ({columns}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
            )
            for other in joins:
                self.add_join(eui, Eui(str(other)), smi=True, device=True)
            for usage, cert in certificates.items():
                self.set_device_certificate(eui, usage, cert, smi=True, device=True)
        device = self.device(eui)
        assert device is not None
        return device

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

    def reset(self) -> None:
        """Empty every table."""
        with self.transaction() as db:
            for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                db.execute(f"DELETE FROM {table}")

    def forget(self, devices: Iterable[Eui], uprns: tuple[int, int] | None = None) -> None:
        """Forget ``devices`` (their records in both views, joins either way, certificates, simulated state, faults,
        commands issued to them) and the WAN coverage of the UPRNs in ``uprns`` (inclusive): one lane's share of the
        store. Users, counters, the journal and the outbox stay, as do the other devices."""
        euis = sorted(set(devices))
        marks = ", ".join("?" * len(euis))
        with self.transaction() as db:
            if euis:
                for table, column in _DEVICE_COLUMNS:
                    db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", euis)
                for table in ("smi_joins", "sim_joins"):
                    db.execute(f"DELETE FROM {table} WHERE other IN ({marks})", euis)
            if uprns is not None:
                db.execute("DELETE FROM wan_coverage WHERE uprn BETWEEN ? AND ?", uprns)

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
                    eui = Eui(str(entry["eui"]))
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

    def dump(self) -> str:
        """The whole store as SQL text, in a stable order: equal dumps mean equal contents."""
        with self.lock:
            return "\n".join(self.db.iterdump())


def _entries(data: Mapping[str, Any], section: str) -> Iterable[Mapping[str, Any]]:
    items = data.get(section) or []
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise InventoryError(f"inventory section {section!r} must be a list of mappings")
    return items


#: Largest inventory file read as JSON (the C parser is fast; YAML has :mod:`pytest_dcc.duis.yamlsafe`'s limit).
MAX_JSON_BYTES = 16 * 1024 * 1024


def load_inventory_file(path: str | Path) -> dict[str, Any]:
    """Read an inventory document from JSON (``.json``) or YAML (anything else), with bounded work (size, YAML
    alias expansion, depth: :mod:`pytest_dcc.duis.yamlsafe`); :class:`InventoryError`, one line naming the file."""
    file = Path(path)
    name = f"inventory file {file}"
    try:
        if file.suffix == ".json":
            data = _json(read_bounded(file, name, MAX_JSON_BYTES), name)
        else:
            data = load_yaml_text(read_bounded(file, name), name)
    except InventoryError:
        raise
    except ConfigError as exc:
        raise InventoryError(str(exc)) from None
    if not isinstance(data, dict):
        raise InventoryError(f"inventory file {file} must hold a mapping with devices/users/coverage")
    return data


def _json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InventoryError(f"{name} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise InventoryError(f"{name} is refused: it nests too deeply") from None


__all__ = ["MAX_JSON_BYTES", "Loading", "load_inventory_file"]

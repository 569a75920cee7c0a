"""The implementation statement (``--dcc-statement FILE``): what an endpoint claims and offers, and the
expected-failures file (``--dcc-expected-failures FILE``).

Statement (YAML)::

    release: 2021-06              # the SEC release claimed (overrides --dcc-release when both agree or only this)
    schema_version: "5.1"         # DUIS schema version of the requests
    users:                        # the user roles and EUI-64s the suite may act as (a role listed again gives
      - {role: IS, eui: 90-B3-D5-1F-30-01-00-00}   # the next parallel lane its own user of that role)
    srvs:                         # the SRVs the endpoint supports, with their command variants
      "8.13": [8]
      "6.24.2": [4, 5]
    devices:                      # the device pool (IXIT): EUI-64 and type; with -n N the k-th device of each
      - {eui: 00-DB-12-34-56-78-90-A0, type: ESME}   # type is lane k's (a type listed at all: N times or more)
    joins:                        # optional: the joins the SMI holds between pool devices (any other pair of
      - {device: 00-DB-12-34-56-78-90-A0, other: 00-DB-12-34-56-78-90-9A}   # the pool is declared not joined)
    spare_devices:                # optional: devices the endpoint does not know yet, for a hub in a status the
      - {eui: 00-DB-12-34-56-78-91-A2, type: CHF}   # pool's cannot be put back from (the n-th CHF with the n-th GPF,
      - {eui: 00-DB-12-34-56-78-91-A3, type: GPF}   # pre-notified with SR 12.2; a Pending CHF moved on is used up)
    coverage_addresses:           # optional: premises SR 12.1 may be asked about (a UPRN, or postcode + address)
      - {uprn: 100023336956}
      - {postcode: M22 0RR, address_identifier: Threapwood Road}
    chism_column: DCC 2.0         # optional: the CHISM table 3 column the endpoint answers in (else either)
    refusal_codes:                # optional: the endpoint's code for a refusal case whose code DUIS does not
      threshold-index-duplicate: E010102   # publish (pytest_dcc/spec/refusals.py); linted against the SR's codes
    dsp_eui: 90-B3-D5-1F-30-00-00-02   # optional: the EUI-64 the DSP's response-signing certificates name (the
                                  # default); only a certificate naming it may sign what the suite judges

A scenario that exercises an SRV the statement does not declare is NOT_APPLICABLE, with that reason. A declared
refusal code is held to: the endpoint must refuse that case with exactly that code (and the verdict says so).

Expected failures (YAML)::

    - id: "MP178-UNJOIN"          # a clause ID, a scenario name, or a test node ID
      reason: "unjoin validation still on; vendor ticket"
      ticket: ABC-123
      expires: 2027-01-31         # after this date the entry no longer applies
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from pytest_dcc.duis.ids import normalise_eui
from pytest_dcc.duis.yamlsafe import load_yaml
from pytest_dcc.errors import BuildError, ConfigError
from pytest_dcc.spec import DCC_EUI, DEVICE_TYPES, ROLES, SCHEMA_VERSIONS, SRVS
from pytest_dcc.spec.chism import COLUMNS
from pytest_dcc.spec.refusals import REFUSAL_CASES, declarable
from pytest_dcc.spec.releases import release


@dataclass(frozen=True)
class Statement:
    """A checked implementation statement."""

    path: Path
    release: str
    schema_version: str | None
    users: dict[str, str]  # role -> EUI
    srvs: dict[str, tuple[int, ...]]
    devices: dict[str, str]  # EUI -> type
    chism_column: str | None = None  # "DCC 1.3" or "DCC 2.0": the table 3 column the endpoint answers in
    refusal_codes: dict[str, str] = field(default_factory=dict)  # refusal case -> the endpoint's code
    joins: frozenset[tuple[str, str]] | None = None  # (device, other) pairs the SMI holds; None: not declared
    coverage_addresses: tuple[dict[str, Any], ...] = ()  # SR 12.1 queries: {"uprn"} or {"postcode", "address..."}
    spare_devices: tuple[tuple[str, str], ...] = ()  # (EUI, type) of devices to pre-notify, each once per run
    user_pool: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role -> every user of it, in order
    dsp_eui: str | None = None  # the DSP's response-signing EUI-64, when the statement declares one

    def missing_srv(self, srvs: list[str]) -> str | None:
        """The first of ``srvs`` the statement does not declare."""
        return next((s for s in srvs if s not in self.srvs), None)


def _load_yaml(path: Path, what: str) -> Any:
    """The YAML document of a file a user gives, within :mod:`pytest_dcc.duis.yamlsafe`'s limits (size, alias
    expansion, depth): :class:`ConfigError`, one line naming the file and the limit, when refused."""
    return load_yaml(path, f"the {what} {path}")


def load_statement(path: Path) -> Statement:
    """Read and lint a statement; :class:`ConfigError` lists every problem."""
    data = _load_yaml(path, "implementation statement")
    if not isinstance(data, dict):
        raise ConfigError(f"the implementation statement {path} must be a mapping")
    problems: list[str] = []
    unknown = set(data) - KNOWN_KEYS
    if unknown:
        problems.append(f"unknown keys {sorted(unknown, key=str)}")
    claimed, schema = _read_release(data, problems), _read_schema(data, problems)
    pool = _read_users(data, problems)
    users = {role: euis[0] for role, euis in pool.items()}
    srvs = _read_srvs(data, problems, users)
    devices = _read_devices(data, problems)
    column = data.get("chism_column")
    if column is not None and (not isinstance(column, str) or column not in COLUMNS):
        problems.append(f"chism_column {_shown(column)} is not one of {', '.join(repr(c) for c in COLUMNS)}")
    codes = _read_codes(data, problems, schema)
    joins = _read_joins(data, problems, devices)
    addresses = _read_addresses(data, problems)
    spares = _read_spares(data, problems, devices)
    dsp = _read_dsp(data, problems)
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(f"implementation statement {path}:\n{listed}")
    return Statement(
        path,
        claimed,
        str(schema) if schema is not None else None,
        users,
        srvs,
        devices,
        chism_column=str(column) if column is not None else None,
        refusal_codes=codes,
        joins=joins,
        coverage_addresses=addresses,
        spare_devices=spares,
        user_pool={role: tuple(euis) for role, euis in pool.items()},
        dsp_eui=dsp,
    )


#: The keys a statement may have.
KNOWN_KEYS: Final = frozenset(
    {"release", "schema_version", "users", "srvs", "devices", "chism_column", "refusal_codes", "joins"}
    | {"coverage_addresses", "spare_devices", "dsp_eui"}
)


def _kind(value: Any) -> str:
    """What a YAML value is, for a problem line."""
    if value is None:
        return "null"
    names = {dict: "a mapping", list: "a list", str: "text", bool: "a boolean", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    """A value of the file as a problem line shows it: its repr, 80 characters at most."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:80]}..."


def _section(data: dict[str, Any], key: str, problems: list[str], shape: type, what: str) -> Any:
    """The section ``key`` when it is of ``shape`` (list or dict); absent or null: an empty one; anything else: a
    problem (and an empty one)."""
    value = data.get(key)
    if value is None:
        return shape()
    if not isinstance(value, shape):
        problems.append(f"{key} must be {what} (it is {_kind(value)}: {_shown(value)})")
        return shape()
    return value


def _entries(data: dict[str, Any], key: str, problems: list[str], example: str) -> list[dict[str, Any]]:
    """The entries of list section ``key`` that are mappings; the section not a list, or an entry not a mapping:
    a problem each."""
    entries = []
    for number, entry in enumerate(_section(data, key, problems, list, f"a list of mappings such as {example}"), 1):
        if isinstance(entry, dict):
            entries.append(entry)
        else:
            problems.append(f"{key}: entry {number} ({_shown(entry)}) must be a mapping such as {example}")
    return entries


def _text(entry: dict[str, Any], key: str) -> str | None:
    """Field ``key`` of a mapping as text when it is a scalar (text or a number), else None."""
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value)


def dsp_eui_of(statement: Statement | None) -> str:
    """The EUI-64 of the DSP's response-signing identity: the statement's ``dsp_eui``, else the DCC's."""
    return (statement.dsp_eui if statement is not None else None) or DCC_EUI


def _read_dsp(data: dict[str, Any], problems: list[str]) -> str | None:
    """The DSP's response-signing EUI-64 declared (normalised), or None."""
    if data.get("dsp_eui") is None:
        return None
    try:
        return normalise_eui(str(data["dsp_eui"]))
    except BuildError as exc:
        problems.append(f"dsp_eui: {exc}")
        return None


def _read_release(data: dict[str, Any], problems: list[str]) -> str:
    """The release claimed (``latest`` resolved)."""
    claimed = str(data.get("release", "latest"))
    try:
        claimed = release(claimed).name
    except ValueError as exc:
        problems.append(f"release: {exc}")
    return claimed


def _read_schema(data: dict[str, Any], problems: list[str]) -> Any:
    """The schema version given (checked), or None."""
    schema = data.get("schema_version")
    if schema is not None and str(schema) not in SCHEMA_VERSIONS:
        problems.append(f"schema_version {schema!r} is not one of {', '.join(SCHEMA_VERSIONS)}")
    return schema


def _read_users(data: dict[str, Any], problems: list[str]) -> dict[str, list[str]]:
    """role -> its users' EUIs, in the order listed (the first is the run's; the k-th is parallel lane k's)."""
    users: dict[str, list[str]] = {}
    for entry in _entries(data, "users", problems, "{role: IS, eui: 90-B3-D5-1F-30-01-00-00}"):
        role, eui = _text(entry, "role"), _text(entry, "eui")
        if role is None or role not in ROLES:
            problems.append(
                f"user {_shown(entry.get('eui'))}: role {_shown(entry.get('role'))} is not one of {', '.join(ROLES)}"
            )
            continue
        try:
            key = normalise_eui(eui or "")
        except BuildError:
            problems.append(f"user {role}: {_shown(entry.get('eui'))} is not an EUI-64")
            continue
        if key in users.get(role, []):
            problems.append(f"user {key} is listed twice in role {role}")
            continue
        users.setdefault(role, []).append(key)
    return users


def _read_srvs(data: dict[str, Any], problems: list[str], users: dict[str, str]) -> dict[str, tuple[int, ...]]:
    """SRV -> the command variants declared (each one DUIS allows, sent by one of the users)."""
    srvs: dict[str, tuple[int, ...]] = {}
    declared = _section(data, "srvs", problems, dict, "a mapping of SRV to command variants such as {'8.13': [8]}")
    for srv, cvs in declared.items():
        key = str(srv)
        variant = SRVS.get(key)
        if variant is None:
            problems.append(f"srvs: {_shown(key)} is not a DUIS Service Reference Variant")
            continue
        values = _command_variants(key, cvs, problems)
        if values is None:
            continue
        values = values or variant.command_variants
        wrong = [c for c in values if c not in variant.command_variants]
        if wrong:
            allowed = ", ".join(map(str, variant.command_variants))
            problems.append(f"srvs: SRV {key} does not take command variant(s) {wrong} (DUIS allows {allowed})")
        eligible = [r for r in users if r in variant.roles]
        if users and not eligible:
            problems.append(
                f"srvs: SRV {key} may be sent by {', '.join(variant.roles)}; the statement's users are "
                f"{', '.join(users)}"
            )
        srvs[key] = values
    return srvs


def _command_variants(srv: str, cvs: Any, problems: list[str]) -> tuple[int, ...] | None:
    """The command variants listed for ``srv`` (empty: none listed, so all), or None (a problem) when ``cvs`` is
    not null or a list of integers."""
    if cvs is None:
        return ()
    whole = isinstance(cvs, list) and all(isinstance(c, int) and not isinstance(c, bool) for c in cvs)
    if not whole:
        problems.append(f"srvs: SRV {srv}: the command variants must be a list of integers (it is {_shown(cvs)})")
        return None
    return tuple(cvs)


def _read_devices(data: dict[str, Any], problems: list[str]) -> dict[str, str]:
    """The device pool: EUI -> type."""
    devices: dict[str, str] = {}
    for entry in _entries(data, "devices", problems, "{eui: 00-DB-12-34-56-78-90-A0, type: ESME}"):
        kind, eui = _text(entry, "type"), entry.get("eui")
        if kind is None or kind not in DEVICE_TYPES:
            problems.append(
                f"device {_shown(eui)}: type {_shown(entry.get('type'))} is not one of {', '.join(DEVICE_TYPES)}"
            )
            continue
        try:
            devices[normalise_eui(_text(entry, "eui") or "")] = kind
        except BuildError:
            problems.append(f"device {_shown(eui)} is not an EUI-64")
    return devices


def _read_codes(data: dict[str, Any], problems: list[str], schema: Any) -> dict[str, str]:
    """refusal case -> the code the endpoint answers (each declarable for its case)."""
    codes: dict[str, str] = {}
    raw_codes = _section(data, "refusal_codes", problems, dict, "a mapping of refusal case to response code")
    version = str(schema) if schema is not None and str(schema) in SCHEMA_VERSIONS else "5.4"
    for case_id, code in raw_codes.items():
        case = REFUSAL_CASES.get(str(case_id))
        if case is None:
            problems.append(f"refusal_codes: {_shown(case_id)} is not a refusal case ({', '.join(REFUSAL_CASES)})")
            continue
        if not isinstance(code, str):
            problems.append(f"refusal_codes: {case_id}: the code must be text such as E010102 (it is {_shown(code)})")
            continue
        why = declarable(case, str(code), version)  # type: ignore[arg-type]
        if why:
            problems.append(f"refusal_codes: {case_id}: {why}")
            continue
        codes[case.id] = str(code)
    return codes


def _read_joins(
    data: dict[str, Any], problems: list[str], devices: dict[str, str]
) -> frozenset[tuple[str, str]] | None:
    """The (device, other) joins the SMI holds, among the pool (None: not declared)."""
    joins: set[tuple[str, str]] | None = None
    if "joins" in data:
        joins = set()
        for entry in _entries(data, "joins", problems, "{device: EUI, other: EUI}"):
            if not {"device", "other"} <= set(entry):
                problems.append(f"joins: {_shown(entry)} needs 'device' and 'other'")
                continue
            try:
                pair = (normalise_eui(_text(entry, "device") or ""), normalise_eui(_text(entry, "other") or ""))
            except BuildError:
                problems.append(f"joins: {_shown(entry)}: not an EUI-64")
                continue
            strangers = [eui for eui in pair if eui not in devices]
            if strangers:
                problems.append(f"joins: {', '.join(strangers)} is not in the statement's device pool")
                continue
            joins.add(pair)
    return frozenset(joins) if joins is not None else None


def _read_addresses(data: dict[str, Any], problems: list[str]) -> tuple[dict[str, Any], ...]:
    """The SR 12.1 queries."""
    addresses = []
    listed = _section(data, "coverage_addresses", problems, list, "a list of {uprn: N} or {postcode: P, ...}")
    for entry in listed:
        why = _coverage_address_problem(entry)
        if why:
            problems.append(f"coverage_addresses: {_shown(entry)}: {why}")
            continue
        addresses.append(dict(entry))
    return tuple(addresses)


def _read_spares(data: dict[str, Any], problems: list[str], devices: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """Spare devices to pre-notify: (EUI, type), none of them in the pool."""
    spares: list[tuple[str, str]] = []
    for entry in _entries(data, "spare_devices", problems, "{eui: 00-DB-12-34-56-78-91-A2, type: CHF}"):
        kind = _text(entry, "type")
        try:
            spare = normalise_eui(_text(entry, "eui") or "")
        except BuildError:
            problems.append(f"spare_devices: {_shown(entry.get('eui'))} is not an EUI-64")
            continue
        if kind is None or kind not in DEVICE_TYPES:
            problems.append(f"spare_devices: {_shown(entry)}: type must be one of {', '.join(DEVICE_TYPES)}")
        elif spare in devices:
            problems.append(f"spare_devices: {spare} is in the device pool; a spare is a device the endpoint lacks")
        else:
            spares.append((spare, kind))
    return tuple(spares)


def _coverage_address_problem(entry: Any) -> str | None:
    """Why ``entry`` is not an SR 12.1 query (the XSD's UPRN, or PostCode 6-8 and AddressIdentifier up to 30)."""
    if not isinstance(entry, dict):
        return "must be {uprn: N} or {postcode: P, address_identifier: A}"
    if set(entry) == {"uprn"}:
        uprn = entry["uprn"]
        ok = isinstance(uprn, int) and not isinstance(uprn, bool) and 0 < uprn < 10**12
        return None if ok else "uprn must be a positive integer of at most 12 digits"
    if set(entry) == {"postcode", "address_identifier"}:
        postcode, address = _text(entry, "postcode"), _text(entry, "address_identifier")
        if postcode is None or address is None:
            return "postcode and address_identifier must be text"
        if not 6 <= len(postcode) <= 8:
            return "postcode must be 6 to 8 characters"
        if not 1 <= len(address) <= 30:
            return "address_identifier must be 1 to 30 characters"
        return None
    return "must be {uprn: N} or {postcode: P, address_identifier: A}"


@dataclass(frozen=True)
class ExpectedFailure:
    """One entry of the expected-failures file."""

    id: str
    reason: str
    ticket: str = ""
    expires: date | None = None

    def matches(self, nodeid: str, name: str, clauses: list[str]) -> bool:
        return self.id in (nodeid, name) or self.id in clauses

    def active(self, today: date) -> bool:
        return self.expires is None or today <= self.expires


@dataclass(frozen=True)
class ExpectedFailures:
    """The expected-failures file."""

    path: Path | None
    entries: tuple[ExpectedFailure, ...] = field(default_factory=tuple)

    def find(self, nodeid: str, name: str, clauses: list[str]) -> ExpectedFailure | None:
        return next((e for e in self.entries if e.matches(nodeid, name, clauses)), None)


def load_expected_failures(path: Path) -> ExpectedFailures:
    """Read the expected-failures file; every entry needs ``id`` and ``reason`` (text), ``ticket`` is text and
    ``expires`` a date; :class:`ConfigError`, one line naming the file and every entry's problem, otherwise."""
    data = _load_yaml(path, "expected-failures file")
    if not isinstance(data, list):
        raise ConfigError(f"the expected-failures file {path} must be a list of entries (it is {_kind(data)})")
    entries, problems = [], []
    for number, entry in enumerate(data, 1):
        read = _expected_failure(entry)
        if isinstance(read, str):
            problems.append(f"entry {number}: {read}")
        else:
            entries.append(read)
    if problems:
        raise ConfigError(f"the expected-failures file {path}: {'; '.join(problems)}")
    return ExpectedFailures(path, tuple(entries))


def _expected_failure(entry: Any) -> ExpectedFailure | str:
    """One entry of the expected-failures file, or why it is not one."""
    if not isinstance(entry, dict) or not _filled(entry.get("id")) or not _filled(entry.get("reason")):
        return f"'id' and 'reason' are required, each text (the entry is {_shown(entry)})"
    ticket = entry.get("ticket")
    if ticket is not None and not isinstance(ticket, str) and not _filled(ticket):
        return f"ticket must be text (it is {_shown(ticket)})"
    expires = entry.get("expires")
    if isinstance(expires, datetime):
        expires = expires.date()
    elif expires is not None and not isinstance(expires, date):
        try:
            expires = date.fromisoformat(expires) if isinstance(expires, str) and len(expires) == 10 else None
        except ValueError:
            expires = None
        if expires is None:
            return f"expires {_shown(entry['expires'])} is not a date (YYYY-MM-DD)"
    return ExpectedFailure(str(entry["id"]), str(entry["reason"]), "" if ticket is None else str(ticket), expires)


def _filled(value: Any) -> bool:
    """Whether ``value`` is non-blank text (or a number, which YAML makes of an unquoted ID or ticket)."""
    if isinstance(value, bool):
        return False
    return (isinstance(value, str) and bool(value.strip())) or isinstance(value, int | float)


__all__ = ["dsp_eui_of", "ExpectedFailure", "ExpectedFailures", "Statement", "load_expected_failures", "load_statement"]

"""``dcc-conformance statement-skeleton``: the start of an implementation statement for an endpoint whose estate is
its own (DCC Boxed, a vendor's test system), read from the endpoint over DUIS.

It sends SR 8.2 Read Inventory for one premises (a UPRN, or a postcode and address identifier) as the given user,
judges the answer like any other (schema, DSP signature), and writes a statement: the release to claim, the user
in the roles its requests need, every device of the premises as the device pool, the premises as a coverage
address, and the SRVs the bundled suite exercises with the command variants DUIS allows them. What the endpoint
cannot tell over DUIS is left for the vendor to declare, and the file says so: which pool pairs the SMI joins
(``joins:``), and the codes of ``refusal_codes:``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from pytest_dcc.duis.build import RequestBuilder
from pytest_dcc.duis.ids import COUNTERS_FILE, CounterStore, normalise_eui
from pytest_dcc.duis.pki import load_or_create_pki
from pytest_dcc.duis.samples import IN_SCOPE_SRVS
from pytest_dcc.duis.schema import load_schema
from pytest_dcc.errors import ConfigError
from pytest_dcc.spec import SRVS
from pytest_dcc.transport.admission import ResponseJudge
from pytest_dcc.transport.client import DuisClient, Purpose

HEADER = """# Implementation statement skeleton written by dcc-conformance statement-skeleton from SR 8.2 of {query}
# at {endpoint}. Check every entry; then declare what DUIS cannot tell:
#   devices:        add those SR 8.2 does not list at the premises (a CAD registered elsewhere)
#   joins:          the pool pairs the SMI holds joined (an empty list declares none)
#   refusal_codes:  the code your endpoint uses for a refusal case whose code is not published (optional)
#   chism_column:   "DCC 1.3" or "DCC 2.0" if your endpoint answers SR 12.1 in one CHISM table 3 column only
# Format: pytest_dcc/statement.py; lint: dcc-conformance --dcc-statement FILE --collect-only -q
"""


def _srvs() -> dict[str, list[int]]:
    """Every SRV the bundled suite exercises, with every command variant DUIS allows it (strike what the endpoint
    does not support: its scenarios become NOT_APPLICABLE)."""
    return {srv: list(SRVS[srv].command_variants) for srv in IN_SCOPE_SRVS}


def skeleton(
    endpoint: str,
    pki_dir: Path,
    user: str,
    query: Mapping[str, Any],
    *,
    state_dir: Path,
    release: str = "latest",
    timeout_s: float = 10,
) -> dict[str, Any]:
    """The statement document for the premises ``query`` (``{"uprn": N}`` or ``{"postcode", "address_identifier"}``).
    The user's originator counter is the suite's (``state_dir``'s counters.json, as ``--dcc-state-dir``): a run
    straight after never sends a counter below this one's, and the key folder is read, never written."""
    from pytest_dcc.transport.http import HttpTransport

    pki = load_or_create_pki(pki_dir, [user])
    judge = ResponseJudge(load_schema(None), pki.dsp_trust())
    builder = RequestBuilder(normalise_eui(user), CounterStore(state_dir / COUNTERS_FILE))
    with HttpTransport(endpoint, judge, timeout_s=timeout_s) as transport:
        transport.probe()  # a server started a moment ago gets a few seconds to bind its port
        client = DuisClient.of_user(builder, transport, pki.identity(user))
        answer = client.request("8.2", purpose=Purpose.JUDGED_READ, **dict(query))
    if answer.code != "I0":
        raise ConfigError(f"SR 8.2 for {dict(query)} was answered {answer.code}: no inventory to describe")
    devices = [{"eui": d.device_id, "type": d.device_type} for d in answer.judged.response.inventory]
    return {
        "release": release,
        "users": [{"role": "IS", "eui": normalise_eui(user)}, {"role": "GS", "eui": normalise_eui(user)}],
        "srvs": _srvs(),
        "devices": devices,
        "coverage_addresses": [dict(query)],
    }


def write_skeleton(document: Mapping[str, Any], path: Path, endpoint: str) -> None:
    query = document["coverage_addresses"][0]
    text = HEADER.format(query=query, endpoint=endpoint) + yaml.safe_dump(_plain(document), sort_keys=False)
    path.write_text(text, encoding="utf-8")


def _plain(value: Any) -> Any:
    """``value`` with plain ``str`` for every string (an :class:`~pytest_dcc.duis.ids.Eui` included), which is all
    YAML's safe dumper writes."""
    if isinstance(value, Mapping):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


__all__ = ["skeleton", "write_skeleton"]

"""Black-box mutation blocks for the partitions of a rule's domain (issue 25): one variant, region, boundary or
step treated otherwise than the text says, the rest left correct."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from lxml import etree

from pytest_dcc.duis.endpoint import HttpReply
from pytest_dcc.errors import DccError
from pytest_dcc.spec import NS_SR
from qa.mutants.blocks import join_pair, record_smi_join, repair_indexes, set_text, thresholds
from qa.mutants.endpoint import Call, MutatingEndpoint, RequestHook

_SR: Final = f"{{{NS_SR}}}"


def refused_too_late(proxy: MutatingEndpoint, call: Call) -> Call | HttpReply | None:
    """The endpoint lets a 1.1.1 with bad indexes through at CV 4 (a pre-command comes back) and refuses only its
    signed pre-command, with E17: the refusal is not the answer to the request that carried the input."""
    if call.srv == "1.1.1" and call.cv in (5, 6) and call.request_id in proxy.memo.get("late", set()):
        return proxy.answer(call, "E17")
    repaired = repair_indexes(proxy, call)
    if repaired is not None:
        proxy.memo.setdefault("late", set()).add(call.request_id)
    return repaired


def order_repaired(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """The endpoint checks the index set, not its order: 1.1.1 with indexes 2,1 is taken as 1,2."""
    nodes = thresholds(call)
    if sorted(n.get("index") or "" for n in nodes) != [str(i) for i in range(1, len(nodes) + 1)]:
        return None  # not the set 1..n: another mutant's case
    return repair_indexes(proxy, call)


def zero_threshold(call: Call) -> bool:
    return call.srv == "1.1.1" and any((n.text or "").strip() == "0" for n in thresholds(call))


def south_cellular_as_mesh(row: etree._Element) -> bool:
    """South answers Cellular+Mesh where the CSP gave Cellular: a table 3 value of South, not the one given."""
    if (row.findtext(f"{_SR}CSPRegion") or "").strip() != "South":
        return False
    return set_text(row, "WANTechnology", {"Cellular": "Cellular+Mesh"})


def install_time(call: Call) -> tuple[etree._Element, datetime] | None:
    """The InstallDateTime element of an SR 8.14.2 and the instant it names."""
    if call.srv != "8.14.2" or call.root is None:
        return None
    node = call.root.find(f".//{_SR}InstallDateTime")
    if node is None or not node.text:
        return None
    try:
        moment = datetime.fromisoformat(node.text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return node, moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def install_offset_ignored(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """The endpoint reads an InstallDateTime's clock as UTC, ignoring the offset it is written with."""
    found = install_time(call)
    if found is None or found[1].utcoffset() == timedelta(0):
        return None
    node, moment = found
    node.text = moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    return proxy.resigned(call, call.root)  # type: ignore[arg-type]


def install_window(ahead: timedelta, behind: timedelta) -> RequestHook:
    """E081402 moved off now: install times up to ``ahead`` in the future pass as now, and those up to ``behind``
    in the past are refused E081402."""

    def hook(proxy: MutatingEndpoint, call: Call) -> Call | HttpReply | None:
        found = install_time(call)
        if found is None:
            return None
        node, moment = found
        now = datetime.now(UTC)
        if now - behind <= moment <= now:
            return proxy.answer(call, "E081402")
        if now < moment <= now + ahead:
            node.text = (now - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            return proxy.resigned(call, call.root)  # type: ignore[arg-type]
        return None

    return hook


def unjoin_variant_only(srv: str, *, check: bool) -> RequestHook:
    """E080801 applied to one Unjoin variant otherwise than the release says: ``check`` True refuses ``srv`` without
    an SMI join (as before MP178, whatever the release); False lets ``srv`` through without one (the SMI join is
    taken for granted, as after MP178)."""

    def hook(proxy: MutatingEndpoint, call: Call) -> HttpReply | None:
        pair = join_pair(call)
        if call.srv != srv or call.cv not in (1, 4) or pair is None:
            return None
        try:
            held = pair[1] in proxy.control.device_view(pair[0])["smi"].get("joins", [])
        except (KeyError, LookupError, DccError):
            return None
        if check and not held:
            return proxy.answer(call, "E080801")
        if not check and not held:
            record_smi_join(proxy, call)
        return None

    return hook


__all__ = [
    "install_time",
    "install_offset_ignored",
    "install_window",
    "order_repaired",
    "refused_too_late",
    "south_cellular_as_mesh",
    "unjoin_variant_only",
    "zero_threshold",
]

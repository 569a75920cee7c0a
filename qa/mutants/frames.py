"""Black-box mutation blocks for the frame check and for requests accepted but never carried out (issue 25, items 2
and 3): the endpoint does what the clause says and something more, or acknowledges a request and never sends it."""

from __future__ import annotations

from pytest_dcc.duis.endpoint import HttpReply
from pytest_dcc.errors import DccError
from qa.mutants.blocks import after, delivery_for, join_pair
from qa.mutants.endpoint import Call, MutatingEndpoint, RequestHook
from qa.mutants.mutant import Mutant


def _device_joins(proxy: MutatingEndpoint, eui: str) -> set[str]:
    try:
        return set(proxy.control.device_view(eui)["device"]["joins"])
    except (DccError, LookupError, KeyError, TypeError):
        return set()


def acknowledged_never_sent(srvs: tuple[str, ...], *, held: bool) -> RequestHook:
    """The endpoint answers I99 to a Join/Unjoin of ``srvs`` (CV 1, or the signed pre-command CV 5) and never sends
    the command: only where the device's join is ``held`` already (Unjoin) or not yet (Join), so its absence shows."""

    def hook(proxy: MutatingEndpoint, call: Call) -> Call | HttpReply | None:
        pair = join_pair(call)
        if call.srv not in srvs or call.cv not in (1, 5) or pair is None:
            return None
        if (pair[1] in _device_joins(proxy, pair[0])) != held:
            return None
        return proxy.answer(call, "I99")

    return hook


def hub_joined_too(proxy: MutatingEndpoint, call: Call) -> None:
    """A join recorded from a device's response is recorded with the device's Communications Hub as well."""
    pair = join_pair(call)
    if pair is None:
        return
    try:
        hub = proxy.control.device_view(pair[0])["smi"].get("chf")
    except (DccError, LookupError, KeyError, TypeError):
        return
    if hub:
        proxy.control.set_join(pair[0], hub, smi=True, device=False)


def local_join_replaces_joins(proxy: MutatingEndpoint, call: Call) -> None:
    """An 8.13 returning a locally delivered Join makes the new pair the device's only join in the SMI (the DSP
    overwrites the list instead of adding to it)."""
    original = proxy.calls.get(call.text("OriginalRequestID") or "")
    pair = join_pair(original) if original is not None and original.srv in ("8.7.1", "8.7.2") else None
    if pair is None:
        return
    try:
        recorded = set(proxy.control.device_view(pair[0])["smi"]["joins"])
    except (DccError, LookupError, KeyError, TypeError):
        return
    for other in recorded - {pair[1]}:
        proxy.control.set_join(pair[0], other, smi=True, device=False, remove=True)


def is_accepted_8_13(call: Call, code: str | None) -> bool:
    return call.srv == "8.13" and code in ("I0", "I99")


def mutations() -> list[Mutant]:
    """The frame check's and item 3's wrong endpoints (black box), each owned by the clauses whose scenarios see it."""
    bb, joins = "black-box", ("8.7.1", "8.7.2")
    join, rejoin = frozenset({"DP178-SMI-JOIN"}), frozenset({"DP178-REJOIN"})
    return [
        Mutant("unjoin-acknowledged-never-sent", "8.8.x answered I99 and never sent to the device (MP178)", bb,
               frozenset({"MP178-UNJOIN"}), request=acknowledged_never_sent(("8.8.1", "8.8.2"), held=True)),
        Mutant("join-acknowledged-never-sent", "8.7.x answered I99 and never sent to the device", bb,
               join | rejoin, request=acknowledged_never_sent(joins, held=False)),
        Mutant("join-recorded-with-the-hub-too", "a join response also records a join with the device's CHF", bb,
               join | rejoin, delivery=delivery_for(joins, ("I0",), hub_joined_too)),
        Mutant("local-join-replaces-the-joins", "an 8.13 returning a local Join forgets the device's other joins",
               bb, frozenset({"MP081-DUIS-3.8.112.2"}), reply=after(is_accepted_8_13, local_join_replaces_joins)),
    ]  # fmt: skip


__all__ = [
    "acknowledged_never_sent",
    "hub_joined_too",
    "is_accepted_8_13",
    "local_join_replaces_joins",
    "mutations",
]

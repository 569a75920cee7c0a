"""The building blocks of the mutations: hooks on a request, a reply or a delivery, and the edits they make."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from lxml import etree

from pytest_dcc.duis.endpoint import HttpReply
from pytest_dcc.duis.signing import sign
from pytest_dcc.errors import DccError
from pytest_dcc.spec import NS_DS, NS_SR, path_for_cv
from qa.mutants.endpoint import Call, DeliveryHook, MutatingEndpoint, ReplyHook, RequestHook
from qa.mutants.mutant import Mutant

_SR: Final = f"{{{NS_SR}}}"
_DS: Final = f"{{{NS_DS}}}"


def srv_is(*srvs: str) -> Callable[[Call], bool]:
    return lambda call: call.srv in srvs


def recode(when: Callable[[Call], bool], codes: Mapping[str, str]) -> ReplyHook:
    """Answers ``codes`` keys rewritten to their values, for the calls ``when`` selects."""

    def hook(proxy: MutatingEndpoint, call: Call, reply: HttpReply) -> HttpReply:
        code = proxy.code_of(reply)
        if when(call) and code is not None and code in codes:
            return proxy.recode(reply, codes[code])
        return reply

    return hook


def refuse(when: Callable[[Call], bool], code: str) -> RequestHook:
    """The calls ``when`` selects are answered ``code`` without reaching the endpoint."""

    def hook(proxy: MutatingEndpoint, call: Call) -> HttpReply | None:
        return proxy.answer(call, code) if when(call) else None

    return hook


def edit_reply(when: Callable[[Call], bool], change: Callable[[etree._Element], bool]) -> ReplyHook:
    """The answer's XML changed by ``change`` (which says whether it changed anything), re-signed."""

    def hook(proxy: MutatingEndpoint, call: Call, reply: HttpReply) -> HttpReply:
        root = proxy.parsed(reply)
        if when(call) and root is not None and change(root):
            return proxy.reply_of(root)
        return reply

    return hook


def after(when: Callable[[Call, str | None], bool], effect: Callable[[MutatingEndpoint, Call], None]) -> ReplyHook:
    """After the endpoint answered a call ``when`` selects (by call and code), ``effect`` changes its state."""

    def hook(proxy: MutatingEndpoint, call: Call, reply: HttpReply) -> HttpReply:
        if when(call, proxy.code_of(reply)):
            effect(proxy, call)
        return reply

    return hook


def wan_rows(root: etree._Element) -> list[etree._Element]:
    return list(root.iter(f"{_SR}DSPWANMatrixResponse")) or [
        m for m in root.iter(f"{_SR}DSPWANMatrix") if m.find(f"{_SR}CSPRegion") is not None
    ]


def wan_edit(change: Callable[[etree._Element], bool]) -> ReplyHook:
    def edit(root: etree._Element) -> bool:
        changed = False
        for row in wan_rows(root):
            changed |= change(row)
        return changed

    return edit_reply(srv_is("12.1"), edit)


def set_text(row: etree._Element, tag: str, mapping: Mapping[str, str]) -> bool:
    node = row.find(f"{_SR}{tag}")
    if node is None or node.text is None or node.text not in mapping:
        return False
    node.text = mapping[node.text]
    return True


def swap_regions(row: etree._Element) -> bool:
    return set_text(row, "CSPRegion", {"North": "South", "South": "North", "Central": "North"})


def variant_outside_region(row: etree._Element) -> bool:
    return set_text(row, "WANTechnology", {"420": "Cellular", "Standard 420": "Cellular", "Cellular": "450"})


def variant_confused(row: etree._Element) -> bool:
    return set_text(row, "WANTechnology", {"Standard 420": "450", "420": "Variant 450", "Cellular+Mesh": "Cellular"})


def other_column(row: etree._Element) -> bool:
    return set_text(
        row, "WANTechnology", {"Standard 420": "420", "420": "Standard 420", "Variant 450": "450", "450": "Variant 450"}
    )


def space_filled(row: etree._Element) -> bool:
    return set_text(row, "WANTechnology", {" ": "Cellular"})


def dated_as_space(row: etree._Element) -> bool:
    if row.find(f"{_SR}AnticipatedCoverageDate") is None:
        return False
    return set_text(row, "WANTechnology", {"Cellular": " ", "Cellular+Mesh": " ", "420": " ", "Standard 420": " "})


def date_dropped(row: etree._Element) -> bool:
    node = row.find(f"{_SR}AnticipatedCoverageDate")
    tech = row.findtext(f"{_SR}WANTechnology")
    if node is None or tech != " ":
        return False
    row.remove(node)
    return True


def thresholds(call: Call) -> list[etree._Element]:
    return [] if call.root is None else list(call.root.iter(f"{_SR}BlockThreshold"))


def scale_thresholds(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """The endpoint reads BlockThreshold as kWh: the meter is sent 1000 times the value."""
    nodes = thresholds(call)
    if call.srv != "1.1.1" or call.cv != 4 or not nodes or call.root is None:
        return None
    for node in nodes:
        if (node.text or "").strip().isdigit():
            node.text = str(int((node.text or "0").strip()) * 1000)
    return proxy.resigned(call, call.root)


def repair_indexes(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """The endpoint does not check index uniqueness and consecutiveness: the request is repaired to 1..n."""
    nodes = thresholds(call)
    if call.srv != "1.1.1" or call.cv != 4 or not nodes or call.root is None:
        return None
    indexes = [n.get("index") for n in nodes]
    wanted = [str(i) for i in range(1, len(nodes) + 1)]
    if indexes == wanted:
        return None
    for node, index in zip(nodes, wanted, strict=True):
        node.set("index", index)
    return proxy.resigned(call, call.root)


def big_threshold(call: Call) -> bool:
    return call.srv == "1.1.1" and any(
        int(t) > 2**40 for n in thresholds(call) if (t := (n.text or "").strip()).isdigit()
    )


def resign_any(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """The endpoint does not check signatures: every request is re-signed correctly before it is checked."""
    if call.root is None or call.root.find(f"{_DS}Signature") is None:
        return None
    return proxy.resigned(call, call.root)


def right_path(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """The endpoint ignores the web service a request came to (no E13)."""
    cv = call.cv
    if cv is None:
        return None
    try:
        right = path_for_cv(cv)
    except (KeyError, ValueError):
        return None
    return None if right == call.path else Call(call.method, right, call.headers, call.body, call.root)


def replay_answered(proxy: MutatingEndpoint, call: Call) -> HttpReply | None:
    """The endpoint does not detect replays: a RequestID already answered gets the same answer again."""
    if call.cv in (5, 6, 7) or not call.request_id:
        return None
    previous = proxy.answered.get(call.request_id)
    return previous


def status_of(proxy: MutatingEndpoint, eui: str | None) -> str | None:
    if not eui:
        return None
    try:
        return str(proxy.control.device_view(eui)["smi"].get("status"))
    except (KeyError, LookupError, DccError):
        return None


def e5_on_8_14_2(proxy: MutatingEndpoint, call: Call) -> HttpReply | None:
    if call.srv != "8.14.2":
        return None
    status = status_of(proxy, call.text("DeviceID"))
    return proxy.answer(call, "E5") if status not in (None, "InstalledNotCommissioned", "Commissioned") else None


def revert_pending(proxy: MutatingEndpoint, call: Call, *, chf: bool, gpf: bool) -> None:
    eui = call.text("DeviceID")
    if not eui:
        return
    view = proxy.control.device_view(eui)
    if chf:
        proxy.control.set_status(eui, "Pending")
    gpf_eui = view["smi"].get("gpf")
    if gpf and gpf_eui:
        proxy.control.set_status(str(gpf_eui), "Pending")


def status_before(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """Remember the statuses before an 8.14.2, for mutations that undo what the endpoint did."""
    if call.srv == "8.14.2" and call.request_id:
        eui = call.text("DeviceID")
        if eui:
            view = proxy.control.device_view(eui)
            gpf = view["smi"].get("gpf")
            proxy.memo[f"status {call.request_id}"] = (
                view["smi"].get("status"),
                status_of(proxy, gpf) if gpf else None,
            )
    return None


def pending_hub_left(gpf_only: bool) -> Mutant:
    def effect(proxy: MutatingEndpoint, call: Call) -> None:
        before = proxy.memo.get(f"status {call.request_id}")
        if before is None:
            return
        chf_was, gpf_was = before
        if not gpf_only and chf_was == "Pending":
            revert_pending(proxy, call, chf=True, gpf=gpf_was == "Pending")
        elif gpf_only and gpf_was == "Pending":
            revert_pending(proxy, call, chf=False, gpf=True)

    name = "8.14.2-gpf-left-pending" if gpf_only else "8.14.2-pending-chf-left-pending"
    what = "a Pending GPF is not moved with its CHF" if gpf_only else "a Pending CHF is not moved on"
    return Mutant(
        name,
        what,
        "black-box",
        frozenset({"MP081-DUIS-3.8.114.4"}),
        request=status_before,
        reply=after(lambda c, code: c.srv == "8.14.2" and code == "W081401", effect),
    )


def gpf_moved_whatever(proxy: MutatingEndpoint, call: Call) -> None:
    eui = call.text("DeviceID")
    if eui:
        gpf = proxy.control.device_view(eui)["smi"].get("gpf")
        if gpf:
            proxy.control.set_status(str(gpf), "InstalledNotCommissioned")


def chf_moved_anyway(proxy: MutatingEndpoint, call: Call) -> None:
    eui = call.text("DeviceID")
    if eui:
        proxy.control.set_status(eui, "InstalledNotCommissioned")


def join_pair(call: Call) -> tuple[str, str] | None:
    target, other = call.target, call.text("OtherDeviceID")
    return (target, other) if target and other else None


def undo_local_unjoin(proxy: MutatingEndpoint, call: Call) -> None:
    """An 8.13 refused, yet the locally delivered Unjoin it carries is applied to the SMI."""
    original = proxy.calls.get(call.text("OriginalRequestID") or "")
    if original is None:
        original = next((c for c in reversed(proxy.calls.values()) if c.srv in ("8.8.1", "8.8.2")), None)
    pair = join_pair(original) if original is not None else None
    if pair is not None:
        proxy.control.set_join(pair[0], pair[1], smi=True, device=False, remove=True)


def delivery_for(
    srvs: tuple[str, ...], codes: tuple[str, ...], effect: Callable[[MutatingEndpoint, Call], None]
) -> DeliveryHook:
    def hook(proxy: MutatingEndpoint, response: etree._Element) -> etree._Element:
        call = proxy.original(response)
        code = response.findtext(f"{_SR}Header/{_SR}ResponseCode")
        if call is not None and call.srv in srvs and code in codes:
            effect(proxy, call)
        return response

    return hook


def forget_smi_join(proxy: MutatingEndpoint, call: Call) -> None:
    pair = join_pair(call)
    if pair:
        proxy.control.set_join(pair[0], pair[1], smi=True, device=False, remove=True)


def record_smi_join(proxy: MutatingEndpoint, call: Call) -> None:
    pair = join_pair(call)
    if pair:
        proxy.control.set_join(pair[0], pair[1], smi=True, device=False)


def device_keeps_join(proxy: MutatingEndpoint, call: Call) -> None:
    pair = join_pair(call)
    if pair:
        proxy.control.set_join(pair[0], pair[1], smi=False, device=True)


def local_ack(proxy: MutatingEndpoint, call: Call) -> HttpReply | None:
    """8.13 acknowledged without being processed."""
    return proxy.answer(call, "I99") if call.srv == "8.13" else None


def e080801_always(proxy: MutatingEndpoint, call: Call) -> HttpReply | None:
    return proxy.answer(call, "E080801") if call.srv in ("8.8.1", "8.8.2") and call.cv in (1, 4) else None


def listed_refused(proxy: MutatingEndpoint, call: Call) -> HttpReply | None:
    """8.13 refuses the responses MP081 wrote into the list (6.15.1, 6.21)."""
    if call.srv != "8.13":
        return None
    original = proxy.calls.get(call.text("OriginalRequestID") or "")
    return proxy.answer(call, "E081302") if original is not None and original.srv in ("6.15.1", "6.21") else None


def wrong_cv_repaired(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """The endpoint does not check the command variant against the SRV: CV 1 for SRV 6.24.2 is taken as CV 4."""
    if call.srv != "6.24.2" or call.cv != 1 or call.root is None:
        return None
    node = call.root.find(f"{_SR}Header/{_SR}CommandVariant")
    if node is None:
        return None
    node.text = "4"
    return proxy.resigned(call, call.root, path_for_cv(4))


def service_reference_repaired(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """The endpoint does not cross-check ServiceReference with the variant."""
    if call.root is None or not call.srv:
        return None
    node = call.root.find(f"{_SR}Header/{_SR}ServiceReference")
    wanted = ".".join(call.srv.split(".")[:2])
    if node is None or node.text == wanted:
        return None
    node.text = wanted
    return proxy.resigned(call, call.root)


def http_400(proxy: MutatingEndpoint, call: Call, reply: HttpReply) -> HttpReply:
    """Signature failures refused at the HTTP level (a 400 with a reason) instead of a DUIS E1."""
    if proxy.code_of(reply) == "E1":
        return HttpReply(400, b"request signature does not verify", {"content-type": "text/plain"})
    return reply


def dcc20_names(row: etree._Element) -> bool:
    return set_text(row, "WANTechnology", {"Standard 420": "420", "Variant 450": "450"})


def warned(call: Call, code: str | None) -> bool:
    return call.srv == "8.14.2" and code == "W081401"


def signed_by(eui: str) -> tuple[ReplyHook, DeliveryHook]:
    """The endpoint signs what it answers and delivers with user ``eui``'s XML-signing key instead of the DSP's:
    every signature verifies, against a certificate the suite's PKI holds, but none is the DSP's."""

    def resigned(proxy: MutatingEndpoint, root: etree._Element) -> bytes | None:
        identity = proxy.users(eui)
        if identity is None:
            return None
        sign(root, identity)
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    def reply(proxy: MutatingEndpoint, call: Call, reply: HttpReply) -> HttpReply:
        root = proxy.parsed(reply)
        body = None if root is None else resigned(proxy, root)
        return reply if body is None else HttpReply(200, body, reply.headers)

    def delivery(proxy: MutatingEndpoint, root: etree._Element) -> bytes | None:
        return resigned(proxy, root)

    return reply, delivery


def unsigned(proxy: MutatingEndpoint, reply: HttpReply) -> HttpReply:
    root = proxy.parsed(reply)
    if root is None or proxy.code_of(reply) in (None,) or str(proxy.code_of(reply)).startswith("E"):
        return reply
    for signature in root.findall(f"{_DS}Signature"):
        root.remove(signature)
    return HttpReply(200, bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8")), reply.headers)


__all__ = [
    "signed_by",
    "after",
    "big_threshold",
    "chf_moved_anyway",
    "date_dropped",
    "dated_as_space",
    "dcc20_names",
    "delivery_for",
    "device_keeps_join",
    "e080801_always",
    "e5_on_8_14_2",
    "edit_reply",
    "forget_smi_join",
    "gpf_moved_whatever",
    "http_400",
    "join_pair",
    "listed_refused",
    "local_ack",
    "other_column",
    "pending_hub_left",
    "recode",
    "record_smi_join",
    "refuse",
    "repair_indexes",
    "replay_answered",
    "resign_any",
    "revert_pending",
    "right_path",
    "scale_thresholds",
    "service_reference_repaired",
    "set_text",
    "space_filled",
    "srv_is",
    "status_before",
    "status_of",
    "swap_regions",
    "thresholds",
    "undo_local_unjoin",
    "unsigned",
    "variant_confused",
    "variant_outside_region",
    "wan_edit",
    "wan_rows",
    "warned",
    "wrong_cv_repaired",
]

"""Mutations of the general validation (DUIS 3.2.5) that only some SRVs would let through: an endpoint that checks
the signer, the counter, the web service or the role on one kind of Service Request (critical, say) and not on
another (non-critical, non-device). Each is caught only by a scenario that tries the check on that other kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from lxml import etree

from pytest_dcc.duis.endpoint import HttpReply
from pytest_dcc.duis.estates import GAS_SUPPLIER, OTHER_USER
from pytest_dcc.reference.boxed import USERS
from pytest_dcc.spec import NS_DS, NS_SR, SIGNED_PRE_COMMAND_CVS, SRVS
from qa.mutants.blocks import recode, resign_any, right_path, service_reference_repaired
from qa.mutants.endpoint import Call, MutatingEndpoint, ReplyHook, RequestHook
from qa.mutants.mutant import Mutant

_SR: Final = f"{{{NS_SR}}}"
_DS: Final = f"{{{NS_DS}}}"
#: The users a mutated endpoint knows besides DCC Boxed's: the suite's standard estate's Gas Supplier and Other User.
KNOWN_USERS: Final = (*(eui for eui, _ in USERS), GAS_SUPPLIER, OTHER_USER)
E773: Final = frozenset({"MP081-DUIS-3.8.77.3"})


def non_critical(call: Call) -> bool:
    """A call of a non-critical SRV (a non-device SRV included)."""
    variant = SRVS.get(call.srv or "")
    return variant is not None and not variant.critical


def non_device(call: Call) -> bool:
    variant = SRVS.get(call.srv or "")
    return variant is not None and variant.non_device


def signed_pre_command(call: Call) -> bool:
    return call.cv in SIGNED_PRE_COMMAND_CVS


def only(select: Callable[[Call], bool], hook: RequestHook) -> RequestHook:
    """``hook`` on the calls ``select`` picks; the others reach the endpoint as they are."""

    def limited(proxy: MutatingEndpoint, call: Call) -> Call | HttpReply | None:
        return hook(proxy, call) if select(call) else None

    return limited


def signer_of_another_user(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """The endpoint does not hold the signer to the originator: a request signed with the certificate of another
    user it knows is taken as signed by its originator (re-signed with the originator's key)."""
    serial = call.root.findtext(f".//{_DS}X509SerialNumber") if call.root is not None else None
    if call.root is None or serial is None or not serial.strip().isdigit():
        return None
    for eui in KNOWN_USERS:
        identity = proxy.users(eui)
        if eui != call.originator and identity is not None and identity.certificate.serial_number == int(serial):
            return proxy.resigned(call, call.root)
    return None


# -- a lower counter accepted ---------------------------------------------------------------------------------------


def _renumbered(proxy: MutatingEndpoint) -> dict[str, str]:
    """The RequestIDs forwarded under another counter -> the RequestID the user sent."""
    found: dict[str, str] = proxy.memo.setdefault("renumbered", {})
    return found


def lower_counter_processed(select: Callable[[Call], bool]) -> tuple[RequestHook, ReplyHook]:
    """The endpoint refuses a RequestID it has seen, but not a fresh one whose counter is below the last accepted:
    such a request of an SRV ``select`` picks is forwarded under the next counter above the last, and its answer
    (and device response) names the RequestID the user sent."""

    def request(proxy: MutatingEndpoint, call: Call) -> Call | None:
        rid = call.request_id
        if call.root is None or not rid or rid.count(":") != 2 or signed_pre_command(call):
            return None
        seen: set[str] = proxy.memo.setdefault("seen", set())
        highest: dict[str, int] = proxy.memo.setdefault("highest", {})
        originator, target, counter_text = rid.split(":")
        counter = int(counter_text) if counter_text.isdigit() else -1
        last = highest.get(originator)
        fresh = rid not in seen
        seen.add(rid)
        if last is None or counter > last or not fresh or not select(call):
            highest[originator] = max(counter, last if last is not None else counter)
            return None
        new = f"{originator}:{target}:{last + 1}"
        highest[originator] = last + 1
        node = call.root.find(f"{_SR}Header/{_SR}RequestID")
        if node is None:
            return None
        node.text = new
        _renumbered(proxy)[new] = rid
        return proxy.resigned(call, call.root)

    def reply(proxy: MutatingEndpoint, call: Call, answer: HttpReply) -> HttpReply:
        root = proxy.parsed(answer)
        if root is None or not _named_back(proxy, root):
            return answer
        return proxy.reply_of(root)

    return request, reply


def _named_back(proxy: MutatingEndpoint, root: etree._Element) -> bool:
    """Rename a renumbered RequestID (and the ResponseID built from it) in ``root`` back to the user's."""
    changed = False
    for tag in ("RequestID", "ResponseID"):
        node = root.find(f"{_SR}Header/{_SR}{tag}")
        text = (node.text or "").strip() if node is not None else ""
        parts = text.split(":")
        if node is None or len(parts) != 3:
            continue
        forward = text if tag == "RequestID" else f"{parts[1]}:{parts[0]}:{parts[2]}"
        original = _renumbered(proxy).get(forward)
        if original is not None:
            sent = original.split(":")
            node.text = original if tag == "RequestID" else f"{sent[1]}:{sent[0]}:{sent[2]}"
            changed = True
    return changed


def renamed_delivery(proxy: MutatingEndpoint, response: etree._Element) -> etree._Element:
    """A device response (to a renumbered request: naming the RequestID the user sent), re-signed as the DCC."""
    _named_back(proxy, response)
    return response


def mutations() -> list[Mutant]:
    """The general validation skipped on one kind of Service Request (caught by the rows of that kind)."""
    bb = "black-box"
    lower_request, lower_reply = lower_counter_processed(non_critical)
    return [
        Mutant("signatures-not-checked-on-non-critical", "non-critical requests are accepted whatever their "
               "signature (critical ones are checked)", bb, E773, request=only(non_critical, resign_any)),
        Mutant("signer-not-checked-on-non-critical", "a non-critical request signed by another registered user "
               "than its originator is accepted", bb, E773, request=only(non_critical, signer_of_another_user)),
        Mutant("lower-counter-accepted-on-non-critical", "a fresh non-critical request whose counter is below the "
               "last accepted is processed (only a RequestID seen before is refused)", bb, E773,
               request=lower_request, reply=lower_reply, delivery=renamed_delivery),
        Mutant("web-service-not-checked-on-non-device", "a non-device request is processed at any web service",
               bb, E773, request=only(non_device, right_path)),
        Mutant("web-service-not-checked-for-signed-pre-commands", "a signed pre-command (CV 5, 6) is processed at "
               "any web service", bb, E773, request=only(signed_pre_command, right_path)),
        Mutant("service-reference-not-checked-on-non-device", "a non-device request's ServiceReference is not "
               "cross-checked with its variant", bb, E773, request=only(non_device, service_reference_repaired)),
        Mutant("role-not-checked-on-non-critical", "a non-critical request from a role the eligibility table does "
               "not allow is acknowledged (I99) instead of refused", bb, E773,
               reply=recode(lambda c: non_critical(c) and not non_device(c), {"E2": "I99"})),
    ]  # fmt: skip


__all__ = [
    "E773",
    "KNOWN_USERS",
    "lower_counter_processed",
    "mutations",
    "non_critical",
    "non_device",
    "only",
    "renamed_delivery",
    "signed_pre_command",
    "signer_of_another_user",
]

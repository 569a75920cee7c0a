"""Strangers: wrong DUIS endpoints designed from the clause registry and the DUIS brief alone (not from the
scenarios), each wrong on one side or one partition of one rule's domain, plus endpoints that are correct but
differ from the reference (they must stay green). :func:`strangers` lists them; the catalogue registers them."""

from __future__ import annotations

import contextlib
import copy
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Final

from lxml import etree

from pytest_dcc.duis.endpoint import HttpReply
from pytest_dcc.duis.signing import TrustStore, verify
from pytest_dcc.duis.xmlsafe import parse
from pytest_dcc.errors import DccError
from pytest_dcc.spec import NS_DS, NS_SR
from qa.mutants import blocks as b
from qa.mutants.endpoint import Call, DeliveryHook, MutatingEndpoint, ReplyHook, RequestHook
from qa.mutants.mutant import Mutant
from qa.mutants.partitions import install_time

_SR: Final = f"{{{NS_SR}}}"
_DS: Final = f"{{{NS_DS}}}"
_MAX_WH: Final = 2**48 - 1
_JOINS: Final = ("8.7.1", "8.7.2")
_UNJOINS: Final = ("8.8.1", "8.8.2")
_OFFSET: Final = re.compile(r"(Z|[+-]\d\d:\d\d)$")
_FRACTION: Final = re.compile(r"\d+\.\d*|\.\d+")


def _smi(proxy: MutatingEndpoint, eui: str | None) -> dict[str, Any] | None:
    """The SMI view of device ``eui`` through the endpoint's test control (None: unknown)."""
    if not eui:
        return None
    try:
        return dict(proxy.control.device_view(eui)["smi"])
    except (KeyError, LookupError, DccError):
        return None


def honest(hook: RequestHook) -> RequestHook:
    """``hook`` applied only to a request whose signature verifies (a real endpoint checks it first: the proxy's
    re-signing must not repair a tampered request); any other goes on as it is, to be refused."""

    def checked(proxy: MutatingEndpoint, call: Call) -> Call | HttpReply | None:
        identity = proxy.users(call.originator or "")
        if call.root is None or identity is None:
            return None
        if not verify(copy.deepcopy(call.root), TrustStore([identity.certificate])).verified:
            return None
        return hook(proxy, call)

    return checked


def _joined(proxy: MutatingEndpoint, eui: str, other: str) -> bool | None:
    """Whether the SMI lists ``other`` among ``eui``'s joins (this direction only)."""
    view = _smi(proxy, eui)
    return None if view is None else other.upper() in {str(j).upper() for j in view.get("joins", [])}


def space_as_unknown(row: etree._Element) -> bool:
    """MP106 applied on the wire: "Unknown" where the CSP left " " (the wire value stays " ")."""
    return b.set_text(row, "WANTechnology", {" ": "Unknown"})


def space_date_a_day_early(row: etree._Element) -> bool:
    """The Availability Date of a " " answer goes through a local-midnight-to-UTC conversion: a day early."""
    node = row.find(f"{_SR}AnticipatedCoverageDate")
    if node is None or not node.text or row.findtext(f"{_SR}WANTechnology") != " ":
        return False
    text = node.text.strip()
    node.text = (date.fromisoformat(text[:10]) - timedelta(days=1)).isoformat() + text[10:]
    return True


def first_region_only(root: etree._Element) -> bool:
    """The DSP keeps the DUIS 5.1 shape in spirit: an answer covering several CSP regions keeps the first only."""
    rows = list(root.iter(f"{_SR}DSPWANMatrixResponse"))
    for row in rows[1:]:
        row.getparent().remove(row)  # type: ignore[union-attr]
    return len(rows) > 1


def gas_thresholds(call: Call) -> list[etree._Element]:
    """The GasThresholdMatrix BlockThresholds of an SR 1.1.1 (not the electricity ones)."""
    if call.srv != "1.1.1" or call.root is None:
        return []
    return list(call.root.iterfind(f".//{_SR}GasTariffElements/{_SR}ThresholdMatrix/{_SR}BlockThreshold"))


def thresholds_edited(change: Callable[[list[etree._Element]], bool]) -> RequestHook:
    """A 1.1.1 whose gas thresholds ``change`` edits goes on edited (re-signed by its originator)."""

    def hook(proxy: MutatingEndpoint, call: Call) -> Call | None:
        nodes = gas_thresholds(call)
        if not nodes or call.root is None or not change(nodes):
            return None
        return proxy.resigned(call, call.root)

    return hook


def clamp_over_max(nodes: list[etree._Element]) -> bool:
    """Read as xs:unsignedLong without the 2^48-1 facet, then clamped to what the meter takes: accepted."""
    changed = False
    for node in nodes:
        text = (node.text or "").strip()
        if text.isdigit() and int(text) > _MAX_WH:
            node.text, changed = str(_MAX_WH), True
    return changed


def round_fractions(nodes: list[etree._Element]) -> bool:
    """A fractional threshold (1000.5 Wh) is rounded to whole Wh and accepted."""
    fractions = [n for n in nodes if _FRACTION.fullmatch((n.text or "").strip())]
    for node in fractions:
        node.text = str(round(Decimal((node.text or "").strip())))
    return bool(fractions)


def drop_last(nodes: list[etree._Element]) -> bool:
    """An off-by-one loop: of 2 or 3 valid thresholds the meter is sent all but the last."""
    if len(nodes) < 2 or [n.get("index") for n in nodes] != [str(i) for i in range(1, len(nodes) + 1)]:
        return False
    nodes[-1].getparent().remove(nodes[-1])  # type: ignore[union-attr]
    return True


def _retrieval(call: Call, credential: str) -> bool:
    return call.srv == "6.24.2" and call.cv == 4 and call.text("CredentialType") == credential


def key_agreement_as_signature(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """Only Digital Signature is implemented: a Key Agreement request retrieves (and tracks) the DS certificate."""
    node = None if call.root is None else call.root.find(f".//{_SR}CredentialType")
    if node is None or not _retrieval(call, "Key Agreement"):
        return None
    node.text = "Digital Signature"
    return proxy.resigned(call, call.root)  # type: ignore[arg-type]


def gas_meter_refused(proxy: MutatingEndpoint, call: Call) -> HttpReply | None:
    """6.24.2 refused (E062401) for a gas meter: the endpoint thinks only an ESME holds device credentials."""
    if call.srv != "6.24.2" or call.cv != 4:
        return None
    view = _smi(proxy, call.target)
    return proxy.answer(call, "E062401") if view is not None and view.get("type") == "GSME" else None


def gpf_taken_as_hub(proxy: MutatingEndpoint, call: Call) -> Call | HttpReply | None:
    """A GPF named in 8.14.2 is taken as its Communications Hub (no E081401): its CHF is updated instead."""
    view = _smi(proxy, call.text("DeviceID")) if call.srv == "8.14.2" else None
    node = None if call.root is None else call.root.find(f".//{_SR}DeviceID")
    if view is None or view.get("type") != "GPF" or node is None:
        return None
    if not view.get("chf"):
        return proxy.answer(call, "W081401")
    node.text = str(view["chf"])
    return proxy.resigned(call, call.root)  # type: ignore[arg-type]


def naive_install_time_refused(proxy: MutatingEndpoint, call: Call) -> HttpReply | None:
    """An InstallDateTime without a UTC offset (xs:dateTime allows it) is refused as if in the future."""
    text = call.text("InstallDateTime") if call.srv == "8.14.2" else None
    return proxy.answer(call, "E081402") if text and not _OFFSET.search(text) else None


def same_day_future_accepted(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """E081402 compares calendar dates: an install time later today (UTC) passes as now."""
    found = install_time(call)
    if found is None:
        return None
    node, moment = found
    now = datetime.now(UTC)
    if not (now < moment and moment.astimezone(UTC).date() == now.date()):
        return None
    node.text = (now - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return proxy.resigned(call, call.root)  # type: ignore[arg-type]


Warned = Callable[[MutatingEndpoint, Call, HttpReply, tuple[str | None, str | None]], HttpReply]


def on_warning(effect: Warned) -> ReplyHook:
    """After an 8.14.2 answered W081401: ``effect`` with the (CHF, GPF) statuses before (see blocks.status_before)."""

    def hook(proxy: MutatingEndpoint, call: Call, reply: HttpReply) -> HttpReply:
        before = proxy.memo.get(f"status {call.request_id}")
        if call.srv != "8.14.2" or proxy.code_of(reply) != "W081401" or before is None:
            return reply
        return effect(proxy, call, reply, before)

    return hook


def commissioned_not_warned(proxy: MutatingEndpoint, call: Call, reply: HttpReply, before: Any) -> HttpReply:
    """A Commissioned CHF is taken as fine: I99 where W081401 is due (only InstalledNotCommissioned is)."""
    return proxy.recode(reply, "I99") if before[0] == "Commissioned" else reply


def gpf_moved_alone(proxy: MutatingEndpoint, call: Call, reply: HttpReply, before: Any) -> HttpReply:
    """A Pending GPF moves to InstalledNotCommissioned although its CHF was not Pending."""
    gpf = (_smi(proxy, call.text("DeviceID")) or {}).get("gpf")
    if before[0] != "Pending" and before[1] == "Pending" and gpf:
        proxy.control.set_status(str(gpf), "InstalledNotCommissioned")
    return reply


def chf_made_commissioned(proxy: MutatingEndpoint, call: Call, reply: HttpReply, before: Any) -> HttpReply:
    """A Pending CHF is moved on too far: Commissioned instead of InstalledNotCommissioned."""
    eui = call.text("DeviceID")
    if before[0] == "Pending" and eui:
        proxy.control.set_status(eui, "Commissioned")
    return reply


def moved_late(proxy: MutatingEndpoint, call: Call, reply: HttpReply, before: Any) -> HttpReply:
    """A batch job: the answer comes while the CHF (and GPF) are still Pending; they move 0.4 s later."""
    if before[0] != "Pending":
        return reply
    gpf_pending = before[1] == "Pending"
    b.revert_pending(proxy, call, chf=True, gpf=gpf_pending)

    def later() -> None:
        with contextlib.suppress(Exception):  # the scenario (and its devices) may be gone
            b.chf_moved_anyway(proxy, call)
            if gpf_pending:
                b.gpf_moved_whatever(proxy, call)

    timer = threading.Timer(0.4, later)
    timer.daemon = True
    timer.start()
    return reply


def _original(proxy: MutatingEndpoint, call: Call) -> Call | None:
    return proxy.calls.get(call.text("OriginalRequestID") or "") if call.srv == "8.13" else None


def han_log_responses_refused(proxy: MutatingEndpoint, call: Call) -> HttpReply | None:
    """The 8.13 list lacks the HAN device log SRs (8.11, 8.12.1, 8.12.2): their responses are refused E081302."""
    original = _original(proxy, call)
    return proxy.answer(call, "E081302") if original and original.srv in ("8.11", "8.12.1", "8.12.2") else None


def local_join_dropped(proxy: MutatingEndpoint, call: Call) -> None:
    """An 8.13 returning a Join response is acknowledged, but the SMI does not learn the join."""
    original = _original(proxy, call)
    if original is not None and original.srv in _JOINS:
        b.forget_smi_join(proxy, original)


def usages_swapped(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """The Organisation Certificates of 6.15.1 / 6.21 are placed under each other's usage (Digital Signing and
    Key Agreement): the command carries them swapped, so the device and the tracking hold them swapped."""
    if call.srv not in ("6.15.1", "6.21") or call.root is None:
        return None
    ds = call.root.find(f".//{_SR}DigitalSigningCertificate")
    ka = call.root.find(f".//{_SR}KeyAgreementCertificate")
    if ds is not None and ka is not None:
        ds.text, ka.text = ka.text, ds.text
    elif call.srv == "6.15.1" and (ds is None) != (ka is None):
        tag = f"{_SR}KeyAgreementCertificate" if ds is not None else f"{_SR}DigitalSigningCertificate"
        (ds if ds is not None else ka).tag = tag  # type: ignore[union-attr]
    else:
        return None
    return proxy.resigned(call, call.root)


def one_direction_only(proxy: MutatingEndpoint, call: Call) -> HttpReply | None:
    """E080801 looks the pair up as (target, other) only: a join the SMI holds as (other, target) is refused."""
    pair = b.join_pair(call) if call.srv in _UNJOINS and call.cv in (1, 2, 3, 4) else None
    if pair is None:
        return None
    forward, reverse = _joined(proxy, pair[0], pair[1]), _joined(proxy, pair[1], pair[0])
    return proxy.answer(call, "E080801") if forward is False and reverse else None


def local_unjoin_unchecked(proxy: MutatingEndpoint, call: Call) -> None:
    """The SMI check runs in the send-command path only: 8.8.2 for local delivery (CV 2, 3) is not checked."""
    pair = b.join_pair(call) if call.srv == "8.8.2" and call.cv in (2, 3) else None
    if pair and _joined(proxy, *pair) is False and not _joined(proxy, pair[1], pair[0]):
        b.record_smi_join(proxy, call)


def forget_all_joins(proxy: MutatingEndpoint, call: Call) -> None:
    """An Unjoin's response clears every SMI join of the target device, not only the pair's."""
    target = call.target
    for other in (_smi(proxy, target) or {}).get("joins", []):
        proxy.control.set_join(target or "", str(other), smi=True, device=False, remove=True)


def note_join_retry(proxy: MutatingEndpoint, call: Call) -> None:
    """Remember a Join sent again for a pair the SMI does not hold (a retry after a lost response)."""
    if call.srv not in _JOINS or call.cv not in (1, 3, 5, 7) or not call.request_id:
        return
    pair = b.join_pair(proxy.calls.get(call.request_id, call))
    if pair is None:
        return
    key = (pair[0].upper(), pair[1].upper())
    sent: set[tuple[str, str]] = proxy.memo.setdefault("join pairs sent", set())
    if key in sent and not _joined(proxy, *key):
        proxy.memo.setdefault("join retries", set()).add(call.request_id)
    sent.add(key)


def retry_response_ignored(proxy: MutatingEndpoint, response: etree._Element) -> etree._Element:
    """Joins deduplicated by pair: a compliant device accepts the retry, yet the SMI stays without the join."""
    rid = (response.findtext(f"{_SR}Header/{_SR}RequestID") or "").strip()
    call = proxy.original(response)
    code = response.findtext(f"{_SR}Header/{_SR}ResponseCode")
    if call is not None and code == "I0" and rid in proxy.memo.get("join retries", set()):
        b.forget_smi_join(proxy, call)
    return response


def reprefixed(root: etree._Element) -> etree._Element:
    """The same answer with the DUIS namespace under the prefix ``dui`` instead of ``sr``, indented."""
    for signature in root.findall(f"{_DS}Signature"):
        root.remove(signature)
    text = bytes(etree.tostring(root))
    for old, new in ((b"<sr:", b"<dui:"), (b"</sr:", b"</dui:"), (b"xmlns:sr=", b"xmlns:dui=")):
        text = text.replace(old, new)
    out = parse(text).getroot()
    etree.indent(out)
    return out


def every_answer(change: Callable[[etree._Element], etree._Element]) -> tuple[ReplyHook, DeliveryHook]:
    """Answers and deliveries alike rewritten by ``change`` (re-signed as the endpoint)."""

    def reply(proxy: MutatingEndpoint, call: Call, reply: HttpReply) -> HttpReply:
        root = proxy.parsed(reply)
        return reply if root is None else proxy.reply_of(change(root))

    return reply, lambda proxy, root: change(root)


def offset_time(root: etree._Element) -> etree._Element:
    """ResponseDateTime written as the same instant at UTC+01:00 instead of Z."""
    node = root.find(f"{_SR}Header/{_SR}ResponseDateTime")
    if node is not None and node.text:
        moment = datetime.fromisoformat(node.text.strip().replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        node.text = moment.astimezone(timezone(timedelta(hours=1))).isoformat()
    return root


def optional_wan_fields(root: etree._Element) -> bool:
    """Populated 12.1 rows carry the optional AuxiliaryEquipmentRequired and AdditionalInformation."""
    changed = False
    for row in b.wan_rows(root):
        likelihood = row.find(f"{_SR}ConnectivityLikelihood")
        if likelihood is None or row.find(f"{_SR}AdditionalInformation") is not None:
            continue
        aux = row.find(f"{_SR}AuxiliaryEquipmentRequired")
        if aux is None:
            aux = etree.Element(f"{_SR}AuxiliaryEquipmentRequired")
            aux.text = "None"
            likelihood.addnext(aux)
        info = etree.Element(f"{_SR}AdditionalInformation")
        info.text = "Survey advised before installation"
        aux.addnext(info)
        changed = True
    return changed


def slow(proxy: MutatingEndpoint, call: Call) -> None:
    """A remote endpoint's answer time: no answer comes at once, and the suite waits for each (any timeout it set
    of seconds is far above this; each request pays it, so it is kept small)."""
    time.sleep(0.02)


def strangers() -> list[Mutant]:
    """The strangers' wrong endpoints (black-box) and correct-but-different ones (green)."""
    return [*_wrong_coverage_and_tariff(), *_wrong_credentials_and_hub(), *_wrong_local_and_joins(), *_green()]


_BB: Final = "black-box"
T3, SPACE, THRESH = "MP081-CHISM-E3-T3", "MP081-CHISM-E3-SPACE", "MP081-DUIS-3.8.1.2"
E773, E774, E8, PEND = "MP081-DUIS-3.8.77.3", "MP081-DUIS-3.8.77.4", "MP081-DUIS-3.8.106.3", "MP081-DUIS-3.8.114.4"
LOCAL, ORGCERT, E0808 = "MP081-DUIS-3.8.112.2", "MP081-ORGCERT-TRACKING", "DP178-E080801"
JOIN, REJOIN = "DP178-SMI-JOIN", "DP178-REJOIN"


def _wrong_coverage_and_tariff() -> list[Mutant]:
    """SR 12.1 (MP081-CHISM-E3-T3 / -SPACE) and SR 1.1.1 (MP081-DUIS-3.8.1.2)."""
    f = frozenset
    return [
        Mutant("wan-space-sent-as-unknown", '12.1 sends "Unknown" where " " is due', _BB, f({SPACE, T3}),
               reply=b.wan_edit(space_as_unknown)),
        Mutant("wan-space-date-a-day-early", '12.1 " " answers carry the date a day early', _BB, f({SPACE}),
               reply=b.wan_edit(space_date_a_day_early)),
        Mutant("wan-first-region-only", "12.1 keeps only the first CSP region's row", _BB, f({T3, SPACE}),
               reply=b.edit_reply(b.srv_is("12.1"), first_region_only)),
        Mutant("threshold-over-max-clamped", "1.1.1 clamps a threshold above 2^48-1 Wh and accepts it", _BB,
               f({THRESH}), request=honest(thresholds_edited(clamp_over_max))),
        Mutant("threshold-fraction-rounded", "1.1.1 rounds a fractional threshold and accepts it", _BB, f({THRESH}),
               request=honest(thresholds_edited(round_fractions))),
        Mutant("three-thresholds-refused", "1.1.1 refuses 3 gas thresholds (E010102)", _BB, f({THRESH}),
               request=b.refuse(lambda c: len(gas_thresholds(c)) == 3, "E010102")),
        Mutant("threshold-last-dropped", "1.1.1 sends the meter all thresholds but the last", _BB, f({THRESH}),
               request=honest(thresholds_edited(drop_last))),
    ]  # fmt: skip


def _wrong_credentials_and_hub() -> list[Mutant]:
    """SR 6.24.2 (MP081-DUIS-3.8.77.3 / .4) and SR 8.14.2 (MP081-DUIS-3.8.106.3 / 3.8.114.4)."""
    f = frozenset
    return [
        Mutant("6.24.2-key-agreement-refused", "6.24.2 refuses CredentialType Key Agreement (E062403)", _BB,
               f({E773, E774}), request=b.refuse(lambda c: _retrieval(c, "Key Agreement"), "E062403")),
        Mutant("6.24.2-key-agreement-read-as-signature", "6.24.2 Key Agreement retrieves and tracks the Digital "
               "Signature certificate", _BB, f({E774}), request=honest(key_agreement_as_signature)),
        Mutant("6.24.2-refused-for-gas-meter", "6.24.2 refused for a GSME (E062401)", _BB, f({E773, E774}),
               request=gas_meter_refused),
        Mutant("8.14.2-gpf-taken-as-hub", "8.14.2 naming a GPF updates its CHF (no E081401)", _BB, f({E8, PEND}),
               request=honest(gpf_taken_as_hub)),
        Mutant("8.14.2-naive-time-refused", "8.14.2 refuses an InstallDateTime without offset (E081402)", _BB,
               f({E8, PEND}), request=naive_install_time_refused),
        Mutant("8.14.2-same-day-future-accepted", "8.14.2 accepts an install time later today", _BB, f({E8, PEND}),
               request=honest(same_day_future_accepted)),
        Mutant("8.14.2-commissioned-not-warned", "8.14.2 answers I99 for a Commissioned CHF", _BB, f({E8}),
               request=b.status_before, reply=on_warning(commissioned_not_warned)),
        Mutant("8.14.2-gpf-moved-without-pending-chf", "8.14.2 moves a Pending GPF whose CHF was not Pending", _BB,
               f({PEND}), request=b.status_before, reply=on_warning(gpf_moved_alone)),
        Mutant("8.14.2-pending-chf-made-commissioned", "8.14.2 moves a Pending CHF to Commissioned", _BB, f({PEND}),
               request=b.status_before, reply=on_warning(chf_made_commissioned)),
        Mutant("8.14.2-status-moved-late", "8.14.2 moves Pending devices 0.4 s after answering", _BB, f({PEND, E8}),
               request=b.status_before, reply=on_warning(moved_late)),
    ]  # fmt: skip


def _wrong_local_and_joins() -> list[Mutant]:
    """SR 8.13 (MP081-DUIS-3.8.112.2, MP081-ORGCERT-TRACKING) and SR 8.7 / 8.8 (DP178, MP178)."""
    f = frozenset
    return [
        Mutant("8.13-han-log-responses-refused", "8.13 refuses 8.11 / 8.12.x responses (E081302)", _BB, f({LOCAL}),
               request=han_log_responses_refused),
        Mutant("8.13-local-join-not-recorded", "8.13 acknowledges a Join response, the SMI stays without it", _BB,
               f({LOCAL, JOIN, E0808}), reply=b.after(lambda c, code: c.srv == "8.13" and code == "I99",
                                                    local_join_dropped)),
        Mutant("orgcert-usages-swapped", "6.15.1 / 6.21 certificates placed under each other's usage", _BB,
               f({ORGCERT, LOCAL}), request=honest(usages_swapped)),
        Mutant("e080801-one-direction-only", "before MP178, a join the SMI holds as (other, target) is refused", _BB,
               f({E0808}), claimed="2021-06", request=one_direction_only),
        Mutant("e080801-not-checked-for-local-delivery", "before MP178, 8.8.2 with CV 2/3 is not checked", _BB,
               f({E0808}), claimed="2021-06", request=honest(local_unjoin_unchecked)),
        Mutant("unjoin-forgets-other-joins", "an Unjoin response clears every SMI join of the device", _BB,
               f({E0808, JOIN}), claimed="2021-06",
               delivery=b.delivery_for(_UNJOINS, ("I0",), forget_all_joins)),
        Mutant("join-not-recorded-for-8.7.1", "the DSP ignores the critical Join's (8.7.1) response", _BB,
               f({JOIN, REJOIN, E0808}), delivery=b.delivery_for(("8.7.1",), ("I0",), b.forget_smi_join)),
        Mutant("rejoin-accepted-not-recorded", "the response to a re-sent Join is ignored (deduplicated by pair)",
               _BB, f({REJOIN, JOIN, E0808}), request=note_join_retry,
               delivery=retry_response_ignored),
    ]  # fmt: skip


def _green() -> list[Mutant]:
    prefix, offset = every_answer(reprefixed), every_answer(offset_time)
    return [
        Mutant("green-dui-prefix-indented", "answers use the prefix dui: for the DUIS namespace, indented", "green",
               reply=prefix[0], delivery=prefix[1]),
        Mutant("green-response-time-at-plus-one", "ResponseDateTime at +01:00 instead of Z", "green",
               reply=offset[0], delivery=offset[1]),
        Mutant("green-optional-wan-fields", "12.1 rows carry the optional auxiliary equipment and information",
               "green", reply=b.edit_reply(b.srv_is("12.1"), optional_wan_fields)),
        Mutant("green-slow-endpoint", "answers 0.02 s slower, device responses 0.1 s after the answer", "green",
               request=slow, deliver_after_s=0.1),
    ]  # fmt: skip


__all__ = ["strangers"]

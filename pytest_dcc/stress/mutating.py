"""A mutating proxy: a correct DUIS endpoint made wrong (or correct but different) from the outside, one behaviour
at a time, to measure what the suite detects without touching the endpoint's code.

:class:`MutatingEndpoint` sits between the suite and any :class:`~pytest_dcc.duis.endpoint.DuisEndpoint` (the
reference DCC in process, or :class:`HttpUpstream` for an endpoint over HTTP). A :class:`Mutation` may

* answer a request itself without forwarding it (skip the endpoint: acknowledge without applying, refuse what it
  would accept),
* forward a changed request (re-signed with the originator's key: skip a check by repairing what it would refuse),
* rewrite the answer (another code, another payload), re-signed with the endpoint's own DSP key,
* act on the endpoint's state after the answer through its test control (apply without being asked, drop the
  effect), and
* rewrite, drop or act on an asynchronous device response on its way to the user.

:func:`catalogue` derives the mutations from both sides of each rule of the clause registry, plus the "must stay
green" family: endpoints that are correct but differ from the reference (other unpublished codes of the same set,
the other CHISM table 3 column, HTTP 4xx for malformed requests, an MP081 DCC before November 2020).

This module imports duis, spec and transport only; it never imports pytest or the suite side.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from lxml import etree

from pytest_dcc.duis.endpoint import DuisEndpoint, HttpReply, ResponseSink
from pytest_dcc.duis.signing import SigningIdentity, sign
from pytest_dcc.duis.xmlsafe import parse
from pytest_dcc.errors import DccError
from pytest_dcc.spec import NS_DS, NS_SR, path_for_cv

_SR: Final = f"{{{NS_SR}}}"
_DS: Final = f"{{{NS_DS}}}"


class Control(Protocol):
    """What a mutation may do to the endpoint's state besides DUIS (the reference DCC's test control)."""

    def set_status(self, eui: str, status: str) -> None: ...

    def set_join(self, eui: str, other: str, *, smi: bool, device: bool, remove: bool = False) -> None: ...

    def device_view(self, eui: str) -> dict[str, Any]: ...


@dataclass
class Call:
    """One request through the proxy, parsed where it parses."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    root: etree._Element | None = None

    @classmethod
    def of(cls, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Call:
        call = cls(method, path, headers, body)
        try:
            call.root = parse(body).getroot()
        except DccError:
            call.root = None
        return call

    def text(self, tag: str) -> str | None:
        if self.root is None:
            return None
        value = self.root.findtext(f".//{_SR}{tag}")
        return value.strip() if value is not None else None

    @property
    def srv(self) -> str | None:
        return self.text("ServiceReferenceVariant")

    @property
    def cv(self) -> int | None:
        text = self.text("CommandVariant")
        return int(text) if text and text.isdigit() else None

    @property
    def request_id(self) -> str | None:
        return self.text("RequestID")

    @property
    def originator(self) -> str | None:
        rid = self.request_id
        return rid.split(":")[0] if rid else None

    @property
    def target(self) -> str | None:
        rid = self.request_id
        return rid.split(":")[1] if rid else None


RequestHook = Callable[["MutatingEndpoint", Call], "Call | HttpReply | None"]
ReplyHook = Callable[["MutatingEndpoint", Call, HttpReply], HttpReply]
DeliveryHook = Callable[["MutatingEndpoint", etree._Element], "etree._Element | None"]


@dataclass(frozen=True)
class Mutation:
    """One way to make a correct endpoint behave otherwise, seen from outside.

    ``owners`` are the clauses whose scenarios must FAIL against it (empty for the "must stay green" family);
    ``claimed`` the release the suite claims; ``inner`` the release the correct endpoint behind the proxy runs
    (default: ``claimed``); ``statement`` extra implementation-statement entries the run declares.
    """

    name: str
    what: str
    family: str  # "black-box" or "green"
    owners: frozenset[str] = frozenset()
    claimed: str = "latest"
    inner: str | None = None
    request: RequestHook | None = None
    reply: ReplyHook | None = None
    delivery: DeliveryHook | None = None
    statement: Mapping[str, Any] = field(default_factory=dict)
    error_cause: str | None = None  # the suite must answer ERROR naming this (not FAIL)


class MutatingEndpoint:
    """A :class:`DuisEndpoint` that applies ``mutation`` to what passes between the suite and ``inner``.

    :param dcc: the endpoint's own response-signing identity (answers are re-signed with it).
    :param users: the users' signing identities by EUI (a forwarded, changed request is re-signed with its
        originator's).
    :param control: the endpoint's test control, for mutations that change its state.
    """

    def __init__(
        self,
        inner: DuisEndpoint,
        mutation: Mutation,
        *,
        dcc: SigningIdentity,
        users: Callable[[str], SigningIdentity | None],
        control: Control,
        schema_version: str = "5.4",
    ) -> None:
        self.inner = inner
        self.mutation = mutation
        self.dcc = dcc
        self.users = users
        self.control = control
        self.schema_version = schema_version
        self.calls: dict[str, Call] = {}  # RequestID -> the request, for device responses
        self.answered: dict[str, HttpReply] = {}  # RequestID -> the first answer (replay mutations)
        self.memo: dict[str, Any] = {}  # what a mutation remembers between a request and its answer
        self._lock = threading.Lock()

    # -- the endpoint contract --------------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        call = Call.of(method, path, headers, body)
        if call.request_id:
            with self._lock:
                self.calls.setdefault(call.request_id, call)
        hook = self.mutation.request
        changed = hook(self, call) if hook is not None else None
        if isinstance(changed, HttpReply):
            return changed
        if isinstance(changed, Call):
            call = changed
        reply = self.inner.handle(call.method, call.path, call.headers, call.body)
        if self.mutation.reply is not None:
            reply = self.mutation.reply(self, call, reply)
        if call.request_id and reply.status == 200:
            with self._lock:
                self.answered.setdefault(call.request_id, reply)
        return reply

    def set_response_sink(self, sink: ResponseSink | None) -> None:
        self.inner.set_response_sink(None if sink is None else self.wrap_sink(sink))

    def wrap_sink(self, sink: ResponseSink) -> ResponseSink:
        """``sink`` behind the mutation's delivery hook."""

        def deliver(raw: bytes) -> None:
            out = self.on_delivery(raw)
            if out is not None:
                sink(out)

        return deliver

    def on_delivery(self, raw: bytes) -> bytes | None:
        """An asynchronous response on its way to the user, through the delivery hook (None: dropped)."""
        hook = self.mutation.delivery
        if hook is None:
            return raw
        try:
            root = parse(raw).getroot()
        except DccError:
            return raw
        out = hook(self, root)
        return None if out is None else self.signed_bytes(out)

    # -- helpers for mutations --------------------------------------------------------------------------------

    def signed_bytes(self, root: etree._Element) -> bytes:
        sign(root, self.dcc)
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    def reply_of(self, root: etree._Element) -> HttpReply:
        return HttpReply(200, self.signed_bytes(root), {"content-type": "application/xml"})

    def answer(self, call: Call, code: str) -> HttpReply:
        """A bare answer ``code`` to ``call``, signed as the endpoint (the request is not forwarded)."""
        from pytest_dcc.duis.replies import build_response

        srv = call.srv or "8.2"
        root = build_response(schema_version=self.schema_version, code=code, srv=srv, request_id=call.request_id)
        return self.reply_of(root)

    def recode(self, reply: HttpReply, code: str) -> HttpReply:
        """``reply`` with ResponseCode ``code`` (an E-code loses its payload), re-signed."""
        root = self.parsed(reply)
        if root is None:
            return reply
        node = root.find(f"{_SR}Header/{_SR}ResponseCode")
        if node is None:
            return reply
        node.text = code
        if code.startswith("E"):
            message = root.find(f"{_SR}Body/{_SR}ResponseMessage")
            if message is not None:
                for child in list(message)[2:]:
                    message.remove(child)
        return self.reply_of(root)

    def code_of(self, reply: HttpReply) -> str | None:
        root = self.parsed(reply)
        return None if root is None else root.findtext(f"{_SR}Header/{_SR}ResponseCode")

    @staticmethod
    def parsed(reply: HttpReply) -> etree._Element | None:
        if reply.status != 200:
            return None
        try:
            return parse(reply.body).getroot()
        except DccError:
            return None

    def resigned(self, call: Call, root: etree._Element, path: str | None = None) -> Call:
        """``call`` carrying ``root`` (changed), re-signed with its originator's key."""
        identity = self.users(call.originator or "")
        if identity is not None:
            sign(root, identity)
        body = bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
        return Call(call.method, path or call.path, call.headers, body, root)

    def original(self, response: etree._Element) -> Call | None:
        """The request an asynchronous response answers."""
        rid = response.findtext(f"{_SR}Header/{_SR}RequestID")
        return self.calls.get(rid.strip()) if rid else None


# -- building blocks --------------------------------------------------------------------------------------------


def _srv_is(*srvs: str) -> Callable[[Call], bool]:
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


def _wan_rows(root: etree._Element) -> list[etree._Element]:
    return list(root.iter(f"{_SR}DSPWANMatrixResponse")) or [
        m for m in root.iter(f"{_SR}DSPWANMatrix") if m.find(f"{_SR}CSPRegion") is not None
    ]


def _wan_edit(change: Callable[[etree._Element], bool]) -> ReplyHook:
    def edit(root: etree._Element) -> bool:
        changed = False
        for row in _wan_rows(root):
            changed |= change(row)
        return changed

    return edit_reply(_srv_is("12.1"), edit)


def _set(row: etree._Element, tag: str, mapping: Mapping[str, str]) -> bool:
    node = row.find(f"{_SR}{tag}")
    if node is None or node.text is None or node.text not in mapping:
        return False
    node.text = mapping[node.text]
    return True


def _swap_regions(row: etree._Element) -> bool:
    return _set(row, "CSPRegion", {"North": "South", "South": "North", "Central": "North"})


def _variant_outside_region(row: etree._Element) -> bool:
    return _set(row, "WANTechnology", {"420": "Cellular", "Standard 420": "Cellular", "Cellular": "450"})


def _variant_confused(row: etree._Element) -> bool:
    return _set(row, "WANTechnology", {"Standard 420": "450", "420": "Variant 450", "Cellular+Mesh": "Cellular"})


def _other_column(row: etree._Element) -> bool:
    return _set(
        row, "WANTechnology", {"Standard 420": "420", "420": "Standard 420", "Variant 450": "450", "450": "Variant 450"}
    )


def _space_filled(row: etree._Element) -> bool:
    return _set(row, "WANTechnology", {" ": "Cellular"})


def _dated_as_space(row: etree._Element) -> bool:
    if row.find(f"{_SR}AnticipatedCoverageDate") is None:
        return False
    return _set(row, "WANTechnology", {"Cellular": " ", "Cellular+Mesh": " ", "420": " ", "Standard 420": " "})


def _date_dropped(row: etree._Element) -> bool:
    node = row.find(f"{_SR}AnticipatedCoverageDate")
    tech = row.findtext(f"{_SR}WANTechnology")
    if node is None or tech != " ":
        return False
    row.remove(node)
    return True


def _thresholds(call: Call) -> list[etree._Element]:
    return [] if call.root is None else list(call.root.iter(f"{_SR}BlockThreshold"))


def _scale_thresholds(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """The endpoint reads BlockThreshold as kWh: the meter is sent 1000 times the value."""
    nodes = _thresholds(call)
    if call.srv != "1.1.1" or call.cv != 4 or not nodes or call.root is None:
        return None
    for node in nodes:
        if (node.text or "").strip().isdigit():
            node.text = str(int((node.text or "0").strip()) * 1000)
    return proxy.resigned(call, call.root)


def _repair_indexes(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """The endpoint does not check index uniqueness and consecutiveness: the request is repaired to 1..n."""
    nodes = _thresholds(call)
    if call.srv != "1.1.1" or call.cv != 4 or not nodes or call.root is None:
        return None
    indexes = [n.get("index") for n in nodes]
    wanted = [str(i) for i in range(1, len(nodes) + 1)]
    if indexes == wanted:
        return None
    for node, index in zip(nodes, wanted, strict=True):
        node.set("index", index)
    return proxy.resigned(call, call.root)


def _big_threshold(call: Call) -> bool:
    return call.srv == "1.1.1" and any(
        int(t) > 2**40 for n in _thresholds(call) if (t := (n.text or "").strip()).isdigit()
    )


def _resign_any(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """The endpoint does not check signatures: every request is re-signed correctly before it is checked."""
    if call.root is None or call.root.find(f"{_DS}Signature") is None:
        return None
    return proxy.resigned(call, call.root)


def _right_path(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """The endpoint ignores the web service a request came to (no E13)."""
    cv = call.cv
    if cv is None:
        return None
    try:
        right = path_for_cv(cv)
    except (KeyError, ValueError):
        return None
    return None if right == call.path else Call(call.method, right, call.headers, call.body, call.root)


def _replay_answered(proxy: MutatingEndpoint, call: Call) -> HttpReply | None:
    """The endpoint does not detect replays: a RequestID already answered gets the same answer again."""
    if call.cv in (5, 6, 7) or not call.request_id:
        return None
    previous = proxy.answered.get(call.request_id)
    return previous


def _status(proxy: MutatingEndpoint, eui: str | None) -> str | None:
    if not eui:
        return None
    try:
        return str(proxy.control.device_view(eui)["smi"].get("status"))
    except (KeyError, LookupError, DccError):
        return None


def _e5_on_8_14_2(proxy: MutatingEndpoint, call: Call) -> HttpReply | None:
    if call.srv != "8.14.2":
        return None
    status = _status(proxy, call.text("DeviceID"))
    return proxy.answer(call, "E5") if status not in (None, "InstalledNotCommissioned", "Commissioned") else None


def _revert_pending(proxy: MutatingEndpoint, call: Call, *, chf: bool, gpf: bool) -> None:
    eui = call.text("DeviceID")
    if not eui:
        return
    view = proxy.control.device_view(eui)
    if chf:
        proxy.control.set_status(eui, "Pending")
    gpf_eui = view["smi"].get("gpf")
    if gpf and gpf_eui:
        proxy.control.set_status(str(gpf_eui), "Pending")


def _status_before(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """Remember the statuses before an 8.14.2, for mutations that undo what the endpoint did."""
    if call.srv == "8.14.2" and call.request_id:
        eui = call.text("DeviceID")
        if eui:
            view = proxy.control.device_view(eui)
            gpf = view["smi"].get("gpf")
            proxy.memo[f"status {call.request_id}"] = (view["smi"].get("status"), _status(proxy, gpf) if gpf else None)
    return None


def _pending_hub_left(gpf_only: bool) -> Mutation:
    def effect(proxy: MutatingEndpoint, call: Call) -> None:
        before = proxy.memo.get(f"status {call.request_id}")
        if before is None:
            return
        chf_was, gpf_was = before
        if not gpf_only and chf_was == "Pending":
            _revert_pending(proxy, call, chf=True, gpf=gpf_was == "Pending")
        elif gpf_only and gpf_was == "Pending":
            _revert_pending(proxy, call, chf=False, gpf=True)

    name = "8.14.2-gpf-left-pending" if gpf_only else "8.14.2-pending-chf-left-pending"
    what = "a Pending GPF is not moved with its CHF" if gpf_only else "a Pending CHF is not moved on"
    return Mutation(
        name,
        what,
        "black-box",
        frozenset({"MP081-DUIS-3.8.114.4"}),
        request=_status_before,
        reply=after(lambda c, code: c.srv == "8.14.2" and code == "W081401", effect),
    )


def _gpf_moved_whatever(proxy: MutatingEndpoint, call: Call) -> None:
    eui = call.text("DeviceID")
    if eui:
        gpf = proxy.control.device_view(eui)["smi"].get("gpf")
        if gpf:
            proxy.control.set_status(str(gpf), "InstalledNotCommissioned")


def _chf_moved_anyway(proxy: MutatingEndpoint, call: Call) -> None:
    eui = call.text("DeviceID")
    if eui:
        proxy.control.set_status(eui, "InstalledNotCommissioned")


def _join_pair(call: Call) -> tuple[str, str] | None:
    target, other = call.target, call.text("OtherDeviceID")
    return (target, other) if target and other else None


def _undo_local_unjoin(proxy: MutatingEndpoint, call: Call) -> None:
    """An 8.13 refused, yet the locally delivered Unjoin it carries is applied to the SMI."""
    original = proxy.calls.get(call.text("OriginalRequestID") or "")
    if original is None:
        original = next((c for c in reversed(proxy.calls.values()) if c.srv in ("8.8.1", "8.8.2")), None)
    pair = _join_pair(original) if original is not None else None
    if pair is not None:
        proxy.control.set_join(pair[0], pair[1], smi=True, device=False, remove=True)


def _delivery_for(
    srvs: tuple[str, ...], codes: tuple[str, ...], effect: Callable[[MutatingEndpoint, Call], None]
) -> DeliveryHook:
    def hook(proxy: MutatingEndpoint, response: etree._Element) -> etree._Element:
        call = proxy.original(response)
        code = response.findtext(f"{_SR}Header/{_SR}ResponseCode")
        if call is not None and call.srv in srvs and code in codes:
            effect(proxy, call)
        return response

    return hook


def _forget_smi_join(proxy: MutatingEndpoint, call: Call) -> None:
    pair = _join_pair(call)
    if pair:
        proxy.control.set_join(pair[0], pair[1], smi=True, device=False, remove=True)


def _record_smi_join(proxy: MutatingEndpoint, call: Call) -> None:
    pair = _join_pair(call)
    if pair:
        proxy.control.set_join(pair[0], pair[1], smi=True, device=False)


def _device_keeps_join(proxy: MutatingEndpoint, call: Call) -> None:
    pair = _join_pair(call)
    if pair:
        proxy.control.set_join(pair[0], pair[1], smi=False, device=True)


def _local_ack(proxy: MutatingEndpoint, call: Call) -> HttpReply | None:
    """8.13 acknowledged without being processed."""
    return proxy.answer(call, "I99") if call.srv == "8.13" else None


def _e080801_always(proxy: MutatingEndpoint, call: Call) -> HttpReply | None:
    return proxy.answer(call, "E080801") if call.srv in ("8.8.1", "8.8.2") and call.cv in (1, 4) else None


def _listed_refused(proxy: MutatingEndpoint, call: Call) -> HttpReply | None:
    """8.13 refuses the responses MP081 wrote into the list (6.15.1, 6.21)."""
    if call.srv != "8.13":
        return None
    original = proxy.calls.get(call.text("OriginalRequestID") or "")
    return proxy.answer(call, "E081302") if original is not None and original.srv in ("6.15.1", "6.21") else None


def _wrong_cv_repaired(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """The endpoint does not check the command variant against the SRV: CV 1 for SRV 6.24.2 is taken as CV 4."""
    if call.srv != "6.24.2" or call.cv != 1 or call.root is None:
        return None
    node = call.root.find(f"{_SR}Header/{_SR}CommandVariant")
    if node is None:
        return None
    node.text = "4"
    return proxy.resigned(call, call.root, path_for_cv(4))


def _service_reference_repaired(proxy: MutatingEndpoint, call: Call) -> Call | None:
    """The endpoint does not cross-check ServiceReference with the variant."""
    if call.root is None or not call.srv:
        return None
    node = call.root.find(f"{_SR}Header/{_SR}ServiceReference")
    wanted = ".".join(call.srv.split(".")[:2])
    if node is None or node.text == wanted:
        return None
    node.text = wanted
    return proxy.resigned(call, call.root)


def _http_400(proxy: MutatingEndpoint, call: Call, reply: HttpReply) -> HttpReply:
    """Signature failures refused at the HTTP level (a 400 with a reason) instead of a DUIS E1."""
    if proxy.code_of(reply) == "E1":
        return HttpReply(400, b"request signature does not verify", {"content-type": "text/plain"})
    return reply


T3: Final = frozenset({"MP081-CHISM-E3-T3"})
SPACE: Final = frozenset({"MP081-CHISM-E3-SPACE"})
THRESH: Final = frozenset({"MP081-DUIS-3.8.1.2"})
E773: Final = frozenset({"MP081-DUIS-3.8.77.3"})
E8: Final = frozenset({"MP081-DUIS-3.8.106.3"})
PENDING: Final = frozenset({"MP081-DUIS-3.8.114.4"})
LOCAL: Final = frozenset({"MP081-DUIS-3.8.112.2"})
E0808: Final = frozenset({"DP178-E080801"})
MP178: Final = frozenset({"MP178-UNJOIN"})
JOIN: Final = frozenset({"DP178-SMI-JOIN"})
ORGCERT: Final = frozenset({"MP081-ORGCERT-TRACKING"})
_SUPPLIER: Final = "90-B3-D5-1F-30-01-00-00"  # DCC Boxed's test supplier


def _dcc20_names(row: etree._Element) -> bool:
    return _set(row, "WANTechnology", {"Standard 420": "420", "Variant 450": "450"})


def _warned(call: Call, code: str | None) -> bool:
    return call.srv == "8.14.2" and code == "W081401"


REJOIN: Final = frozenset({"DP178-REJOIN"})


def catalogue() -> dict[str, Mutation]:
    """Every black-box mutation (one wrong behaviour each, from one side of one registry rule) and every
    correct-but-different endpoint that must stay green."""
    bb = "black-box"
    rows = [
        # MP081-CHISM-E3-T3 / SPACE
        Mutation("wan-rows-relabelled", "12.1 rows name another CSP region", bb, T3 | SPACE,
                 reply=_wan_edit(_swap_regions)),
        Mutation("wan-variant-outside-its-region", "12.1 answers a variant of another region", bb, T3 | SPACE,
                 reply=_wan_edit(_variant_outside_region)),
        Mutation("wan-variant-confused", "12.1 answers another table 3 variant than the CSP gave", bb, T3 | SPACE,
                 reply=_wan_edit(_variant_confused)),
        Mutation("declared-column-not-kept", "the statement declares the DCC 1.3 column; 12.1 answers DCC 2.0 names",
                 bb, T3 | SPACE, statement={"chism_column": "DCC 1.3"},
                 reply=_wan_edit(_dcc20_names)),
        Mutation("space-filled-in", '12.1 answers "Cellular" where " " is due', bb, SPACE,
                 reply=_wan_edit(_space_filled)),
        Mutation("confirmed-variant-answered-as-space", '12.1 answers " " for a confirmed variant with a date', bb,
                 SPACE | T3, reply=_wan_edit(_dated_as_space)),
        Mutation("space-without-its-date", '12.1 drops the availability date of a " " answer', bb, SPACE,
                 reply=_wan_edit(_date_dropped)),
        # MP081-DUIS-3.8.1.2
        Mutation("thresholds-read-as-kwh", "1.1.1 BlockThreshold taken as kWh (the meter gets x1000)", bb, THRESH,
                 request=_scale_thresholds),
        Mutation("threshold-indexes-not-checked", "1.1.1 accepts duplicate or gapped indexes", bb, THRESH,
                 request=_repair_indexes),
        Mutation("large-thresholds-refused", "1.1.1 refuses thresholds above 2^40 Wh (the type allows 2^48-1)", bb,
                 THRESH, request=refuse(_big_threshold, "E010102")),
        Mutation("tariffs-always-refused", "1.1.1 is always refused", bb, THRESH,
                 request=refuse(_srv_is("1.1.1"), "E010101")),
        # MP081-DUIS-3.8.77.3 (and the general validation it leaves)
        Mutation("6.24.2-refused-without-certificate", "6.24.2 refused for a device other than a meter", bb, E773,
                 request=refuse(lambda c: c.srv == "6.24.2" and c.cv == 4 and c.target is not None
                                and not c.target.upper().endswith(("A0", "A1")), "E062401")),
        Mutation("6.24.2-always-refused", "6.24.2 is always refused", bb, E773 | frozenset({"MP081-DUIS-3.8.77.4"}),
                 request=refuse(lambda c: c.srv == "6.24.2" and c.cv == 4, "E062402")),
        Mutation("signatures-not-checked", "requests are accepted whatever their signature", bb, E773,
                 request=_resign_any),
        Mutation("replays-answered-again", "a replayed RequestID gets its first answer again", bb, E773,
                 request=_replay_answered),
        Mutation("web-service-not-checked", "a request is processed whatever web service it came to (no E13)", bb,
                 E773, request=_right_path),
        Mutation("e13-miscoded", "the wrong web service is refused E12 instead of E13", bb, E773,
                 reply=recode(lambda c: True, {"E13": "E12"})),
        Mutation("command-variant-not-checked", "CV 1 for SRV 6.24.2 is taken as CV 4", bb, E773,
                 request=_wrong_cv_repaired),
        Mutation("service-reference-not-checked", "ServiceReference is not cross-checked with the variant", bb, E773,
                 request=_service_reference_repaired),
        # MP081-DUIS-3.8.106.3 / 3.8.114.4
        Mutation("8.14.2-e5-applied", "8.14.2 refused E5 unless the CHF is InstalledNotCommissioned or Commissioned",
                 bb, E8 | PENDING, request=_e5_on_8_14_2),
        Mutation("8.14.2-no-w081401", "8.14.2 answers I99 where W081401 is due", bb, E8 | PENDING,
                 reply=recode(_srv_is("8.14.2"), {"W081401": "I99"})),
        Mutation("8.14.2-w081401-always", "8.14.2 warns W081401 for an InstalledNotCommissioned CHF too", bb, E8,
                 reply=recode(_srv_is("8.14.2"), {"I99": "W081401", "I0": "W081401"})),
        Mutation("8.14.2-not-a-chf-accepted", "8.14.2 acknowledges a device that is not a CHF", bb, E8,
                 reply=recode(_srv_is("8.14.2"), {"E081401": "W081401"})),
        Mutation("8.14.2-future-accepted", "8.14.2 accepts an install time in the future", bb, E8 | PENDING,
                 reply=recode(_srv_is("8.14.2"), {"E081402": "W081401"})),
        Mutation("8.14.2-e081401-miscoded", "8.14.2 refuses a non-CHF with E081405", bb, E8,
                 reply=recode(_srv_is("8.14.2"), {"E081401": "E081405"})),
        Mutation("8.14.2-future-refused-but-applied", "8.14.2 refused E081402, yet the CHF moves on", bb, E8 | PENDING,
                 reply=after(lambda c, code: c.srv == "8.14.2" and code == "E081402", _chf_moved_anyway)),
        _pending_hub_left(gpf_only=False),
        _pending_hub_left(gpf_only=True),
        Mutation("8.14.2-gpf-moved-whatever", "8.14.2 moves the GPF to InstalledNotCommissioned whatever its status",
                 bb, PENDING, reply=after(_warned, _gpf_moved_whatever)),
        # MP081-DUIS-3.8.112.2
        Mutation("8.13-listed-refused", "8.13 refuses 6.15.1 and 6.21 responses", bb, LOCAL | ORGCERT,
                 request=_listed_refused),
        Mutation("8.13-unlisted-accepted", "8.13 acknowledges a response off the list", bb, LOCAL,
                 reply=recode(_srv_is("8.13"), {"E081302": "I99"})),
        Mutation("8.13-missing-original-accepted", "8.13 acknowledges a response without OriginalRequestID", bb, LOCAL,
                 reply=recode(_srv_is("8.13"), {"E081301": "I99"})),
        Mutation("8.13-mismatch-accepted", "8.13 acknowledges a response that does not match OriginalRequestID", bb,
                 LOCAL, reply=recode(_srv_is("8.13"), {"E081303": "I99"})),
        Mutation("8.13-refused-but-applied", "8.13 refused, yet the Unjoin it returns reaches the SMI", bb, LOCAL,
                 reply=after(lambda c, code: c.srv == "8.13" and bool(code) and str(code).startswith("E"),
                             _undo_local_unjoin)),
        Mutation("8.13-acknowledged-not-processed", "8.13 acknowledged without processing the response", bb,
                 LOCAL | frozenset({"MP081-ORGCERT-TRACKING"}), request=_local_ack),
        # DP178 / MP178
        Mutation("e080801-not-checked-before-2024-06", "an Unjoin without SMI join goes through before MP178", bb,
                 E0808,
                 claimed="2021-06", inner="2024-06"),
        Mutation("e080801-always", "every Unjoin refused E080801", bb, E0808 | MP178 | JOIN | REJOIN, claimed="2021-06",
                 request=_e080801_always),
        Mutation("e080801-miscoded", "Unjoin without SMI join refused E080821", bb, E0808 | JOIN | REJOIN,
                 claimed="2021-06", reply=recode(_srv_is("8.8.1", "8.8.2"), {"E080801": "E080821"})),
        Mutation("e080801-still-refused-after-2024-06", "an Unjoin without SMI join still refused after MP178", bb,
                 MP178,
                 claimed="latest", inner="2021-06"),
        Mutation("unjoin-acknowledged-not-applied", "Unjoin answered, yet the device keeps the join", bb,
                 E0808 | MP178, claimed="latest",
                 delivery=_delivery_for(("8.8.1", "8.8.2"), ("I0",), _device_keeps_join)),
        Mutation("join-not-recorded", "the DSP ignores the device's Join response", bb, JOIN | REJOIN | E0808,
                 delivery=_delivery_for(("8.7.1", "8.7.2"), ("I0",), _forget_smi_join)),
        Mutation("lost-join-recorded", "the SMI records a join whose response never reached the DSP", bb, JOIN | REJOIN,
                 delivery=_delivery_for(("8.7.1", "8.7.2"), ("E21",), _record_smi_join)),
        Mutation("rejoin-rejected-yet-recorded", "the SMI records a join the meter rejected", bb,
                 REJOIN | JOIN | E0808 | MP178,
                 delivery=_delivery_for(("8.7.1", "8.7.2"), ("I0", "E21"), _record_smi_join)),
        # transport
        Mutation("unsigned-answers", "answers lose their signature", bb,
                 reply=lambda proxy, call, reply: _unsigned(proxy, reply), error_cause="ResponseSignatureError"),
        # must stay green
        Mutation("green-other-codes-of-the-set", "other unpublished codes of the same SR's set", "green",
                 reply=recode(lambda c: True, {"E010101": "E010102", "E081302": "E081303", "E081303": "E081301",
                                               "E081301": "E081302", "E1": "E2", "E12": "E2"})),
        Mutation("green-http-400-for-bad-signatures", "signature failures refused with HTTP 400", "green",
                 reply=_http_400),
        Mutation("green-other-chism-column", "CHISM table 3 in the other naming column", "green",
                 reply=_wan_edit(_other_column)),
        Mutation("green-declared-dcc20-column", "the DCC 2.0 column, declared in the statement", "green",
                 reply=_wan_edit(_dcc20_names), statement={"chism_column": "DCC 2.0"}),
        Mutation("green-declared-codes", "the unpublished codes it uses, declared in the statement", "green",
                 reply=recode(lambda c: True, {"E010101": "E010102", "E081302": "E081301"}),
                 statement={"refusal_codes": {"threshold-index-duplicate": "E010102",
                                              "threshold-index-not-consecutive": "E010102",
                                              "local-response-off-the-list": "E081301"}}),
        Mutation("green-multi-role-user", "one EUI is both the Import and the Gas Supplier (as DCC Boxed's is)",
                 "green", statement={"users": [{"role": "IS", "eui": _SUPPLIER}, {"role": "GS", "eui": _SUPPLIER},
                                               {"role": "OU", "eui": "90-B3-D5-1F-30-04-00-00"}]}),
        Mutation("green-mp081-dcc-before-2020-11", "a June 2020 DCC that already processes as MP081 describes",
                 "green", claimed="2020-06", inner="2021-06"),
    ]  # fmt: skip
    return {m.name: m for m in rows}


def _unsigned(proxy: MutatingEndpoint, reply: HttpReply) -> HttpReply:
    root = proxy.parsed(reply)
    if root is None or proxy.code_of(reply) in (None,) or str(proxy.code_of(reply)).startswith("E"):
        return reply
    for signature in root.findall(f"{_DS}Signature"):
        root.remove(signature)
    return HttpReply(200, bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8")), reply.headers)


# -- wiring: in process, and as an HTTP proxy in front of any endpoint -------------------------------------------


@dataclass
class _Inner:
    handle: Callable[[str, str, Mapping[str, str], bytes], HttpReply]
    set_response_sink: Callable[[ResponseSink | None], None]


def attach(dcc: Any, mutation: Mutation, pki: Any) -> MutatingEndpoint:
    """Put ``mutation`` in front of the in-process reference DCC ``dcc`` (its ``handle`` and response sink), with
    the DCC's own key and the PKI's user keys; its test control is the DCC's own methods."""
    from pytest_dcc.spec import DCC_EUI

    def user(eui: str) -> SigningIdentity | None:
        try:
            return pki.identity(eui)  # type: ignore[no-any-return]
        except (KeyError, DccError):
            return None

    proxy = MutatingEndpoint(
        _Inner(dcc.handle, dcc.set_response_sink),
        mutation,
        dcc=pki.identity(DCC_EUI),
        users=user,
        control=dcc,
        schema_version=dcc.release.schema_version,
    )
    dcc.handle = proxy.handle
    dcc.set_response_sink = proxy.set_response_sink
    return proxy


class HttpUpstream:
    """A DUIS endpoint over HTTP, as a :class:`DuisEndpoint` (its asynchronous responses come to the proxy's
    ``/deliver``)."""

    def __init__(self, base_url: str, timeout_s: float = 30.0) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(timeout=timeout_s)

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        forwarded = {k: v for k, v in headers.items() if k.lower() in ("content-type", "accept")}
        reply = self.client.request(method, self.base_url + path, content=body, headers=forwarded)
        return HttpReply(reply.status_code, reply.content, {k.lower(): v for k, v in reply.headers.items()})

    def set_response_sink(self, sink: ResponseSink | None) -> None:
        return None

    def close(self) -> None:
        self.client.close()


class HttpControl:
    """The test-control API of ``pytest-dcc serve --test-control``, for mutations that change state."""

    def __init__(self, base_url: str) -> None:
        import httpx

        self.base_url = base_url.rstrip("/") + "/test-control"
        self.client = httpx.Client(timeout=30.0)

    def _post(self, path: str, data: Mapping[str, Any]) -> None:
        self.client.post(self.base_url + path, json=dict(data)).raise_for_status()

    def set_status(self, eui: str, status: str) -> None:
        self._post(f"/devices/{eui}/status", {"status": status})

    def set_join(self, eui: str, other: str, *, smi: bool, device: bool, remove: bool = False) -> None:
        self._post(f"/devices/{eui}/joins", {"other": other, "smi": smi, "device": device, "remove": remove})

    def device_view(self, eui: str) -> dict[str, Any]:
        reply = self.client.get(f"{self.base_url}/devices/{eui}")
        if reply.status_code == 404:
            raise KeyError(eui)
        reply.raise_for_status()
        return dict(reply.json())

    def close(self) -> None:
        self.client.close()


#: Headers that describe the upstream's own message, not the (possibly rewritten) answer the proxy sends.
_HOP_HEADERS: Final = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


def proxy_app(proxy: MutatingEndpoint, upstream: str, receiver: str) -> Any:
    """A Starlette app: the DUIS services through ``proxy``; ``/deliver`` takes the upstream's asynchronous
    responses (its ``--response-url``) through the delivery hook on to ``receiver`` (delivery probes untouched);
    a receiver the suite registers through test control (``/test-control/response-url``) replaces ``receiver``
    here, the upstream keeps delivering to the proxy; everything else (health, test control, the SMKI search) is
    passed to ``upstream`` untouched. Close ``app.state.client`` when done."""
    import asyncio
    import json

    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from pytest_dcc.spec import PROBE_HEADER, SERVICE_PATHS

    client = httpx.Client(timeout=30.0)
    forward = {"to": receiver}

    async def register(request: Request) -> Response:
        try:
            url = json.loads(await request.body() or b"{}").get("url")
        except (ValueError, AttributeError):
            return Response(b'give {"url": URL}', 400)
        previous, forward["to"] = forward["to"], url or receiver
        return Response(json.dumps({"previous": previous}).encode(), 200, media_type="application/json")

    async def duis(request: Request) -> Response:
        body = await request.body()
        reply = await asyncio.to_thread(proxy.handle, "POST", request.url.path, dict(request.headers), body)
        headers = {k: v for k, v in reply.headers.items() if k.lower() not in _HOP_HEADERS}
        return Response(reply.body, reply.status, headers=headers)

    async def deliver(request: Request) -> Response:
        raw = await request.body()
        token = request.headers.get(PROBE_HEADER)
        if token is not None and not raw:  # a delivery probe, not a response: passed on as it is
            try:
                reply = await asyncio.to_thread(client.post, forward["to"], content=b"", headers={PROBE_HEADER: token})
            except httpx.HTTPError:
                return Response(b"receiver unreachable", 502)
            return Response(status_code=reply.status_code)
        out = await asyncio.to_thread(proxy.on_delivery, raw)
        if out is not None:
            try:
                headers = {"content-type": "application/xml"}
                await asyncio.to_thread(client.post, forward["to"], content=out, headers=headers)
            except httpx.HTTPError:
                return Response(b"receiver unreachable", 502)
        return Response(status_code=204)

    async def passthrough(request: Request) -> Response:
        body = await request.body()
        reply = await asyncio.to_thread(
            client.request,
            request.method,
            upstream.rstrip("/") + request.url.path,
            params=dict(request.query_params),
            content=body,
            headers={k: v for k, v in request.headers.items() if k.lower() == "content-type"},
        )
        return Response(reply.content, reply.status_code, media_type=reply.headers.get("content-type"))

    routes = [Route(path, duis, methods=["POST"]) for path in SERVICE_PATHS.values()]
    routes.append(Route("/deliver", deliver, methods=["POST"]))
    routes.append(Route("/test-control/response-url", register, methods=["POST"]))
    routes.append(Route("/{rest:path}", passthrough, methods=["GET", "POST", "PUT", "DELETE"]))
    app = Starlette(routes=routes)
    app.state.client = client
    return app


__all__ = [
    "HttpControl",
    "HttpUpstream",
    "attach",
    "proxy_app",
    "Call",
    "Control",
    "MutatingEndpoint",
    "Mutation",
    "after",
    "catalogue",
    "edit_reply",
    "recode",
    "refuse",
]

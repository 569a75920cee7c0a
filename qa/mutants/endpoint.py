"""A mutating proxy: a correct DUIS endpoint made wrong (or correct but different) from the outside, one behaviour
at a time, to measure what the suite detects without touching the endpoint's code.

:class:`MutatingEndpoint` sits between the suite and any :class:`~pytest_dcc.duis.endpoint.DuisEndpoint` (the
reference DCC in process, or :class:`HttpUpstream` for an endpoint over HTTP). A black-box or green
:class:`~qa.mutants.mutant.Mutant` may

* answer a request itself without forwarding it (skip the endpoint: acknowledge without applying, refuse what it
  would accept),
* forward a changed request (re-signed with the originator's key: skip a check by repairing what it would refuse),
* rewrite the answer (another code, another payload), re-signed with the endpoint's own DSP key,
* act on the endpoint's state after the answer through its test control (apply without being asked, drop the
  effect), and
* rewrite, drop or act on an asynchronous device response on its way to the user.

:mod:`qa.mutants.catalogue` derives the black-box mutants from both sides of each rule of the clause registry, plus
the "must stay green" family: endpoints that are correct but differ from the reference (other unpublished codes of
the same set, the other CHISM table 3 column, HTTP 4xx for malformed requests, an MP081 DCC before November 2020).

This module imports duis, spec and transport only; it never imports pytest or the suite side.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from lxml import etree

from pytest_dcc.duis.endpoint import DuisEndpoint, HttpReply, ResponseSink
from pytest_dcc.duis.signing import SigningIdentity, sign
from pytest_dcc.duis.xmlsafe import parse
from pytest_dcc.errors import DccError
from pytest_dcc.spec import NS_DS, NS_SR
from qa.mutants.mutant import Mutant

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
#: A delivery hook answers the element to deliver (re-signed as the endpoint), bytes to deliver as they are, or None
#: to drop the delivery.
DeliveryHook = Callable[["MutatingEndpoint", etree._Element], "etree._Element | bytes | None"]


class MutatingEndpoint:
    """A :class:`DuisEndpoint` that applies ``mutation`` (a black-box or green :class:`Mutant`) to what passes
    between the suite and ``inner``.

    :param dcc: the endpoint's own response-signing identity (answers are re-signed with it).
    :param users: the users' signing identities by EUI (a forwarded, changed request is re-signed with its
        originator's).
    :param control: the endpoint's test control, for mutations that change its state.
    """

    def __init__(
        self,
        inner: DuisEndpoint,
        mutation: Mutant,
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
            if out is None:
                return
            if self.mutation.deliver_after_s is not None:  # after the answer: the suite must wait for it
                _later(self.mutation.deliver_after_s, lambda: forward(out))
            else:
                forward(out)

        def forward(out: bytes) -> None:
            sink(out)
            if self.mutation.redeliver_after_s is not None:
                self.redeliver(sink, out, self.mutation.redeliver_after_s)

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
        if out is None or isinstance(out, bytes):
            return out
        return self.signed_bytes(out)

    def redeliver(self, sink: ResponseSink, out: bytes, after_s: float) -> None:
        """At-least-once delivery: ``out`` again at once, and signed again ``after_s`` seconds later."""
        with contextlib.suppress(DccError):  # a copy the receiver refuses is the suite's to report, not ours
            sink(out)
        later = self.signed_bytes(parse(out).getroot())
        _later(after_s, lambda: sink(later))

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


def _later(after_s: float, send: Callable[[], None]) -> None:
    """``send`` in ``after_s`` seconds, on a timer thread (what it raises is dropped: a delivery the receiver
    refuses is the suite's to report, and the run may be over and its receiver gone)."""

    def late() -> None:
        with contextlib.suppress(Exception):
            send()

    timer = threading.Timer(after_s, late)
    timer.daemon = True
    timer.start()


__all__ = ["Call", "Control", "DeliveryHook", "MutatingEndpoint", "ReplyHook", "RequestHook"]

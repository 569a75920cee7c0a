"""The reference DCC: the Data Service Provider side of DUIS, behaving as a chosen SEC release.

:meth:`ReferenceDcc.handle` is the whole request pipeline (see ``docs/reference-dcc.md`` for the order and the
codes): HTTP checks, hardened parse, schema, signature, RequestID and counter, SR/SRV/body/CV and URL, user and role,
device existence, user-for-device, device status, then the Service Request's own processing. Every Service Request
runs in one SQLite transaction; a refusal rolls it back, so a refused request changes nothing.

The pipeline reads the request into a :class:`~pytest_dcc.reference.services.base.RequestContext` and hands it to
the service of its SRV (:mod:`pytest_dcc.reference.services`): device Service Requests are carried out by simulated
devices, whose responses reach the user asynchronously through the response sink (in process) or the response URL
(server); non-device ones are processed against the SMI.
"""

from __future__ import annotations

import base64
import functools
import logging
import sqlite3
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol, runtime_checkable

from cryptography import x509
from lxml import etree

from pytest_dcc.duis import replies
from pytest_dcc.duis.endpoint import HttpReply, ResponseSink
from pytest_dcc.duis.gbcs import MESSAGE_CODES, parse_general_signing
from pytest_dcc.duis.ids import RequestID
from pytest_dcc.duis.schema import DuisSchema, load_schema
from pytest_dcc.duis.semantics import request_issues
from pytest_dcc.duis.signing import (
    SignatureStatus,
    SigningIdentity,
    TrustStore,
    sign,
    unread_markup,
    verify,
)
from pytest_dcc.duis.xmlsafe import DEFAULT_MAX_BYTES, parse
from pytest_dcc.errors import GbcsError, Refusal, XmlSecurityError
from pytest_dcc.reference.checks import ACTIVE_STATUSES, check_status, check_supplier
from pytest_dcc.reference.control import TestControl
from pytest_dcc.reference.inventory import Device, Inventory, User
from pytest_dcc.reference.services import catalogue, devices
from pytest_dcc.reference.services.base import RequestContext
from pytest_dcc.spec import LOCAL_DELIVERY_CVS, NS_SR, SERVICE_PATHS, SIGNED_PRE_COMMAND_CVS, SRVS
from pytest_dcc.spec.releases import Release
from pytest_dcc.spec.releases import release as release_named

log = logging.getLogger("pytest_dcc.reference")

_SR: Final = f"{{{NS_SR}}}"
_XML: Final = {"content-type": "application/xml"}
#: How many handled requests :attr:`ReferenceDcc.history` keeps.
HISTORY_SIZE: Final = 1000


@runtime_checkable
class DeliveryQueue(Protocol):
    """A response sink that delivers in the background and reports each outcome back to the DCC
    (:meth:`ReferenceDcc.delivered`, :meth:`ReferenceDcc.delivery_failed`); the server's ResponsePoster is one."""

    def submit(self, item_id: int, raw: bytes) -> None:
        """Deliver outbox item ``item_id`` (the bytes ``raw``) some time later."""
        ...


@dataclass(frozen=True, slots=True)
class Handled:
    """The record of one request, kept for test control and logs."""

    request_id: str | None
    srv: str | None
    code: str
    reason: str


class ReferenceDcc(TestControl):
    """The reference DCC, callable in process (:class:`~pytest_dcc.duis.endpoint.DuisEndpoint`).

    :param release: SEC release name (``latest`` included) or a :class:`Release`.
    :param identity: the DCC's response-signing key and certificate.
    :param inventory: the SMI; a fresh in-memory one by default.
    :param trust: extra certificates users may sign with (besides the ones registered with each user).
    :param verify_signatures: check request signatures (DCC Boxed's "DUIS Signature validation" switch).
    :param schema: the schema requests are validated against (the embedded schema by default).
    :param clock: the current time (for ``ResponseDateTime``, E081402 and certificate validity).
    """

    def __init__(
        self,
        *,
        identity: SigningIdentity,
        release: str | Release = "latest",
        inventory: Inventory | None = None,
        trust: TrustStore | None = None,
        verify_signatures: bool = True,
        schema: DuisSchema | None = None,
        clock: Callable[[], datetime] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.release = release if isinstance(release, Release) else release_named(release)
        self.identity = identity
        self.inventory = inventory or Inventory()
        self.trust = trust or TrustStore()
        self.verify_signatures = verify_signatures
        self.schema = schema or load_schema(None)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.max_bytes = max_bytes
        self._sink: ResponseSink | DeliveryQueue | None = None
        #: The latest requests handled (bounded: a long-running server must not grow without limit).
        self.history: deque[Handled] = deque(maxlen=HISTORY_SIZE)
        #: Called after every :meth:`seed` (the PKI set-up uses it to give new users their certificates).
        self.on_seed: Callable[[ReferenceDcc], None] | None = None

    # -- the DuisEndpoint contract ------------------------------------------------------------------------------

    def set_response_sink(self, sink: ResponseSink | DeliveryQueue | None) -> None:
        """Where asynchronous responses go: a callable (called in the request's thread) or a
        :class:`DeliveryQueue`. ``None`` keeps them in the outbox. Responses already in the outbox (queued without
        a sink, or left by a server that stopped before delivering them) are handed over now."""
        self._sink = sink
        if sink is not None:
            for row in self.inventory.outbox("pending"):
                self._deliver(int(row["id"]), bytes(row["body"]))

    @property
    def response_sink(self) -> ResponseSink | DeliveryQueue | None:
        """Where asynchronous responses go now (``None``: the outbox)."""
        return self._sink

    @property
    def undelivered(self) -> list[bytes]:
        """Asynchronous responses still in the outbox: not delivered yet, or given up on."""
        return [bytes(row["body"]) for row in self.inventory.outbox()]

    def delivered(self, item_id: int) -> None:
        """A :class:`DeliveryQueue` reports that the user's receiver accepted outbox item ``item_id``."""
        self.inventory.response_delivered(item_id)

    def delivery_failed(self, item_id: int, attempts: int, reason: str) -> None:
        """A :class:`DeliveryQueue` gave up on outbox item ``item_id``; it stays in the outbox, marked failed."""
        log.warning("asynchronous response %s not delivered after %d attempt(s): %s", item_id, attempts, reason)
        self.inventory.response_failed(item_id, attempts, reason)

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        """Answer one HTTP request to ``/api/v1/serviceD|S|T``."""
        context = self._http_problem(method, path, headers, body) or self._read(path, body)
        if isinstance(context, HttpReply):
            return context
        with self.inventory.lock:
            outbox: list[tuple[int, bytes]] = []
            try:
                with self.inventory.transaction():
                    answer = self._process(context)
                    code = answer.findtext(f"{_SR}Header/{_SR}ResponseCode") or ""
                    rid = str(context.request_id)
                    try:
                        self.inventory.journal(rid, context.cv, context.srv.srv, code, self.clock().isoformat())
                    except sqlite3.IntegrityError:  # the counters said new (they were reset), the journal says not
                        raise Refusal("E1", f"{rid} with CV {context.cv} was already processed: replay") from None
                    # Kept with the request: a server stopped before delivery delivers them when it restarts.
                    outbox = [(self.inventory.enqueue_response(rid, item), item) for item in context.outbox]
                self.history.append(Handled(rid, context.srv.srv, code, "processed"))
            except Refusal as refusal:
                answer = context.reply(refusal.code)
                self.history.append(Handled(str(context.request_id), context.srv.srv, refusal.code, refusal.reason))
                log.info("refused %s (%s): %s", context.request_id, context.srv.srv, refusal)
            except (ValueError, OverflowError) as exc:  # schema-valid, unreadable (24:00:00, year 10000): rolled back
                log.info("unreadable %s (%s): %s", context.request_id, context.srv.srv, exc)
                return _text(400, f"request holds a value that cannot be read: {exc}")
            sign(answer, self.identity)
        for item_id, item in outbox:
            self._deliver(item_id, item)
        return HttpReply(200, replies.to_bytes(answer), dict(_XML))

    def _read(self, path: str, body: bytes) -> RequestContext | HttpReply:
        """The request as the pipeline reads it, or the HTTP 400 of one that cannot be read (nothing is changed)."""
        try:
            root = parse(body, max_bytes=self.max_bytes, what="request").getroot()
        except XmlSecurityError as exc:
            return _text(400, str(exc))
        issues = self.schema.issues(root)
        if issues:
            listed = "\n".join(f"- {i}" for i in issues[:20])
            return _text(400, f"request is not valid against {self.schema.name}:\n{listed}")
        if root.tag != f"{_SR}Request":
            return _text(400, f"expected sr:Request, got {etree.QName(root).localname}")
        header = root.find(f"{_SR}Header")
        unread = unread_markup(header) if header is not None else None
        if unread is not None:  # the items that address an answer cannot be read as signed: no DUIS answer names it
            return _text(400, f"request header refused: {unread}")
        srv_text = root.findtext(f"{_SR}Header/{_SR}ServiceReferenceVariant") or ""
        if srv_text not in SRVS:
            return _text(400, f"unknown ServiceReferenceVariant {srv_text!r}")
        try:
            return self._context(root, path)
        except (ValueError, KeyError) as exc:  # a schema looser than the pipeline (an official XSD, say)
            return _text(400, f"request header cannot be read: {exc}")

    def _http_problem(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> HttpReply | None:
        """The HTTP-level refusal of a request (404, 405, 415, 413), or None when it may be read."""
        if path not in SERVICE_PATHS.values():
            return _text(404, f"no DUIS service at {path}; use {', '.join(SERVICE_PATHS.values())}")
        if method.upper() != "POST":
            return _text(405, f"{method} is not allowed on {path}; POST a signed sr:Request")
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
        if content_type is not None and content_type.split(";")[0].strip().lower() not in {
            "application/xml",
            "text/xml",
        }:
            return _text(415, f"Content-Type {content_type!r} is not application/xml")
        if len(body) > self.max_bytes:
            return _text(413, f"request of {len(body)} bytes exceeds the {self.max_bytes}-byte limit")
        return None

    # -- pipeline ----------------------------------------------------------------------------------------------

    def _context(self, root: etree._Element, path: str) -> RequestContext:
        header = root.find(f"{_SR}Header")
        body = root.find(f"{_SR}Body")
        children = [c for c in body if isinstance(c.tag, str)] if body is not None else []
        if header is None or not children:
            raise ValueError("an sr:Request needs an sr:Header and an sr:Body with one element")
        return RequestContext(
            root=root,
            path=path,
            request_id=RequestID.parse(header.findtext(f"{_SR}RequestID") or ""),
            cv=int(header.findtext(f"{_SR}CommandVariant") or "0"),
            srv=SRVS[header.findtext(f"{_SR}ServiceReferenceVariant") or ""],
            body=children[0],
            inventory=self.inventory,
            release=self.release,
            clock=self.clock,
        )

    def _process(self, ctx: RequestContext) -> etree._Element:
        registered = self._authenticate(ctx)
        self._check_envelope(ctx)
        ctx.role = self._authorise_user(ctx, registered)
        if ctx.srv.non_device:
            return self._non_device(ctx)
        device = self._device_for(ctx)
        self._authorise_device(ctx, device)
        return self._device_request(ctx, device)

    def _authenticate(self, ctx: RequestContext) -> User | None:
        """Signature (when checked) and counter; returns the registered originator, for :meth:`_authorise_user`."""
        rid = ctx.request_id
        unread = None if self.verify_signatures else unread_markup(ctx.root)  # verify() checks it otherwise
        if unread is not None:  # the pipeline reads .text: a comment would cut what it reads
            raise Refusal("E1", f"request refused: {unread}")
        user = self.inventory.user(rid.originator)
        if self.verify_signatures:
            trust = self.trust
            if user is not None and user.certificate:
                trust = TrustStore(self.trust)
                trust.add(_certificate(user.certificate))
            check = verify(ctx.root, trust, at=self.clock())
            if check.status is SignatureStatus.UNKNOWN_SIGNER:  # perhaps another registered user: say so if it is
                other = verify(ctx.root, self._registered(), at=self.clock())
                if other.status is SignatureStatus.VERIFIED:  # never accepted: the originator's key is not this one
                    signer = other.signer_eui or "another registered user"
                    raise Refusal("E1", f"signed by {signer}, but the BusinessOriginatorID is {rid.originator}")
            if check.status is not SignatureStatus.VERIFIED:
                raise Refusal("E1", f"request signature: {check.summary()}")
            if check.signer_eui is not None and check.signer_eui != rid.originator:
                raise Refusal("E1", f"signed by {check.signer_eui}, but the BusinessOriginatorID is {rid.originator}")
        follow_up = ctx.cv in SIGNED_PRE_COMMAND_CVS
        last = self.inventory.last_counter(rid.originator)
        if not follow_up and last is not None and rid.counter <= last:
            raise Refusal("E1", f"OriginatorCounter {rid.counter} is not above the last accepted ({last}): replay")
        if not follow_up:
            self.inventory.accept_counter(rid.originator, rid.counter)
        return user

    def _registered(self) -> TrustStore:
        """The DCC's trust with every registered user's certificate: a request signed by another user than its
        originator is refused for that (not as signed by an unknown key)."""
        trust = TrustStore(self.trust)
        for user in self.inventory.users():
            if user.certificate:
                trust.add(_certificate(user.certificate))
        return trust

    def _check_envelope(self, ctx: RequestContext) -> None:
        for issue in request_issues(ctx.root, path=ctx.path):
            if issue.rule in {"E12", "E13"}:
                raise Refusal(issue.rule, issue.message)

    def _authorise_user(self, ctx: RequestContext, user: User | None) -> str:
        """The role the user sends ``ctx`` in: the first of its roles eligible for the SRV."""
        if user is None:
            raise Refusal("E1", f"{ctx.request_id.originator} is not a registered user")
        if user.status != "Active":
            raise Refusal("E3", f"user {user.eui} is {user.status}")
        eligible = [r for r in user.roles if r in ctx.srv.roles]
        if not eligible:
            raise Refusal(
                "E2", f"role {user.role} may not send SRV {ctx.srv.srv} (eligible: {', '.join(ctx.srv.roles)})"
            )
        return eligible[0]

    def _device_for(self, ctx: RequestContext) -> Device:
        device = self.inventory.device(ctx.request_id.target)
        if device is None:
            raise Refusal("E19", f"device {ctx.request_id.target} is not in the Smart Metering Inventory")
        return device

    def _authorise_device(self, ctx: RequestContext, device: Device) -> None:
        check_supplier(ctx.request_id.originator, ctx.role, device)
        check_status(device, ctx.srv.srv)

    # -- responses ---------------------------------------------------------------------------------------------

    def _deliver(self, item_id: int, item: bytes) -> None:
        sink = self._sink
        if sink is None:
            return  # stays in the outbox until a sink is set
        if isinstance(sink, DeliveryQueue):
            sink.submit(item_id, item)
            return
        try:
            sink(item)
        except Exception as exc:  # the user's receiver failing must not break the DCC
            log.exception("delivering an asynchronous response failed")
            self.delivery_failed(item_id, 1, f"{type(exc).__name__}: {exc}")
        else:
            self.delivered(item_id)

    def device_response(self, ctx: RequestContext, code: str, payload: bytes | None) -> bytes:
        """A signed asynchronous response to ``ctx``'s request, as DCC Boxed forms it."""
        rid = ctx.request_id
        root = replies.build_response(
            schema_version=self.release.schema_version,
            code=code,
            srv=ctx.srv.srv,
            service_reference=ctx.srv.service_reference,
            request_id=rid,
            response_id=rid.response_id(),
            payload=replies.gbcs_payload(payload) if payload is not None else None,
            when=self.clock(),
        )
        sign(root, self.identity)
        return replies.to_bytes(root)

    # -- non-device Service Requests ---------------------------------------------------------------------------

    def _non_device(self, ctx: RequestContext) -> etree._Element:
        service = catalogue.SERVICES.get(ctx.srv.srv)
        if service is None:
            raise Refusal("E12", f"SRV {ctx.srv.srv} is not implemented by the reference DCC")
        return service.handle(ctx)

    # -- device Service Requests ---------------------------------------------------------------------------------

    def _device_request(self, ctx: RequestContext, device: Device) -> etree._Element:
        if ctx.srv.srv not in devices.SIMULATED_SRVS:
            raise Refusal("E11", f"SRV {ctx.srv.srv} is not simulated by the reference DCC's devices")
        rid = ctx.request_id
        if ctx.cv in SIGNED_PRE_COMMAND_CVS:
            command = self._signed_pre_command(ctx)
            body = etree.fromstring(command["body"])
        else:
            devices.validate(ctx, device)
            body = ctx.body
            message = devices.command(ctx.srv.srv, rid, device, body)
            if ctx.cv == 4:
                payload = message.to_bytes()
                self.inventory.save_pre_command(
                    str(rid), ctx.srv.srv, device.eui, etree.tostring(body).decode(), payload
                )
                return ctx.reply("I0", replies.pre_command(payload, device.gbcs_version or "4.0"))
            command = {"payload": message.to_bytes(), "body": etree.tostring(body).decode()}
        if ctx.cv in LOCAL_DELIVERY_CVS:
            self.inventory.record_local_command(
                request_id=str(rid),
                originator=rid.originator,
                target=rid.target,
                counter=rid.counter,
                srv=ctx.srv.srv,
                message_code=MESSAGE_CODES[ctx.srv.srv],
                body=command["body"],
                issued_at=self.clock().isoformat(),
            )
        remote = ctx.cv in {1, 3, 5, 7}
        if remote:
            self._send_to_device(ctx, device, body)
        if ctx.cv in LOCAL_DELIVERY_CVS:
            return ctx.reply("I0", replies.local_command(command["payload"]))
        return ctx.reply("I99")

    def _signed_pre_command(self, ctx: RequestContext) -> dict[str, Any]:
        stored = self.inventory.pre_command(str(ctx.request_id))
        if stored is None or stored["srv"] != ctx.srv.srv:
            raise Refusal("E17", f"no pre-command was issued for {ctx.request_id} (SRV {ctx.srv.srv}) with CV 4")
        text = ctx.body.findtext(f"{_SR}GBCSPayload") or ""
        signed = base64.b64decode("".join(text.split()))
        try:
            message = parse_general_signing(signed)
            issued = parse_general_signing(bytes(stored["payload"]))
        except GbcsError as exc:
            raise Refusal("E17", f"the signed pre-command is not a GBCS message: {exc}") from None
        same = (message.counter, message.originator, message.recipient, message.message_code, message.content)
        if same != (issued.counter, issued.originator, issued.recipient, issued.message_code, issued.content):
            raise Refusal("E17", "the signed pre-command is not the pre-command issued for this RequestID")
        if not message.signature:
            raise Refusal("E17", "the pre-command carries no signature")
        self.inventory.drop_pre_command(str(ctx.request_id))
        return {"payload": signed, "body": stored["body"]}

    def _send_to_device(self, ctx: RequestContext, device: Device, body: etree._Element) -> None:
        result = devices.execute(self.inventory, ctx.srv.srv, ctx.request_id, device, body)
        if result.lost:
            ctx.outbox.append(self.device_response(ctx, "E21", None))
            return
        devices.on_response(self.inventory, ctx.srv.srv, device, body, result, via_local=False)
        ctx.outbox.append(self.device_response(ctx, "I0", result.message.to_bytes()))


@functools.lru_cache(maxsize=1024)
def _certificate(der: bytes) -> x509.Certificate:
    """A user's registered certificate, parsed once."""
    return x509.load_der_x509_certificate(der)


def _text(status: int, message: str) -> HttpReply:
    return HttpReply(status, message.encode("utf-8"), {"content-type": "text/plain; charset=utf-8"})


__all__ = ["ACTIVE_STATUSES", "DeliveryQueue", "Handled", "ReferenceDcc", "Refusal"]

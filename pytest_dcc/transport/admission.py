"""The suite's eyes: one judgement of raw response bytes, whatever transport carried them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from lxml import etree

from pytest_dcc.duis.build import DuisRequest
from pytest_dcc.duis.responses import DuisResponse, parse_response
from pytest_dcc.duis.schema import DuisSchema
from pytest_dcc.duis.signing import SignatureCheck, SignatureStatus, TrustStore, certificate_eui, verify
from pytest_dcc.duis.xmlsafe import DEFAULT_MAX_BYTES, parse
from pytest_dcc.errors import (
    CorrelationError,
    HttpStatusError,
    Issue,
    ResponseFormatError,
    ResponseSchemaError,
    ResponseSignatureError,
    XmlSecurityError,
)
from pytest_dcc.spec import DCC_EUI, NS_SR

_SR = f"{{{NS_SR}}}"


class SignaturePolicy(str, Enum):
    """Which answers may come unsigned. Every other answer, and every delivery to the receiver, must be signed by the
    DSP's response-signing identity (:class:`ResponseJudge`): there is no policy under which a verdict rests on an
    answer nobody is accountable for.

    ``require``: every answer. ``allow-unsigned-errors`` (default): an E-code acknowledgement with no data may come
    unsigned on the synchronous HTTP exchange of the request it answers, as DCC Boxed sends them (never a delivery to
    the receiver).
    """

    REQUIRE = "require"
    ALLOW_UNSIGNED_ERRORS = "allow-unsigned-errors"


#: What an answer's body may not be: alerts are sent by the DCC of its own accord, never in answer to a request.
ALERT_BODIES = frozenset({"DeviceAlertMessage", "DCCAlertMessage"})


@dataclass(frozen=True, slots=True)
class Judged:
    """A response that passed the judge, with the evidence of how it was judged."""

    raw: bytes
    root: etree._Element
    response: DuisResponse
    signature: SignatureCheck
    schema_name: str
    schema_issues: tuple[Issue, ...] = ()

    @property
    def is_alert(self) -> bool:
        """A Device Alert or DCC Alert: never the answer to a request."""
        return self.response.payload_kind in ALERT_BODIES


@dataclass(frozen=True, slots=True)
class ResponseJudge:
    """Parses (hardened), validates, verifies and types a DUIS response, or raises a TransportError subclass.

    The trust model (docs/security.md): an answer is evidence only when the DSP signed it, that is a certificate of
    ``trust`` (the DSP's response-signing certificates, never a user's) that names ``dsp_eui`` and is valid at the
    moment of receipt, and when it names the request it answers (its RequestID; an alert is never an answer). The
    one exception is an unsigned E-code acknowledgement on the synchronous exchange, where the policy allows it.
    Anything that keeps the suite from judging the endpoint (garbage, a signature that is not the DSP's, schema
    failure, wrong or missing correlation) is an error of the exchange (ERROR verdict), never a conformance FAIL.
    """

    schema: DuisSchema
    trust: TrustStore
    policy: SignaturePolicy = SignaturePolicy.ALLOW_UNSIGNED_ERRORS
    max_bytes: int = DEFAULT_MAX_BYTES
    accepted_types: tuple[str, ...] = field(default=("application/xml", "text/xml"))
    dsp_eui: str = DCC_EUI
    #: Certificates the suite knows but does not trust to sign answers (the users'): only to name who signed.
    known: TrustStore = field(default_factory=TrustStore)

    def judge(
        self, raw: bytes, *, content_type: str | None = None, what: str = "response", synchronous: bool = False
    ) -> Judged:
        """Judge one ``sr:Response`` document. ``synchronous``: it came back on the HTTP exchange of the request it
        answers (the only place an unsigned E-code acknowledgement may be taken, by policy)."""
        __tracebackhide__ = True
        if content_type is not None and content_type.split(";")[0].strip().lower() not in self.accepted_types:
            raise ResponseFormatError(f"{what} has Content-Type {content_type!r}, not application/xml: {_preview(raw)}")
        try:
            root = parse(raw, max_bytes=self.max_bytes, what=what).getroot()
        except XmlSecurityError as exc:
            raise ResponseFormatError(f"{exc}: {_preview(raw)}") from None
        issues = tuple(self.schema.issues(root))
        if issues:
            detail = "\n".join(f"  - {i}" for i in issues[:10])
            raise ResponseSchemaError(f"{what} is not valid against {self.schema.name}:\n{detail}")
        check = verify(root, self.trust)  # valid now, at receipt: never as of a date the document claims
        if check.status is not SignatureStatus.UNSIGNED:  # a signature that is not the DSP's: nothing is read
            self._enforce_signed(check, root.findtext(f"{_SR}Header/{_SR}ResponseCode") or "?", what)
        response = _read(root, what)
        if check.status is SignatureStatus.UNSIGNED:
            self._enforce_unsigned(response, what, synchronous)
        judged = Judged(raw, root, response, check, self.schema.name, issues)
        if response.request_id is None and not judged.is_alert:
            raise CorrelationError(
                f"{what} ({response.code}) carries no RequestID: it cannot be attributed to a request"
            )
        return judged

    def judge_delivery(self, raw: bytes, *, content_type: str | None = None) -> Judged:
        """Judge one delivery to the receiver (a device response or an alert): it must be signed by the DSP."""
        __tracebackhide__ = True
        return self.judge(raw, content_type=content_type, what="asynchronous response")

    def _enforce_signed(self, check: SignatureCheck, code: str, what: str) -> None:
        """Raise unless the signature verified against a certificate of the DSP's response-signing identity."""
        if check.verified:
            if check.signer_eui != self.dsp_eui:
                raise ResponseSignatureError(
                    f"{what} ({code}) is signed by {check.signer_eui or 'a certificate naming no EUI'} "
                    f"(serial {check.serial}), not by the DSP's response-signing identity {self.dsp_eui}"
                )
            return
        if check.status is SignatureStatus.UNKNOWN_SIGNER:
            user = self.known.find(check.serial or -1, check.issuer)
            if user is not None:
                raise ResponseSignatureError(
                    f"{what} ({code}) is signed with the certificate of {certificate_eui(user)} (serial "
                    f"{check.serial}), not by the DSP's response-signing identity {self.dsp_eui}"
                )
            raise ResponseSignatureError(
                f"{what} ({code}) is signed by an unknown signer: serial {check.serial} is no "
                f"response-signing certificate of the DSP {self.dsp_eui} the suite trusts ({len(self.trust)} trusted)"
            )
        raise ResponseSignatureError(f"{what} signature {check.summary()}")

    def _enforce_unsigned(self, response: DuisResponse, what: str, synchronous: bool) -> None:
        """An unsigned answer is taken only as an E-code acknowledgement on the synchronous exchange, by policy."""
        bare_error = response.is_error and response.payload_kind is None
        if self.policy is SignaturePolicy.ALLOW_UNSIGNED_ERRORS and bare_error and synchronous:
            return
        where = "on the synchronous exchange" if synchronous else "delivered to the receiver"
        raise ResponseSignatureError(
            f"{what} ({response.code}) is unsigned {where}; only the DSP's signature makes it evidence"
        )

    def judge_http(self, request: DuisRequest, status: int, headers: Mapping[str, str], raw: bytes) -> Judged:
        """Judge the synchronous answer to ``request``: HTTP status, content type, then the document."""
        __tracebackhide__ = True
        if status >= 300 or status < 200:
            raise HttpStatusError(f"HTTP {status} from {request.path}: {_preview(raw)}", status)
        judged = self.judge(
            raw, content_type=_header(headers, "content-type"), what=f"answer to {request.request_id}", synchronous=True
        )
        correlate(request, judged)
        return judged


def correlate(request: DuisRequest, judged: Judged) -> None:
    """An answer must name the request: an ``sr:Response`` that is no alert, with the same RequestID, and the same
    SRV when it carries one."""
    __tracebackhide__ = True
    response = judged.response
    if judged.is_alert:
        raise CorrelationError(f"a {response.payload_kind} came back for {request.request_id}; an alert is no answer")
    if response.request_id != request.request_id:
        raise CorrelationError(f"answer carries RequestID {response.request_id}, the request was {request.request_id}")
    if response.srv is not None and response.srv != request.srv:
        raise CorrelationError(f"answer is for SRV {response.srv}, the request was SRV {request.srv}")


def _read(root: etree._Element, what: str) -> DuisResponse:
    """The typed response; a schema-valid value Python cannot hold (a year 10000, a 5,000-digit number) is a
    format error of the exchange, never an exception outside the error tree."""
    try:
        return parse_response(root)
    except (ValueError, OverflowError) as exc:
        raise ResponseFormatError(f"{what} holds a value that cannot be read: {exc}") from None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _preview(raw: bytes, limit: int = 200) -> str:
    text = raw[:limit].decode("utf-8", "replace").replace("\n", " ")
    return repr(text + ("..." if len(raw) > limit else ""))


__all__ = ["ALERT_BODIES", "Judged", "ResponseJudge", "SignaturePolicy", "correlate"]

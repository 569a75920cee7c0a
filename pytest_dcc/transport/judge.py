"""The suite's eyes: one judgement of raw response bytes, whatever transport carried them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from lxml import etree

from pytest_dcc.duis.build import DuisRequest
from pytest_dcc.duis.responses import DuisResponse, parse_response
from pytest_dcc.duis.schema import DuisSchema
from pytest_dcc.duis.signing import SignatureCheck, SignatureStatus, TrustStore, verify
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


class SignaturePolicy(str, Enum):
    """Which responses must be signed.

    ``require``: every response. ``allow-unsigned-errors`` (default): E-code acknowledgements with no data may be
    unsigned, as DCC Boxed sends them; everything else must verify. ``off``: signatures are reported, not enforced.
    """

    REQUIRE = "require"
    ALLOW_UNSIGNED_ERRORS = "allow-unsigned-errors"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class Judged:
    """A response that passed the judge, with the evidence of how it was judged."""

    raw: bytes
    root: etree._Element
    response: DuisResponse
    signature: SignatureCheck
    schema_name: str
    schema_issues: tuple[Issue, ...] = ()


@dataclass(frozen=True, slots=True)
class ResponseJudge:
    """Parses (hardened), validates, verifies and types a DUIS response, or raises a TransportError subclass.

    Anything that keeps the suite from judging the endpoint (garbage, bad signature, schema failure, wrong
    correlation) is an error of the exchange (ERROR verdict), never a conformance FAIL.
    """

    schema: DuisSchema
    trust: TrustStore
    policy: SignaturePolicy = SignaturePolicy.ALLOW_UNSIGNED_ERRORS
    max_bytes: int = DEFAULT_MAX_BYTES
    accepted_types: tuple[str, ...] = field(default=("application/xml", "text/xml"))

    def judge(self, raw: bytes, *, content_type: str | None = None, what: str = "response") -> Judged:
        """Judge one ``sr:Response`` document."""
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
        response = parse_response(root)
        check = verify(root, self.trust, at=_aware(response.date_time))
        self._enforce(check, response, what)
        return Judged(raw, root, response, check, self.schema.name, issues)

    def _enforce(self, check: SignatureCheck, response: DuisResponse, what: str) -> None:
        if self.policy is SignaturePolicy.OFF or check.verified:
            return
        if check.status is SignatureStatus.UNSIGNED:
            bare_error = response.is_error and response.payload_kind is None
            if self.policy is SignaturePolicy.ALLOW_UNSIGNED_ERRORS and bare_error:
                return
            raise ResponseSignatureError(f"{what} ({response.code}) is unsigned; a signed response is required")
        raise ResponseSignatureError(f"{what} signature {check.summary()}")

    def judge_http(self, request: DuisRequest, status: int, headers: Mapping[str, str], raw: bytes) -> Judged:
        """Judge the synchronous answer to ``request``: HTTP status, content type, then the document."""
        __tracebackhide__ = True
        if status >= 300 or status < 200:
            raise HttpStatusError(f"HTTP {status} from {request.path}: {_preview(raw)}", status)
        judged = self.judge(raw, content_type=_header(headers, "content-type"), what=f"answer to {request.request_id}")
        correlate(request, judged.response)
        return judged


def correlate(request: DuisRequest, response: DuisResponse) -> None:
    """The synchronous answer must name the request: same RequestID, and the same SR/SRV when it carries them."""
    __tracebackhide__ = True
    if response.request_id is not None and response.request_id != request.request_id:
        raise CorrelationError(f"answer carries RequestID {response.request_id}, the request was {request.request_id}")
    if response.srv is not None and response.srv != request.srv:
        raise CorrelationError(f"answer is for SRV {response.srv}, the request was SRV {request.srv}")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    from datetime import UTC

    return moment.replace(tzinfo=UTC)


def _preview(raw: bytes, limit: int = 200) -> str:
    text = raw[:limit].decode("utf-8", "replace").replace("\n", " ")
    return repr(text + ("..." if len(raw) > limit else ""))


__all__ = ["Judged", "ResponseJudge", "SignaturePolicy", "correlate"]

"""The trust model (docs/security.md), tried as an attacker would: only the DSP's response-signing identity makes an
answer evidence, only an answer that names the request under test is judged, and what is verified is what is read.

Each forgery is tried on the synchronous exchange in process and over real HTTP, and as a delivery to the receiver
(in process and over HTTP); every one must be refused with the error that names why, and a correct answer next to it
must still be taken (so a test here fails when the judge refuses everything as much as when it accepts a forgery).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pytest_dcc.duis import replies
from pytest_dcc.duis.build import DuisRequest, RequestBuilder
from pytest_dcc.duis.ids import RequestID, eui_hex
from pytest_dcc.duis.pki import TestPki, is_dsp_certificate
from pytest_dcc.duis.schema import load_schema
from pytest_dcc.duis.signing import SigningIdentity, sign
from pytest_dcc.errors import (
    CorrelationError,
    ResponseFormatError,
    ResponseSignatureError,
    ResponseTimeoutError,
    TransportError,
)
from pytest_dcc.spec import DCC_EUI, NS_SR
from pytest_dcc.transport.admission import ResponseJudge, SignaturePolicy
from pytest_dcc.transport.http import HttpTransport
from pytest_dcc.transport.inprocess import InProcessTransport
from pytest_dcc.transport.receiver import ResponseInbox, ResponseReceiver, ServerThread

SUPPLIER = "90-B3-D5-1F-30-01-00-00"
OTHER = "00-DB-12-34-56-78-00-04"
ESME = "00-DB-12-34-56-78-90-A0"
SR = f"{{{NS_SR}}}"

Forge = Callable[[DuisRequest], bytes]


@pytest.fixture(scope="module")
def pki() -> TestPki:
    return TestPki.generate([SUPPLIER, OTHER])


def _certificate(pki: TestPki, ou: str, eui: str, *, days: tuple[int, int]) -> SigningIdentity:
    """A certificate of ``pki``'s CA naming ``eui`` under ``ou``, valid from/to ``days`` relative to now."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
            x509.NameAttribute(
                NameOID.X500_UNIQUE_IDENTIFIER,
                bytes.fromhex(eui_hex(eui)),
                _type=x509.name._ASN1Type.BitString,  # type: ignore[arg-type]
            ),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(pki.ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + timedelta(days=days[0]))
        .not_valid_after(now + timedelta(days=days[1]))
        .sign(pki.ca_key, hashes.SHA256())
    )
    return SigningIdentity(key, cert)


@pytest.fixture(scope="module")
def dsp_extra(pki: TestPki) -> dict[str, SigningIdentity]:
    """DSP certificates the suite trusts but that are not valid now, and one naming the DSP under a user's unit."""
    return {
        "expired": _certificate(pki, "89", DCC_EUI, days=(-400, -30)),
        "future": _certificate(pki, "89", DCC_EUI, days=(30, 400)),
        "user-unit": _certificate(pki, "87", DCC_EUI, days=(-1, 400)),
    }


@pytest.fixture(scope="module")
def judge(pki: TestPki, dsp_extra: dict[str, SigningIdentity]) -> ResponseJudge:
    trust = pki.dsp_trust()
    trust.add(dsp_extra["expired"].certificate)  # trusted, and expired before the run
    trust.add(dsp_extra["future"].certificate)
    return ResponseJudge(load_schema(None), trust, known=pki.trust())


@pytest.fixture
def request_8_2(pki: TestPki, tmp_path) -> DuisRequest:  # type: ignore[no-untyped-def]
    from pytest_dcc.duis.ids import CounterStore

    request = RequestBuilder(SUPPLIER, CounterStore(tmp_path / "c.json"), "5.4").request("8.2", device_id=ESME)
    sign(request.root, pki.identity(SUPPLIER))
    return request


def _answer(
    request: DuisRequest,
    code: str = "I0",
    *,
    request_id: str | None = "same",
    srv: str | None = None,
    inventory: bool = True,
) -> etree._Element:
    payload = None
    if code == "I0" and inventory:
        payload = replies.dsp_inventory([replies.InventoryEntry(ESME, "ESME", "Commissioned", "4D 49", "0001")])
    rid = str(request.request_id) if request_id == "same" else request_id
    return replies.build_response(
        schema_version="5.4", code=code, srv=srv or request.srv, request_id=rid, payload=payload
    )


def _signed(root: etree._Element, identity: SigningIdentity | None) -> bytes:
    if identity is not None:
        sign(root, identity)
    return replies.to_bytes(root)


def _alert(request_id: str | None, identity: SigningIdentity) -> bytes:
    return _signed(
        replies.build_device_alert(
            schema_version="5.4", alert_code="8F1C", gbcs_payload=b"\x01\x02", request_id=request_id
        ),
        identity,
    )


def _forgeries(pki: TestPki, extra: dict[str, SigningIdentity]) -> dict[str, tuple[Forge, type[TransportError], str]]:
    """Synchronous answers that must never be evidence: forge(request) -> bytes, the error, a fragment of its text."""
    dsp = pki.identity(DCC_EUI)
    expired, future, user_unit = extra["expired"], extra["future"], extra["user-unit"]
    backdated_expired = _answer_backdated(expired)
    return {
        "signed-by-the-supplier": (
            lambda r: _signed(_answer(r), pki.identity(SUPPLIER)),
            ResponseSignatureError,
            "not by the DSP",
        ),
        "signed-by-another-user": (
            lambda r: _signed(_answer(r), pki.identity(OTHER)),
            ResponseSignatureError,
            "not by the DSP",
        ),
        "user-signed-e-code": (
            lambda r: _signed(_answer(r, "E4"), pki.identity(SUPPLIER)),
            ResponseSignatureError,
            "not by the DSP",
        ),
        "dsp-eui-under-a-user-unit": (
            lambda r: _signed(_answer(r), user_unit),
            ResponseSignatureError,
            "unknown signer",
        ),
        "dsp-certificate-expired-and-backdated": (backdated_expired, ResponseSignatureError, "not valid"),
        "dsp-certificate-not-yet-valid": (
            lambda r: _signed(_answer(r), future),
            ResponseSignatureError,
            "not valid",
        ),
        "unsigned-data-without-request-id": (
            lambda r: _signed(_answer(r, request_id=None), None),
            ResponseSignatureError,
            "unsigned",
        ),
        "dsp-signed-without-request-id": (
            lambda r: _signed(_answer(r, request_id=None), dsp),
            CorrelationError,
            "no RequestID",
        ),
        "unsigned-e-code-without-request-id": (
            lambda r: _signed(_answer(r, "E3", request_id=None), None),
            TransportError,
            "no RequestID|unsigned on the synchronous",
        ),
        "dsp-signed-answer-to-another-request": (
            lambda r: _signed(_answer(r, request_id=str(RequestID(SUPPLIER, DCC_EUI, r.request_id.counter - 1))), dsp),
            CorrelationError,
            "RequestID",
        ),
        "dsp-signed-device-alert-as-the-answer": (
            lambda r: _alert(str(r.request_id), dsp),
            CorrelationError,
            "alert is no answer",
        ),
        "dsp-signed-device-alert-without-request-id": (
            lambda r: _alert(None, dsp),
            CorrelationError,
            "alert is no answer",
        ),
        "dsp-signed-answer-for-another-srv": (
            lambda r: _signed(_answer(r, "I99", srv="8.4", inventory=False), dsp),
            CorrelationError,
            "SRV",
        ),
    }


def _answer_backdated(identity: SigningIdentity) -> Forge:
    def forge(request: DuisRequest) -> bytes:
        root = _answer(request)
        moment = root.find(f"{SR}Header/{SR}ResponseDateTime")
        assert moment is not None
        moment.text = (datetime.now(UTC) - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return _signed(root, identity)

    return forge


_SAMPLE = TestPki.generate([SUPPLIER, OTHER])
FORGERY_NAMES = sorted(_forgeries(_SAMPLE, dict.fromkeys(("expired", "future", "user-unit"), _SAMPLE.identity(OTHER))))


class Scripted:
    """An endpoint answering each request with ``forge(request)`` (in process, or behind uvicorn)."""

    def __init__(self) -> None:
        self.forge: Forge | None = None
        self.requests: dict[str, DuisRequest] = {}

    def reply(self, body: bytes) -> bytes:
        from pytest_dcc.duis.xmlsafe import parse

        rid = parse(body).getroot().findtext(f"{SR}Header/{SR}RequestID") or ""
        assert self.forge is not None
        return self.forge(self.requests[rid.strip()])

    def handle(self, method: str, path: str, headers, body: bytes):  # type: ignore[no-untyped-def]
        from pytest_dcc.duis.endpoint import HttpReply

        return HttpReply(200, self.reply(body), {"content-type": "application/xml"})

    def set_response_sink(self, sink) -> None:  # type: ignore[no-untyped-def]
        return None

    def app(self) -> Starlette:
        async def handle(request: Request) -> Response:
            body = self.reply(await request.body())
            return Response(body, headers={"content-type": "application/xml"})

        return Starlette(routes=[Route("/api/v1/{service}", handle, methods=["POST"])])


@pytest.fixture(scope="module")
def scripted() -> Scripted:
    return Scripted()


@pytest.fixture(scope="module")
def server(scripted: Scripted) -> Iterator[ServerThread]:
    with ServerThread(scripted.app()) as running:
        yield running


def _send(way: str, scripted: Scripted, server: ServerThread, judge: ResponseJudge, request: DuisRequest):  # type: ignore[no-untyped-def]
    scripted.requests[str(request.request_id)] = request
    if way == "in-process":
        return InProcessTransport(scripted, judge).send(request, request.to_bytes())  # type: ignore[arg-type]
    with HttpTransport(server.url, judge) as transport:
        return transport.send(request, request.to_bytes())


@pytest.mark.parametrize("way", ["in-process", "http"])
@pytest.mark.parametrize("name", FORGERY_NAMES)
def test_an_answer_that_is_not_the_dsps_for_this_request_is_never_evidence(
    pki: TestPki,
    judge: ResponseJudge,
    scripted: Scripted,
    server: ServerThread,
    request_8_2: DuisRequest,
    dsp_extra: dict[str, SigningIdentity],
    way: str,
    name: str,
) -> None:
    forge, error, fragment = _forgeries(pki, dsp_extra)[name]
    for policy in SignaturePolicy:
        strict = ResponseJudge(judge.schema, judge.trust, policy, known=judge.known)
        scripted.forge = forge
        with pytest.raises(error) as caught:
            _send(way, scripted, server, strict, request_8_2)
        assert re.search(fragment, str(caught.value), re.IGNORECASE), str(caught.value)


@pytest.mark.parametrize("way", ["in-process", "http"])
def test_the_dsps_own_answers_are_still_evidence(
    pki: TestPki,
    judge: ResponseJudge,
    scripted: Scripted,
    server: ServerThread,
    tmp_path,
    way: str,  # type: ignore[no-untyped-def]
) -> None:
    """Beside each refusal, what a correct DSP sends is taken: signed answers, and (by default) an unsigned E-code on
    the synchronous exchange, as DCC Boxed sends it."""
    from pytest_dcc.duis.ids import CounterStore

    builder = RequestBuilder(SUPPLIER, CounterStore(tmp_path / "c.json"), "5.4")
    cases: list[tuple[Forge, SignaturePolicy, str]] = [
        (lambda r: _signed(_answer(r), pki.identity(DCC_EUI)), SignaturePolicy.REQUIRE, "I0"),
        (lambda r: _signed(_answer(r, "E4"), pki.identity(DCC_EUI)), SignaturePolicy.REQUIRE, "E4"),
        (lambda r: _signed(_answer(r, "E3"), None), SignaturePolicy.ALLOW_UNSIGNED_ERRORS, "E3"),
    ]
    for forge, policy, code in cases:
        request = builder.request("8.2", device_id=ESME)
        sign(request.root, pki.identity(SUPPLIER))
        scripted.forge = forge
        exchange = _send(way, scripted, server, ResponseJudge(judge.schema, judge.trust, policy), request)
        assert exchange.code == code
    scripted.forge = lambda r: _signed(_answer(r, "E3"), None)
    request = builder.request("8.2", device_id=ESME)
    sign(request.root, pki.identity(SUPPLIER))
    with pytest.raises(ResponseSignatureError, match="unsigned"):
        _send(way, scripted, server, ResponseJudge(judge.schema, judge.trust, SignaturePolicy.REQUIRE), request)


def _deliveries(pki: TestPki, request: DuisRequest, expired: SigningIdentity) -> dict[str, bytes]:
    """Asynchronous deliveries that must be refused by the receiver."""
    device_response = _answer(request, "I0", inventory=False)
    return {
        "unsigned-e21": _signed(_answer(request, "E21"), None),
        "unsigned-device-response": _signed(_answer(request, "I0", inventory=False), None),
        "user-signed-device-response": _signed(device_response, pki.identity(SUPPLIER)),
        "other-user-signed-e21": _signed(_answer(request, "E21"), pki.identity(OTHER)),
        "expired-dsp-signed-e21": _signed(_answer(request, "E21"), expired),
    }


@pytest.mark.parametrize("way", ["in-process", "http"])
def test_the_receiver_takes_only_what_the_dsp_signed(
    pki: TestPki, judge: ResponseJudge, request_8_2: DuisRequest, dsp_extra: dict[str, SigningIdentity], way: str
) -> None:
    """Forged deliveries (unsigned E21s, device responses signed by a user, by an expired DSP certificate) are
    refused; a wait for the request's response times out naming them; the DSP's own delivery is then taken."""
    forged = _deliveries(pki, request_8_2, dsp_extra["expired"])
    genuine = _signed(_answer(request_8_2, "E21"), pki.identity(DCC_EUI))
    if way == "in-process":
        inbox = ResponseInbox(judge)
        for body in forged.values():
            with pytest.raises(ResponseSignatureError):
                inbox.deliver(body)
    else:
        receiver = ResponseReceiver(judge).start()
        try:
            with httpx.Client() as client:
                for name, body in forged.items():
                    reply = client.post(
                        receiver.response_url, content=body, headers={"content-type": "application/xml"}
                    )
                    assert reply.status_code == 400, name
                    assert reply.text.startswith("signature: "), (name, reply.text)
            inbox = receiver.inbox
        finally:
            receiver.stop()
    assert not inbox.accepted and len(inbox.rejected) == len(forged)
    with pytest.raises(ResponseTimeoutError, match="refused deliveries"):
        inbox.wait_for(request_8_2.request_id, 0.05)
    inbox.deliver(genuine)
    assert inbox.wait_for(request_8_2.request_id, 1.0)[0].response.code == "E21"


def test_an_alert_naming_a_request_is_never_its_device_response(
    pki: TestPki, judge: ResponseJudge, request_8_2: DuisRequest
) -> None:
    inbox = ResponseInbox(judge)
    inbox.deliver(_alert(str(request_8_2.request_id), pki.identity(DCC_EUI)))
    assert len(inbox.accepted) == 1 and inbox.accepted[0].is_alert
    with pytest.raises(ResponseTimeoutError):
        inbox.wait_for(request_8_2.request_id, 0.05)


def _split_by_comment(raw: bytes, text: bytes, at: int) -> bytes:
    """``raw`` with an empty comment inserted into the first occurrence of element text ``text`` at offset ``at``."""
    start = raw.index(b">" + text + b"<") + 1
    return raw[: start + at] + b"<!---->" + raw[start + at :]


@pytest.mark.parametrize(
    ("text", "at"),
    [(b"I0", 1), (b"Commissioned", 4), (b"ESME", 2), (b"0001", 2), (b"8.2", 1)],
    ids=["ResponseCode", "DeviceStatus", "DeviceType", "DeviceModel", "ServiceReferenceVariant"],
)
@pytest.mark.parametrize("comment", [b"<!---->", b"<!-- x -->", b"<?pi x?>"], ids=["empty", "text", "pi"])
def test_a_comment_inside_a_signed_answer_makes_it_no_evidence(
    pki: TestPki, judge: ResponseJudge, request_8_2: DuisRequest, text: bytes, at: int, comment: bytes
) -> None:
    """The signature still verifies (comments are outside the C14N the digest covers), but what a reader of the text
    would see differs from what was signed: the document is refused as a whole, never read."""
    raw = _signed(_answer(request_8_2), pki.identity(DCC_EUI))
    start = raw.index(b">" + text + b"<") + 1
    hostile = raw[: start + at] + comment + raw[start + at :]
    scripted = Scripted()
    scripted.requests[str(request_8_2.request_id)] = request_8_2
    scripted.forge = lambda r: hostile
    with pytest.raises(TransportError) as caught:
        InProcessTransport(scripted, judge).send(request_8_2, request_8_2.to_bytes())  # type: ignore[arg-type]
    assert isinstance(caught.value, ResponseSignatureError | ResponseFormatError)
    assert "comment" in str(caught.value) or "processing instruction" in str(caught.value)
    assert judge.judge(raw, synchronous=True).response.code == "I0"  # the same answer without it is taken


def test_a_comment_in_an_unsigned_e_code_is_refused_too(judge: ResponseJudge, request_8_2: DuisRequest) -> None:
    raw = _signed(_answer(request_8_2, "E65"), None)
    assert judge.judge(raw, synchronous=True).response.code == "E65"
    with pytest.raises(ResponseSignatureError, match="comment"):
        judge.judge(_split_by_comment(raw, b"E65", 2), synchronous=True)


def test_trust_comes_from_the_dsp_certificates_only(pki: TestPki) -> None:
    trusted = list(pki.dsp_trust())
    assert len(trusted) == 1 and is_dsp_certificate(trusted[0], DCC_EUI)
    assert not any(is_dsp_certificate(pki.identity(u).certificate, DCC_EUI) for u in (SUPPLIER, OTHER))


def test_dcc_boxeds_folder_trusts_its_dsp_certificates_only() -> None:
    from pathlib import Path

    from pytest_dcc.duis.pki import read_shipped_pki
    from pytest_dcc.duis.signing import certificate_eui

    folder = Path(__file__).resolve().parents[2] / "shared" / "dccboxed" / "pki"
    if not folder.is_dir():
        pytest.skip("../shared/dccboxed is not beside the checkout")
    shipped = read_shipped_pki(folder)
    trusted = list(shipped.dsp_trust())
    assert {certificate_eui(c) for c in trusted} == {DCC_EUI}
    assert len(trusted) == 3  # dsp-xml-sign, its pre-1.4.1 certificate, the access control broker's
    assert len(list(shipped.trust())) > len(trusted)  # the users' are there, and not trusted for answers


def test_a_users_certificate_given_as_trusted_is_a_usage_error(pytester: pytest.Pytester, pki: TestPki) -> None:
    from cryptography.hazmat.primitives import serialization

    pem = pytester.path / "supplier.pem"
    pem.write_bytes(pki.identity(SUPPLIER).certificate.public_bytes(serialization.Encoding.PEM))
    pytester.makepyfile(test_x="def test_x(dcc_judge):\n    pass\n")
    result = pytester.runpytest(f"--dcc-trust-cert={pem}", "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--dcc-trust-cert*no response-signing certificate of the DSP*"])
    assert "Traceback" not in result.stderr.str()


def test_the_statement_declares_another_dsp_identity(pytester: pytest.Pytester, pki: TestPki) -> None:
    """An endpoint whose DSP signs as another EUI-64 declares it; the suite then trusts that identity only."""
    from cryptography.hazmat.primitives import serialization

    other_dsp = "90-B3-D5-1F-30-00-00-09"
    identity = _certificate(pki, "89", other_dsp, days=(-1, 30))
    pem = pytester.path / "dsp.pem"
    pem.write_bytes(identity.certificate.public_bytes(serialization.Encoding.PEM))
    statement = pytester.path / "statement.yaml"
    statement.write_text(
        json.dumps(
            {
                "release": "latest",
                "dsp_eui": other_dsp,
                "users": [{"role": "IS", "eui": SUPPLIER}],
                "srvs": {"8.2": [8]},
            }
        )
    )
    pytester.makepyfile(
        test_x=f"def test_x(dcc_judge):\n    assert dcc_judge.dsp_eui == {other_dsp!r}\n"
        "    assert len(dcc_judge.trust) == 1\n"
    )
    result = pytester.runpytest(f"--dcc-trust-cert={pem}", f"--dcc-statement={statement}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    default_dsp = pytester.path / "default.pem"
    default_dsp.write_bytes(pki.identity(DCC_EUI).certificate.public_bytes(serialization.Encoding.PEM))
    result = pytester.runpytest(
        f"--dcc-trust-cert={default_dsp}", f"--dcc-statement={statement}", "-p", "no:cacheprovider"
    )
    assert result.ret != 0
    result.stderr.fnmatch_lines([f"*no response-signing certificate of the DSP {other_dsp}*"])


def test_a_document_c14n_cannot_canonicalise_is_refused_not_raised(
    pki: TestPki, judge: ResponseJudge, request_8_2: DuisRequest
) -> None:
    """A relative namespace URI makes lxml's C14N raise; the parser refuses it first, and the verifier itself, given
    such a tree by another way, answers INVALID instead of raising out of the error tree."""
    from pytest_dcc.duis.signing import SignatureStatus, verify

    raw = _signed(_answer(request_8_2), pki.identity(DCC_EUI))
    hostile = raw.replace(b"<sr:Response ", b'<sr:Response xmlns:q="relative/uri" ', 1)
    with pytest.raises(TransportError):
        judge.judge(hostile, synchronous=True)
    root = etree.fromstring(hostile, etree.XMLParser(resolve_entities=False, no_network=True))
    check = verify(root, judge.trust)
    assert check.status is SignatureStatus.INVALID, check


def test_the_receivers_memory_stays_bounded_under_probe_floods_and_replays(
    pki: TestPki, judge: ResponseJudge, request_8_2: DuisRequest
) -> None:
    """Probes are not DUIS and need no key: a flood of distinct (and huge) tokens keeps only the latest few. A
    genuine delivery replayed with padding after its root (outside what the signature covers) is counted as a
    duplicate each time but kept as a short prefix only, and its identity as a digest."""
    from pytest_dcc.transport.receiver import DUPLICATES_KEEP, PROBE_TOKEN_CHARS, PROBES_KEEP, REJECTED_KEEP_BYTES

    inbox = ResponseInbox(judge)
    for n in range(PROBES_KEEP * 4):
        inbox.note_probe(f"t{n}")
    inbox.note_probe("x" * (PROBE_TOKEN_CHARS + 1))
    assert len(inbox.probes) == PROBES_KEEP and f"t{PROBES_KEEP * 4 - 1}" in inbox.probes
    genuine = _signed(_answer(request_8_2, "E21"), pki.identity(DCC_EUI))
    inbox.deliver(genuine)
    for n in range(DUPLICATES_KEEP + 20):  # replayed: the same response, counted, no bytes kept
        inbox.deliver(genuine + b" " * (64 * 1024 + n))
    assert len(inbox.accepted) == 1 and inbox.redeliveries_of(request_8_2.request_id) == DUPLICATES_KEEP + 20
    assert not inbox.duplicates
    for n in range(DUPLICATES_KEEP + 20):  # different responses under one identity: kept as short prefixes
        root = _answer(request_8_2, "E21")
        root.find(f"{SR}Header/{SR}ResponseDateTime").text = f"2026-01-01T00:00:{n % 60:02d}.{n:03d}Z"  # type: ignore[union-attr]
        inbox.deliver(_signed(root, pki.identity(DCC_EUI)) + b" " * 65536)
    assert inbox.duplicates_total == DUPLICATES_KEEP + 20 and len(inbox.duplicates) == DUPLICATES_KEEP
    assert max(len(d.raw) for d in inbox.duplicates) <= REJECTED_KEEP_BYTES


def test_a_value_python_cannot_hold_is_a_format_error_and_recorded(
    pki: TestPki, judge: ResponseJudge, request_8_2: DuisRequest
) -> None:
    """Schema-valid but unreadable (a 5,000-digit serial number, a year 10000 date): refused inside the error tree,
    and a delivery that is refused this way is recorded as refused, never lost."""
    raw = _signed(_answer(request_8_2), pki.identity(DCC_EUI))
    serial = re.search(rb"<ds:X509SerialNumber>(\d+)<", raw)
    assert serial is not None
    huge = raw.replace(serial.group(1), b"7" * 5000)
    with pytest.raises(ResponseSignatureError):
        judge.judge(huge, synchronous=True)
    inbox = ResponseInbox(judge)
    with pytest.raises(TransportError):
        inbox.deliver(huge)
    assert inbox.rejected_total == 1

"""Transports against a scripted endpoint on a real uvicorn server (plain HTTP, TLS and mutual TLS with trustme).

The scripted endpoint plays the faulty endpoints a conformance suite meets: it answers correctly, or with HTML, a
non-XML body, an HTTP error, an unsigned or tampered or foreign-signed document, a schema-invalid code, the wrong
RequestID, or too slowly. Each must surface as its own TransportError subclass (the suite's ERROR verdict).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import trustme
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pytest_dcc.duis import replies
from pytest_dcc.duis.build import DuisRequest, RequestBuilder
from pytest_dcc.duis.endpoint import HttpReply
from pytest_dcc.duis.ids import RequestID
from pytest_dcc.duis.pki import TestPki
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.duis.schema import load_schema
from pytest_dcc.duis.signing import SignatureStatus, sign
from pytest_dcc.duis.xmlsafe import parse
from pytest_dcc.errors import (
    ConfigError,
    CorrelationError,
    EndpointTimeoutError,
    EndpointUnreachableError,
    HttpStatusError,
    ResponseFormatError,
    ResponseSchemaError,
    ResponseSignatureError,
    ResponseTimeoutError,
    TransportError,
)
from pytest_dcc.spec import DCC_EUI
from pytest_dcc.transport.admission import ResponseJudge, SignaturePolicy
from pytest_dcc.transport.client import DuisClient
from pytest_dcc.transport.http import HttpTransport, client_ssl_context
from pytest_dcc.transport.inprocess import InProcessTransport
from pytest_dcc.transport.receiver import ResponseReceiver, ServerThread, free_port, require_client_cert_tls

pytestmark = pytest.mark.wire

SUPPLIER = "90-B3-D5-1F-30-01-00-00"
STRANGER = "90-B3-D5-1F-30-02-00-00"
SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"


@pytest.fixture(scope="module")
def pki() -> TestPki:
    return TestPki.generate([SUPPLIER])


@pytest.fixture(scope="module")
def stranger() -> TestPki:
    """A second PKI the judge does not trust."""
    return TestPki.generate([STRANGER])


@pytest.fixture(scope="module")
def judge(pki: TestPki) -> ResponseJudge:
    return ResponseJudge(load_schema(None), pki.dsp_trust())


@dataclass
class Script:
    """What the scripted endpoint does next, and what it saw."""

    pki: TestPki
    stranger: TestPki
    mode: str = "ok"
    seen: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> HttpReply:
        self.seen.append((path, headers, body))
        root = parse(body).getroot()
        request_id = root.findtext(f"{SR}Header/{SR}RequestID") or ""
        srv = root.findtext(f"{SR}Header/{SR}ServiceReferenceVariant") or ""
        xml = {"content-type": "application/xml"}
        mode = self.mode
        if mode == "html":
            return HttpReply(200, b"<html><body>Login required</body></html>", {"content-type": "text/html"})
        if mode == "garbage":
            return HttpReply(200, b"this is not XML at all", xml)
        if mode == "http-500":
            return HttpReply(500, b"Internal Server Error", {"content-type": "text/plain"})
        if mode == "doctype":
            return HttpReply(200, b'<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>', xml)
        if mode == "wrong-id":
            request_id = str(RequestID.parse(request_id).__class__(SUPPLIER, DCC_EUI, 1))
        code = {"bad-code": "X42", "unsigned-error": "E3"}.get(mode, "I0")
        payload = None
        if code == "I0":
            payload = replies.dsp_inventory(
                [replies.InventoryEntry("00-DB-12-34-56-78-90-A2", "ESME", "Commissioned", "4D 49", "0001")]
            )
        response = replies.build_response(
            schema_version="5.4", code=code, srv=srv, request_id=request_id, payload=payload
        )
        if mode not in {"unsigned-data", "unsigned-error", "bad-code"}:
            signer = self.stranger if mode == "foreign-signer" else self.pki
            sign(response, signer.identity(DCC_EUI))
        data = replies.to_bytes(response)
        if mode == "tampered":
            data = data.replace(b"Commissioned", b"Suspended")
        return HttpReply(200, data, xml)


def scripted_app(script: Script) -> Starlette:
    async def handle(request: Request) -> Response:
        body = await request.body()
        if script.mode == "slow":
            await asyncio.sleep(2.0)
        reply = script.answer(request.url.path, dict(request.headers), body)
        return Response(reply.body, status_code=reply.status, headers=dict(reply.headers))

    return Starlette(routes=[Route("/api/v1/{service}", handle, methods=["POST"])])


@pytest.fixture(scope="module")
def script(pki: TestPki, stranger: TestPki) -> Script:
    return Script(pki, stranger)


@pytest.fixture(scope="module")
def http_server(script: Script) -> Iterator[ServerThread]:
    with ServerThread(scripted_app(script)) as server:
        yield server


@pytest.fixture(scope="module")
def tls_ca() -> trustme.CA:
    return trustme.CA()


def _tls_files(ca: trustme.CA, tmp: Path, name: str) -> tuple[Path, Path, Path]:
    cert = ca.issue_cert("127.0.0.1", "localhost")
    chain, key, ca_file = tmp / f"{name}-chain.pem", tmp / f"{name}-key.pem", tmp / "ca.pem"
    chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    cert.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(ca_file))
    return chain, key, ca_file


@pytest.fixture(scope="module")
def mtls_server(
    script: Script, tls_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerThread, Path]]:
    tmp = tmp_path_factory.mktemp("mtls")
    chain, key, ca_file = _tls_files(tls_ca, tmp, "server")
    tls = require_client_cert_tls(str(chain), str(key), str(ca_file))
    with ServerThread(scripted_app(script), ssl_context=tls) as server:
        yield server, tmp


@pytest.fixture
def request_8_2(pki: TestPki, tmp_path: Path) -> tuple[DuisRequest, bytes]:
    request = RequestBuilder(SUPPLIER).request("8.2", **sample_values("8.2"))
    sign(request.root, pki.identity(SUPPLIER))
    return request, request.to_bytes()


@pytest.fixture(autouse=True)
def _reset(script: Script) -> None:
    script.mode = "ok"
    script.seen.clear()


def test_http_exchange_posts_to_the_cv_path_with_xml_content_type_and_extra_headers(
    http_server: ServerThread, judge: ResponseJudge, script: Script, request_8_2: tuple[DuisRequest, bytes]
) -> None:
    request, body = request_8_2
    with HttpTransport(http_server.url + "/", judge, headers={"X-Dcc-Test": "yes"}) as transport:
        exchange = transport.send(request, body)
    path, headers, sent = script.seen[0]
    assert path == "/api/v1/serviceD"
    assert headers["content-type"] == "application/xml" and headers["x-dcc-test"] == "yes"
    assert sent == body == exchange.request_bytes
    assert exchange.code == "I0" and exchange.http_status == 200
    assert exchange.judged.signature.status is SignatureStatus.VERIFIED
    assert exchange.judged.response.inventory[0].status == "Commissioned"
    assert exchange.url == http_server.url + "/api/v1/serviceD"
    assert b"<sr:DSPInventory>" in exchange.response_bytes


def test_cv_chooses_the_service_path(
    http_server: ServerThread, judge: ResponseJudge, script: Script, pki: TestPki
) -> None:
    builder = RequestBuilder(SUPPLIER)
    with HttpTransport(http_server.url, judge) as transport:
        for cv, path in ((1, "/api/v1/serviceS"), (4, "/api/v1/serviceT"), (2, "/api/v1/serviceD")):
            srv = {1: "6.8", 4: "6.15.1", 2: "6.8"}[cv]
            request = builder.request(srv, cv=cv, **sample_values(srv))
            script.mode = "unsigned-error"  # any valid answer will do
            transport.send(request, request.to_bytes())
            assert script.seen[-1][0] == path


@pytest.mark.parametrize(
    ("mode", "error", "fragment"),
    [
        ("html", ResponseFormatError, "text/html"),
        ("garbage", ResponseFormatError, "not well-formed"),
        ("doctype", ResponseFormatError, "DOCTYPE"),
        ("http-500", HttpStatusError, "HTTP 500"),
        ("bad-code", ResponseSchemaError, "X42"),
        ("unsigned-data", ResponseSignatureError, "unsigned"),
        ("tampered", ResponseSignatureError, "invalid"),
        ("foreign-signer", ResponseSignatureError, "unknown"),
        ("wrong-id", CorrelationError, "RequestID"),
    ],
)
def test_each_broken_answer_is_its_own_transport_error(
    http_server: ServerThread,
    judge: ResponseJudge,
    script: Script,
    request_8_2: tuple[DuisRequest, bytes],
    mode: str,
    error: type[TransportError],
    fragment: str,
) -> None:
    script.mode = mode
    with HttpTransport(http_server.url, judge) as transport, pytest.raises(error) as caught:
        transport.send(*request_8_2)
    assert fragment.lower() in str(caught.value).lower()
    assert caught.value.cause  # a stable cause name the verdict layer reports


def test_unsigned_error_acknowledgement_is_reported_as_unsigned_never_verified(
    http_server: ServerThread, judge: ResponseJudge, script: Script, request_8_2: tuple[DuisRequest, bytes]
) -> None:
    script.mode = "unsigned-error"
    with HttpTransport(http_server.url, judge) as transport:
        exchange = transport.send(*request_8_2)
    assert exchange.code == "E3"
    assert exchange.judged.signature.status is SignatureStatus.UNSIGNED
    strict = ResponseJudge(judge.schema, judge.trust, SignaturePolicy.REQUIRE)
    with HttpTransport(http_server.url, strict) as transport, pytest.raises(ResponseSignatureError):
        transport.send(*request_8_2)


def test_timeout_is_a_timeout_error(
    http_server: ServerThread, judge: ResponseJudge, script: Script, request_8_2: tuple[DuisRequest, bytes]
) -> None:
    script.mode = "slow"
    with HttpTransport(http_server.url, judge, timeout_s=0.3) as transport, pytest.raises(EndpointTimeoutError):
        transport.send(*request_8_2)


def test_http_stack_exceptions_outside_httpxs_map_are_still_endpoint_errors(
    judge: ResponseJudge, request_8_2: tuple[DuisRequest, bytes]
) -> None:
    """A second copy of httpcore (pytester re-imports modules) raises classes httpx does not map."""
    stray_timeout = type("ReadTimeout", (Exception,), {"__module__": "httpcore._exceptions"})
    stray_error = type("ConnectError", (Exception,), {"__module__": "httpcore._exceptions"})
    ours = type("Bug", (Exception,), {})
    for raised, expected in ((stray_timeout, EndpointTimeoutError), (stray_error, EndpointUnreachableError)):

        def handler(request: httpx.Request, raised: type[Exception] = raised) -> httpx.Response:
            raise raised("from the wire")

        with HttpTransport("http://127.0.0.1:9", judge) as transport:
            transport._client = httpx.Client(transport=httpx.MockTransport(handler))
            with pytest.raises(expected, match=raised.__name__):
                transport.send(*request_8_2)

    def buggy(request: httpx.Request) -> httpx.Response:
        raise ours("not the endpoint's doing")

    with HttpTransport("http://127.0.0.1:9", judge) as transport:
        transport._client = httpx.Client(transport=httpx.MockTransport(buggy))
        with pytest.raises(ours):
            transport.send(*request_8_2)


def test_refused_connection_is_unreachable(judge: ResponseJudge, request_8_2: tuple[DuisRequest, bytes]) -> None:
    port = free_port()
    with HttpTransport(f"http://127.0.0.1:{port}", judge) as transport, pytest.raises(EndpointUnreachableError):
        transport.send(*request_8_2)


def test_base_url_must_be_http() -> None:
    with pytest.raises(ConfigError, match="ftp://x"):
        HttpTransport("ftp://x", None)  # type: ignore[arg-type]


def test_mutual_tls(
    mtls_server: tuple[ServerThread, Path],
    tls_ca: trustme.CA,
    judge: ResponseJudge,
    request_8_2: tuple[DuisRequest, bytes],
) -> None:
    server, tmp = mtls_server
    url = server.url
    assert url.startswith("https://")
    ca_file = tmp / "ca.pem"
    client = tls_ca.issue_cert("supplier.example")
    client_cert, client_key = tmp / "client.pem", tmp / "client-key.pem"
    client.cert_chain_pems[0].write_to_path(str(client_cert))
    client.private_key_pem.write_to_path(str(client_key))

    context = client_ssl_context(ca_file, client_cert, client_key)
    with HttpTransport(url, judge, ssl_context=context) as transport:
        assert transport.send(*request_8_2).code == "I0"

    # No client certificate: the server refuses the handshake.
    bare = client_ssl_context(ca_file)
    with HttpTransport(url, judge, ssl_context=bare) as transport, pytest.raises(EndpointUnreachableError):
        transport.send(*request_8_2)

    # A server the client does not trust (system roots only): refused before any request is sent.
    system = client_ssl_context(None)
    with (
        HttpTransport(url, judge, ssl_context=system) as transport,
        pytest.raises(EndpointUnreachableError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"),
    ):
        transport.send(*request_8_2)


def test_client_ssl_context_reports_bad_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(ConfigError, match="cannot set up TLS"):
        client_ssl_context(missing)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(ConfigError):
        client_ssl_context(None, garbage, garbage)


class _Endpoint:
    def __init__(self, script: Script, fail: bool = False) -> None:
        self.script = script
        self.fail = fail

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> HttpReply:
        if self.fail:
            raise RuntimeError("database is locked")
        return self.script.answer(path, headers, body)

    def set_response_sink(self, sink: object) -> None:
        pass


def test_in_process_transport_judges_like_http(
    script: Script, judge: ResponseJudge, request_8_2: tuple[DuisRequest, bytes]
) -> None:
    with InProcessTransport(_Endpoint(script), judge) as transport:
        exchange = transport.send(*request_8_2)
        assert exchange.code == "I0" and exchange.url == "inprocess:/api/v1/serviceD"
        script.mode = "tampered"
        with pytest.raises(ResponseSignatureError):
            transport.send(*request_8_2)
    with pytest.raises(EndpointUnreachableError, match="database is locked"):
        InProcessTransport(_Endpoint(script, fail=True), judge).send(*request_8_2)
    with pytest.raises(RuntimeError):
        InProcessTransport(_Endpoint(script, fail=True), judge, raise_app_exceptions=True).send(*request_8_2)


def _device_response(pki: TestPki, request: DuisRequest, *, signed: bool = True) -> bytes:
    rid = request.request_id
    response = replies.build_response(
        schema_version="5.4",
        code="I0",
        srv=request.srv,
        request_id=rid,
        response_id=rid.response_id(),
        payload=replies.gbcs_payload(b"\xdd\x00\x01"),
    )
    if signed:
        sign(response, pki.identity(DCC_EUI))
    return replies.to_bytes(response)


def test_receiver_accepts_correlates_and_refuses(pki: TestPki, judge: ResponseJudge) -> None:
    builder = RequestBuilder(SUPPLIER)
    request = builder.request("6.8", cv=1, **sample_values("6.8"))
    other = builder.request("6.8", cv=1, **sample_values("6.8"))
    with ResponseReceiver(judge, path="/duis") as receiver:
        with httpx.Client() as http:
            ok = http.post(
                receiver.response_url,
                content=_device_response(pki, request),
                headers={"content-type": "application/xml"},
            )
            assert ok.status_code == 204
            bad = http.post(
                receiver.response_url,
                content=_device_response(pki, other, signed=False),
                headers={"content-type": "application/xml"},
            )
            assert bad.status_code == 400 and "unsigned" in bad.text
            junk = http.post(receiver.response_url, content=b"<oops", headers={"content-type": "application/xml"})
            assert junk.status_code == 400
        found = receiver.inbox.wait_for(request.request_id, timeout_s=2)
        assert found[0].response.gbcs_payload == b"\xdd\x00\x01"
        assert found[0].signature.verified
        with pytest.raises(ResponseTimeoutError) as caught:
            receiver.inbox.wait_for(other.request_id, timeout_s=0.2)
        message = str(caught.value)
        assert "0 of 1" in message and "unsigned" in message and "not well-formed" in message


def test_receiver_over_mutual_tls(pki: TestPki, judge: ResponseJudge, tls_ca: trustme.CA, tmp_path: Path) -> None:
    chain, key, ca_file = _tls_files(tls_ca, tmp_path, "receiver")
    client = tls_ca.issue_cert("dcc.example")
    client_file = tmp_path / "dcc.pem"
    client.private_key_and_cert_chain_pem.write_to_path(str(client_file))
    request = RequestBuilder(SUPPLIER).request("6.8", cv=1, **sample_values("6.8"))
    with ResponseReceiver(judge, tls=require_client_cert_tls(str(chain), str(key), str(ca_file))) as receiver:
        assert receiver.response_url.startswith("https://")
        context = client_ssl_context(ca_file, client_file)
        with httpx.Client(verify=context) as http:
            reply = http.post(
                receiver.response_url,
                content=_device_response(pki, request),
                headers={"content-type": "application/xml"},
            )
        assert reply.status_code == 204
        with httpx.Client(verify=client_ssl_context(ca_file)) as http, pytest.raises(httpx.TransportError):
            http.post(receiver.response_url, content=b"<x/>")


@pytest.mark.slow
def test_client_signs_sends_and_waits(pki: TestPki, judge: ResponseJudge, script: Script) -> None:
    from pytest_dcc.transport.receiver import ResponseInbox

    inbox = ResponseInbox(judge)
    client = DuisClient.of_user(
        RequestBuilder(SUPPLIER), InProcessTransport(_Endpoint(script), judge), pki.identity(SUPPLIER), inbox
    )
    exchange = client.request("8.2", **sample_values("8.2"))
    assert exchange.code == "I0"
    sent = parse(script.seen[-1][2]).getroot()
    assert sent[-1].tag.endswith("Signature")
    request = client.builder.request("6.8", cv=1, **sample_values("6.8"))
    inbox.deliver(_device_response(pki, request))
    assert client.wait_for_device_response(request, 1).response.code == "I0"
    with pytest.raises(ResponseTimeoutError):
        client.wait_for_device_response(client.builder.request("8.2", **sample_values("8.2")), 0.05)

"""What is verified is what is read, on the reference DCC's side: a comment or processing instruction inside a signed
request leaves the signature valid (canonical XML without comments is what the digest covers) while a reader of the
element's text stops at it, so ``1000<!---->000`` Wh would be read as 1,000. The reference refuses such a request
with E1 and changes nothing, for every data item of every in-scope SRV, in process and over HTTP; where the item
addresses the answer (the header) or is a processing instruction, with HTTP 400, before anything is read.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from lxml import etree

from pytest_dcc.duis.build import DuisRequest
from pytest_dcc.duis.samples import IN_SCOPE_SRVS, sample_values
from pytest_dcc.duis.signing import SignatureStatus, TrustStore, sign, verify
from pytest_dcc.errors import HttpStatusError
from pytest_dcc.reference.server import make_app
from pytest_dcc.spec import NS_DS, NS_SR
from pytest_dcc.transport.receiver import ServerThread
from tests.reference_harness import IS, Harness

SR = f"{{{NS_SR}}}"
COMMENTS = (b"<!---->", b"<!-- 000 -->", b"<!--x-->")


def _signed_bytes(h: Harness, request: DuisRequest) -> bytes:
    sign(request.root, h.pki.identity(request.request_id.originator))
    return request.to_bytes()


def _text_spans(raw: bytes) -> list[tuple[str, int, int]]:
    """(element, start, end) of every non-empty element text of the request outside ds:Signature, as byte offsets
    in ``raw`` (the text between a start tag and the next tag)."""
    spans = []
    signature = raw.index(b"<ds:Signature") if b"<ds:Signature" in raw else len(raw)
    for match in re.finditer(rb"<([A-Za-z0-9_:.-]+)(?:\s[^<>]*)?>([^<]+)<", raw[:signature]):
        if match.group(2).strip():
            spans.append((match.group(1).decode(), match.start(2), match.end(2)))
    return spans


def _with_markup(raw: bytes, start: int, end: int, markup: bytes) -> bytes:
    cut = start + max(1, (end - start) // 2)
    return raw[:cut] + markup + raw[cut:]


def _still_verifies(h: Harness, hostile: bytes) -> bool:
    """The attack is real: canonical XML without comments (what the digest covers) of the hostile document still
    verifies. A processing instruction is part of the canonical form, so a PI added after signing breaks the
    digest: only comments pass this way (a PI is refused by the parser first)."""
    if b"<?x" in hostile:
        return True
    canonical = etree.tostring(etree.fromstring(hostile), method="c14n", with_comments=False)
    trust = TrustStore(i.certificate for i in h.pki.identities.values())
    return verify(etree.fromstring(canonical), trust).status is SignatureStatus.VERIFIED


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    h = Harness()
    yield h
    h.dcc.inventory.close()


@pytest.mark.parametrize("srv", IN_SCOPE_SRVS)
def test_a_comment_in_any_data_item_of_a_signed_request_is_refused_and_changes_nothing(
    harness: Harness, srv: str
) -> None:
    h = harness
    request = h.build(srv, **sample_values(srv))
    raw = _signed_bytes(h, request)
    spans = _text_spans(raw)
    assert len(spans) >= 4, spans  # the header's items at least
    before = h.dcc.inventory.dump()
    header_end = raw.index(b"</sr:Header>")
    for index, (element, start, end) in enumerate(spans):
        for markup in (COMMENTS[index % len(COMMENTS)], b"<?x y?>"):
            hostile = _with_markup(raw, start, end, markup)
            assert _still_verifies(h, hostile)
            if start > header_end and markup.startswith(b"<!--"):  # a signed E1 names the request
                assert h.transport.send_to(request, hostile, request.path).code == "E1", element
            else:  # a PI anywhere, or a comment in the header that addresses the answer: HTTP 400
                with pytest.raises(HttpStatusError) as refused:
                    h.transport.send_to(request, hostile, request.path)
                assert refused.value.status == 400, (element, markup)
            assert h.dcc.inventory.dump() == before, f"{srv}: a request with {markup!r} in {element} changed state"
    clean = h.transport.send_to(request, raw, request.path)
    assert clean.code != "E1", f"{srv}: the same request without the comment must not be refused as unauthenticated"


@pytest.mark.parametrize(
    ("srv", "element"),
    [
        ("1.1.1", "BlockThreshold"),
        ("8.4", "UpdateDeviceStatusCH"),
        ("12.2", "DeviceManufacturer"),
        ("8.2", "DeviceID"),
    ],
)
def test_over_http_the_classic_truncations_get_e1_not_a_wrong_value(srv: str, element: str) -> None:
    """Served over HTTP (uvicorn on loopback): the truncation cases an attacker would try first are refused with a
    signed E1 (never HTTP 500, never the truncated value recorded)."""
    h = Harness()
    try:
        request = h.build(srv, **sample_values(srv))
        raw = _signed_bytes(h, request)
        spans = [s for s in _text_spans(raw) if s[0].split(":")[-1] == element]
        assert spans, f"{element} not in the {srv} request"
        _, start, end = spans[0]
        hostile = _with_markup(raw, start, end, b"<!---->")
        before = h.dcc.inventory.dump()
        with ServerThread(make_app(h.dcc)) as server, httpx.Client() as client:
            reply = client.post(server.url + request.path, content=hostile, headers={"content-type": "application/xml"})
        assert reply.status_code == 200, reply.text
        answer = h.judge.judge(reply.content, content_type=reply.headers["content-type"], synchronous=True)
        assert answer.response.code == "E1"
        assert answer.root.find(f"{{{NS_DS}}}Signature") is not None  # the DSP signed its refusal
        assert h.dcc.inventory.dump() == before
    finally:
        h.dcc.inventory.close()


def test_the_request_id_itself_is_read_as_signed(harness: Harness) -> None:
    """A comment inside the RequestID's counter would make the counter read shorter (a replay of a lower one); no
    DUIS answer can name such a request, so it is refused at the HTTP level."""
    h = harness
    request = h.build("8.2", device_id="00-DB-12-34-56-78-90-A0", user=IS)
    raw = _signed_bytes(h, request)
    counter = str(request.request_id.counter).encode()
    at = raw.index(counter) + 3
    before = h.dcc.inventory.dump()
    with pytest.raises(HttpStatusError, match="request header refused: a comment inside RequestID"):
        h.transport.send_to(request, raw[:at] + b"<!---->" + raw[at:], request.path)
    assert h.dcc.inventory.dump() == before


@pytest.mark.parametrize("moment", ["2020-01-01T24:00:00Z", "10000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z"])
def test_a_schema_valid_value_python_cannot_hold_is_refused_not_a_crash(harness: Harness, moment: str) -> None:
    """``xs:dateTime`` admits 24:00:00 and years beyond 9999: a correctly signed SR 8.14.2 carrying one is refused
    (HTTP 400, rolled back), never an exception out of the pipeline (HTTP 500)."""
    h = harness
    details = sample_values("8.14.2")["details"]
    dated = dataclasses.replace(details, install_datetime=datetime(2020, 1, 1, tzinfo=UTC))
    request = h.build("8.14.2", details=dated)
    node = request.root.find(f".//{SR}InstallDateTime")
    assert node is not None
    node.text = moment
    raw = _signed_bytes(h, request)
    before = h.dcc.inventory.dump()
    with pytest.raises(HttpStatusError, match="cannot be read") as refused:
        h.transport.send_to(request, raw, request.path)
    assert refused.value.status == 400
    assert h.dcc.inventory.dump() == before

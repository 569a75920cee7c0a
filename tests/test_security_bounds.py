"""Bounded work before trust (issue 24, item 3, XML and HTTP): the structural limits of ``xmlsafe.parse`` reached
just under and just over, on the reference DCC and on the suite's receiver, in process and over real HTTP; bodies
refused while streaming (413 before buffering); ``/health`` answering while a hostile request is refused; the
receiver's memory of refused deliveries bounded."""

from __future__ import annotations

import io
import itertools
import statistics
import string
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping

import httpx
import pytest
from lxml import etree

from pytest_dcc.duis import xmlsafe
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.duis.xmlsafe import (
    DEFAULT_MAX_BYTES,
    MAX_ATTRIBUTES,
    MAX_ATTRIBUTES_PER_ELEMENT,
    MAX_DEPTH,
    MAX_ELEMENTS,
    MAX_EQUALS_SIGNS,
    MAX_NAMESPACE_DECLARATIONS,
    MAX_NAMESPACES_IN_SCOPE,
    MAX_NAMESPACES_PER_ELEMENT,
    parse,
)
from pytest_dcc.errors import ResponseFormatError, ResponseTimeoutError, XmlSecurityError
from pytest_dcc.reference.server import make_app
from pytest_dcc.transport.receiver import (
    REJECTED_KEEP,
    REJECTED_KEEP_BYTES,
    TOO_LARGE,
    ResponseInbox,
    ResponseReceiver,
    ServerThread,
)
from tests.conftest import SHARED
from tests.reference_harness import CAD, ESME, FIXTURES, IS, Harness

XML = {"content-type": "application/xml"}

# -- documents ------------------------------------------------------------------------------------------------------


def _decls(n: int, prefix: str = "p", start: int = 0) -> bytes:
    return "".join(f' xmlns:{prefix}{i}="urn:{prefix}:{i}"' for i in range(start, start + n)).encode()


def _attrs(n: int, prefixed: bool = False) -> bytes:
    return "".join(f' {"q:" if prefixed else ""}a{i}="{i}"' for i in range(n)).encode()


def ns_on_one_element(n: int) -> bytes:
    """``n`` prefixed declarations on the document element."""
    return b"<r" + _decls(n) + b"/>"


def ns_spread(n: int, per: int = MAX_NAMESPACES_PER_ELEMENT, default: bool = False) -> bytes:
    """``n`` declarations spread over sibling elements, ``per`` on each (default namespaces: one per element)."""
    if default:
        return b"<r>" + b"".join(b'<x xmlns="urn:d:%d"/>' % i for i in range(n)) + b"</r>"
    full, rest = divmod(n, per)
    parts = [b"<x" + _decls(per, start=i * per) + b"/>" for i in range(full)]
    if rest:
        parts.append(b"<x" + _decls(rest, start=full * per) + b"/>")
    return b"<r>" + b"".join(parts) + b"</r>"


def ns_nested(n: int, default: bool = True) -> bytes:
    """A chain of ``n`` elements, each declaring one more namespace (all in scope at the deepest)."""
    opens = [(b'<x xmlns="urn:d:%d">' % i) if default else (b'<x xmlns:n%d="urn:%d">' % (i, i)) for i in range(n)]
    return b"<r>" + b"".join(opens) + b"</x>" * n + b"</r>"


def attrs_on_one_element(n: int, prefixed: bool = False) -> bytes:
    return b'<r xmlns:q="urn:q"' + _attrs(n, prefixed) + b"/>"


def attrs_spread(n: int, per: int = MAX_ATTRIBUTES_PER_ELEMENT) -> bytes:
    """``n`` attributes over sibling elements, ``per`` on each."""
    full, rest = divmod(n, per)
    parts = [b"<x" + _attrs(per) + b"/>"] * full
    if rest:
        parts.append(b"<x" + _attrs(rest) + b"/>")
    return b"<r>" + b"".join(parts) + b"</r>"


def wide(n: int) -> bytes:
    """``n`` elements in all: the root and ``n - 1`` empty children."""
    return b"<r>" + b"<w/>" * (n - 1) + b"</r>"


def deep(n: int) -> bytes:
    return b"<d>" * n + b"</d>" * n


#: (what, limit name, the document at the limit, the document one past it)
LIMITS: list[tuple[str, str, Callable[[int], bytes], int]] = [
    ("prefixed declarations on one element", "MAX_NAMESPACES_PER_ELEMENT",
     ns_on_one_element, MAX_NAMESPACES_PER_ELEMENT),
    ("declarations spread over siblings", "MAX_NAMESPACE_DECLARATIONS", ns_spread, MAX_NAMESPACE_DECLARATIONS),
    ("default declarations, one per sibling", "MAX_NAMESPACE_DECLARATIONS",
     lambda n: ns_spread(n, default=True), MAX_NAMESPACE_DECLARATIONS),
    ("default namespaces redeclared down a chain", "MAX_NAMESPACES_IN_SCOPE", ns_nested, MAX_NAMESPACES_IN_SCOPE),
    ("prefixed namespaces nested down a chain", "MAX_NAMESPACES_IN_SCOPE",
     lambda n: ns_nested(n, default=False), MAX_NAMESPACES_IN_SCOPE),
    ("attributes on one element", "MAX_ATTRIBUTES_PER_ELEMENT", attrs_on_one_element, MAX_ATTRIBUTES_PER_ELEMENT),
    ("prefixed attributes on one element", "MAX_ATTRIBUTES_PER_ELEMENT",
     lambda n: attrs_on_one_element(n, prefixed=True), MAX_ATTRIBUTES_PER_ELEMENT),
    ("attributes spread over elements", "MAX_ATTRIBUTES", attrs_spread, MAX_ATTRIBUTES),
    ("a wide tree", "MAX_ELEMENTS", wide, MAX_ELEMENTS),
    ("a deep tree", "MAX_DEPTH", deep, MAX_DEPTH),
]  # fmt: skip


def _structure(data: bytes) -> dict[str, int]:
    """What a document holds, counted independently of xmlsafe (lxml's iterparse)."""
    counts = {"elements": 0, "attributes": 0, "namespaces": 0, "max_attributes": 0, "depth": 0}
    depth = 0
    for event, item in etree.iterparse(io.BytesIO(data), events=("start", "end", "start-ns")):
        if event == "start-ns":
            counts["namespaces"] += 1
        elif event == "start":
            depth += 1
            counts["elements"] += 1
            counts["attributes"] += len(item.attrib)
            counts["max_attributes"] = max(counts["max_attributes"], len(item.attrib))
            counts["depth"] = max(counts["depth"], depth)
        else:
            depth -= 1
    return counts


# -- xmlsafe.parse --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("what", "name", "make", "limit"), LIMITS, ids=[c[0] for c in LIMITS])
def test_each_limit_is_reached_just_under_and_refused_just_over(
    what: str, name: str, make: Callable[[int], bytes], limit: int
) -> None:
    assert getattr(xmlsafe, name) == limit
    at_limit, over = make(limit), make(limit + 1)
    assert len(over) <= DEFAULT_MAX_BYTES  # refused for its structure, not its size
    parse(at_limit)
    with pytest.raises(XmlSecurityError, match=f"limit {name}"):
        parse(over)


def test_real_documents_are_far_below_every_limit() -> None:
    """DCC Boxed's answers and what the builder and the reference DCC make use a small fraction of each limit."""
    h = Harness()
    documents = [p.read_bytes() for p in (SHARED / "dccboxed" / "responses").glob("readfw-*.xml")]
    for srv in ("8.2", "1.1.1", "6.15.1", "12.2", "8.4"):
        exchange = h.request(srv, **sample_values(srv))
        documents += [exchange.request.to_bytes(), exchange.judged.raw]
    join = h.request("8.7.2", target=ESME, other_device_id=CAD)
    documents += [j.raw for j in h.device_responses(join)]
    assert len(documents) >= 14
    for data in documents:
        parse(data)
        seen = _structure(data)
        assert seen["elements"] * 100 <= MAX_ELEMENTS and seen["depth"] * 4 <= MAX_DEPTH, seen
        assert seen["namespaces"] * 4 <= MAX_NAMESPACES_IN_SCOPE, seen
        assert seen["attributes"] * 100 <= MAX_ATTRIBUTES and seen["max_attributes"] * 8 <= MAX_ATTRIBUTES_PER_ELEMENT


@pytest.mark.parametrize("where", ["document element", "a child"])
def test_the_2_mib_namespace_flood_is_refused(where: str) -> None:
    """~150,000 declarations on one element, filling the size limit: refused past MAX_NAMESPACE_DECLARATIONS."""
    signed = _signed_8_2(Harness())
    if where == "a child":
        flood = _into_body(signed, _flood_request_bytes(b"<f/>", DEFAULT_MAX_BYTES - len(signed)))
    else:
        flood = _flood_request_bytes(signed)
    assert DEFAULT_MAX_BYTES - 200 < len(flood) <= DEFAULT_MAX_BYTES
    assert flood.count(b"xmlns:") > 100_000
    with pytest.raises(XmlSecurityError, match="limit MAX_NAMESPACE_DECLARATIONS"):
        parse(flood)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (ns_on_one_element(5000).decode().encode("utf-16"), "NUL bytes"),
        (ns_on_one_element(3000).decode().encode("utf-16-le"), "NUL bytes"),
        (ns_on_one_element(MAX_NAMESPACE_DECLARATIONS + 1), "occurrences of 'xmlns'.*MAX_NAMESPACE_DECLARATIONS"),
        (b"<r>" + b"xmlns " * (MAX_NAMESPACE_DECLARATIONS + 1) + b"</r>", "occurrences of 'xmlns'"),
        (attrs_on_one_element(MAX_EQUALS_SIGNS + 1), "MAX_EQUALS_SIGNS"),
        (b"<r>" + b"=" * (MAX_EQUALS_SIGNS + 1) + b"</r>", "MAX_EQUALS_SIGNS"),
    ],
    ids=["utf-16 flood", "utf-16-le without BOM", "declarations", "xmlns in text", "attributes", "= in text"],
)
def test_floods_in_one_start_tag_are_refused_on_the_bytes_before_parsing(
    monkeypatch: pytest.MonkeyPatch, document: bytes, message: str
) -> None:
    """libxml2 parses a start tag whole while holding the interpreter: what could make one long is counted on the
    bytes first (conservatively: ``xmlns`` or ``=`` in text count too; no DUIS document has thousands)."""

    def no_parser(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parser was started")

    monkeypatch.setattr(etree, "XMLPullParser", no_parser)
    with pytest.raises(XmlSecurityError, match=message):
        parse(document)


# -- the reference DCC ------------------------------------------------------------------------------------------


def _signed_8_2(h: Harness) -> bytes:
    from pytest_dcc.duis.signing import sign

    request = h.build("8.2", **sample_values("8.2"))
    sign(request.root, h.pki.identity(IS))
    return request.to_bytes()


def _into_root(document: bytes, extra: bytes) -> bytes:
    """``extra`` (attributes or declarations) added to the document element's start tag."""
    start = document.index(b"<", document.index(b"?>") + 2 if document.startswith(b"<?xml") else 0)
    end = start + 1
    while document[end : end + 1] not in (b" ", b">", b"/"):
        end += 1
    return document[:end] + extra + document[end:]


def _into_body(document: bytes, extra: bytes) -> bytes:
    """``extra`` (elements) added at the start of ``sr:Body`` (or of the first element below the root)."""
    at = document.index(b"<sr:Body>") + len(b"<sr:Body>")
    return document[:at] + extra + document[at:]


def _flood_request_bytes(document: bytes, limit: int = DEFAULT_MAX_BYTES) -> bytes:
    """As many prefixed declarations on the document element as fit in ``limit`` bytes."""
    tail = string.ascii_letters + string.digits
    names = (  # about 200,000 three-character prefixes
        "".join(t) for t in itertools.product(string.ascii_letters, tail, tail) if "".join(t).lower() != "xml"
    )
    count = (limit - len(document)) // len(b' xmlns:abc="a:"')
    return _into_root(document, b"".join(f' xmlns:{next(names)}="a:"'.encode() for _ in range(count)))


def _hostile_requests(signed: bytes) -> dict[str, bytes]:
    """Varied hostile variants of a signed request, each past one structural limit and within the size limit."""
    return {
        "2 MiB of declarations on sr:Request": _flood_request_bytes(signed),
        "17 declarations on sr:Request": _into_root(signed, _decls(MAX_NAMESPACES_PER_ELEMENT + 1, "z")),
        "5,000 declarations over sibling elements": _into_body(signed, ns_spread(5000)[3:-4]),
        "default namespaces redeclared 40 deep": _into_body(signed, ns_nested(40)[3:-4]),
        "200 attributes on sr:Request": _into_root(signed, _attrs(200)),
        "60,000 elements in sr:Body": _into_body(signed, b"<w/>" * 60_000),
        "100 levels in sr:Body": _into_body(signed, deep(100)),
    }


def test_the_reference_dcc_refuses_every_flood_before_schema_and_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    h = Harness()
    signed = _signed_8_2(h)
    before = h.dcc.inventory.dump()
    reached: list[str] = []

    def spy(name: str) -> Callable[..., object]:
        def refuse(*args: object, **kwargs: object) -> object:
            reached.append(name)
            raise AssertionError(f"{name} reached with a hostile document")

        return refuse

    import pytest_dcc.reference.dcc as dcc_module

    monkeypatch.setattr(dcc_module, "verify", spy("signature check"))
    monkeypatch.setattr(type(h.dcc.schema), "issues", spy("schema validation"))
    for name, body in _hostile_requests(signed).items():
        reply = h.dcc.handle("POST", "/api/v1/serviceD", XML, body)
        assert reply.status == 400, (name, reply.status, reply.body[:200])
        assert b"limit MAX_" in reply.body, (name, reply.body[:300])
    assert not reached and h.dcc.inventory.dump() == before


@pytest.fixture
def served() -> Iterator[tuple[ServerThread, Harness]]:
    h = Harness()
    with ServerThread(make_app(h.dcc, test_control=True)) as server:
        yield server, h


def test_the_served_reference_refuses_every_flood_over_http(served: tuple[ServerThread, Harness]) -> None:
    server, h = served
    signed = _signed_8_2(h)
    before = h.dcc.inventory.dump()
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for name, body in _hostile_requests(signed).items():
            reply = http.post("/api/v1/serviceD", content=body, headers=XML)
            assert reply.status_code == 400 and "limit MAX_" in reply.text, (name, reply.status_code, reply.text[:200])
        accepted = http.post("/api/v1/serviceD", content=signed, headers=XML)  # the control: the genuine request
        assert accepted.status_code == 200 and b"<sr:ResponseCode>I0<" in accepted.content
    assert h.dcc.inventory.dump() != before  # only the control changed anything (its counter and journal)


@pytest.mark.parametrize("uri", ["relative/ns", "ns", "#frag", "../up"])
def test_a_relative_namespace_uri_is_refused_not_a_crash(served: tuple[ServerThread, Harness], uri: str) -> None:
    """Canonicalisation (the signature check) raises on a relative namespace URI: before, the reference answered
    HTTP 500 and the suite's judge raised outside its error tree. Now it is a refusal like any hostile XML."""
    server, h = served
    signed = _into_root(_signed_8_2(h), f' xmlns:rel="{uri}"'.encode())
    reply = h.dcc.handle("POST", "/api/v1/serviceD", XML, signed)
    assert reply.status == 400 and b"relative namespace URI" in reply.body, reply.body[:200]
    with httpx.Client(base_url=server.url, timeout=60) as http:
        answer = http.post("/api/v1/serviceD", content=signed, headers=XML)
    assert answer.status_code == 400 and "relative namespace URI" in answer.text
    with pytest.raises(ResponseFormatError, match="relative namespace URI"):
        ResponseInbox(h.judge).deliver(_into_root(_device_response(h), f' xmlns:rel="{uri}"'.encode()))


def _stream(total: int, sent: list[int], chunk: int = 256 * 1024) -> Iterator[bytes]:
    """``total`` bytes in chunks, adding what the client took to ``sent[0]``."""
    for _ in range(total // chunk):
        sent[0] += chunk
        yield b"<" * chunk


@pytest.mark.parametrize("size_mib", [3, 32])
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_an_oversized_body_is_refused_while_streaming(
    served: tuple[ServerThread, Harness], size_mib: int, declared: bool
) -> None:
    """413 before the body is buffered: a declared Content-Length over the limit is refused before any of it is
    read; a chunked body as soon as it passes the limit (the client is stopped long before it has sent it all)."""
    server, _ = served
    total = size_mib * 1024 * 1024
    sent = [0]
    with httpx.Client(base_url=server.url, timeout=60) as http:
        if declared:
            content: bytes | Iterator[bytes] = b"<" * total
            headers = {**XML, "content-length": str(total)}
        else:
            content, headers = _stream(total, sent), dict(XML)
        try:
            reply = http.post("/api/v1/serviceD", content=content, headers=headers)
        except httpx.TransportError:  # the server may close before the client has finished writing
            reply = None
        if reply is not None:
            assert reply.status_code == 413 and "limit" in reply.text, reply.text[:200]
            if declared:  # refused on its Content-Length, before reading any of it
                assert "after 0 bytes" in reply.text, reply.text[:200]
        assert http.get("/health").status_code == 200
    if not declared and size_mib > 3:
        # socket buffers take some megabytes more than the server read; never the whole body
        assert sent[0] <= total // 2, f"the client sent {sent[0]} of {total} bytes before the refusal"


def _worst_within_limits(signed: bytes) -> bytes:
    """The most work the limits let through: 49,900 elements more, each with 32 namespaces in scope."""
    within = _into_root(signed, _decls(MAX_NAMESPACES_PER_ELEMENT - 4, "k"))  # sr:Request declares 4 of its own
    return _into_body(within, b"<w" + _decls(MAX_NAMESPACES_PER_ELEMENT, "m") + b">" + b"<w/>" * 49_900 + b"</w>")


@pytest.mark.slow
def test_health_answers_while_the_worst_requests_are_refused(served: tuple[ServerThread, Harness]) -> None:
    """The worst documents within the size limit, sent back to back: the 2 MiB declaration flood, the most work
    the structural limits let through, and 24,000 attributes on one element. Meanwhile ``/health`` keeps answering:
    several answers start and finish while each of the slowest hostile requests is still being worked on (the
    loop is never held for one of them; its times, idle and during, are in the message)."""
    server, h = served
    signed = _signed_8_2(h)
    hostile = [
        _flood_request_bytes(signed),
        _worst_within_limits(signed),
        _into_root(signed, _attrs(MAX_ATTRIBUTES + 4000)),
    ] * 3
    spans: list[tuple[float, float]] = []
    done = threading.Event()

    def attack() -> None:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            for body in hostile:
                started = time.perf_counter()
                assert http.post("/api/v1/serviceD", content=body, headers=XML).status_code == 400
                spans.append((started, time.perf_counter()))
        done.set()

    with httpx.Client(base_url=server.url, timeout=120) as http:
        idle = [end - start for start, end in _health_spans(http, lambda: False, at_most=20)]
        attacker = threading.Thread(target=attack, daemon=True)
        attacker.start()
        during = _health_spans(http, done.is_set)
        attacker.join(120)
    assert len(spans) == len(hostile), "the hostile requests were not all answered"
    slowest = sorted(spans, key=lambda span: span[0] - span[1])[:3]
    inside = [sum(1 for s, e in during if start <= s and e <= end) for start, end in slowest]
    times = [end - start for start, end in during]
    detail = (
        f"/health idle median {statistics.median(idle) * 1e3:.1f} ms; during the attack median "
        f"{statistics.median(times) * 1e3:.1f} ms, max {max(times) * 1e3:.1f} ms over {len(times)} calls; the "
        f"three slowest hostile requests took {', '.join(f'{(e - s) * 1e3:.0f}' for s, e in slowest)} ms and "
        f"{inside} /health calls were answered within each"
    )
    print(detail)
    assert min(inside) >= 3, detail


def _health_spans(http: httpx.Client, stop: Callable[[], bool], at_most: int = 100_000) -> list[tuple[float, float]]:
    spans: list[tuple[float, float]] = []
    while not stop() and len(spans) < at_most:
        started = time.perf_counter()
        assert http.get("/health").status_code == 200
        spans.append((started, time.perf_counter()))
    return spans


@pytest.mark.slow
def test_the_corpus_floods_and_streamed_body_over_http(served: tuple[ServerThread, Harness]) -> None:
    """The corpus's structural cases (fixtures/hostile/cases.yaml) against the served reference, the oversized
    body streamed in chunks."""
    from qa.hostile import CorpusUsers, load_corpus, run_case
    from tests.reference_harness import ED, GS, OU

    server, h = served
    folder = FIXTURES / "hostile"
    who = CorpusUsers(h.pki, {"IS": IS, "GS": GS, "OU": OU, "ED": ED})
    cases = [c for c in load_corpus(folder) if "flood" in c.recipe or "stream" in c.recipe]
    assert len(cases) >= 20 and {c.expect_http for c in cases} == {400, 413, None}
    with httpx.Client(base_url=server.url, timeout=60) as http:

        def send(
            method: str, path: str, headers: Mapping[str, str], body: bytes | Iterable[bytes]
        ) -> tuple[int, bytes]:
            reply = http.request(method, path, headers=headers, content=body)
            return reply.status_code, reply.content

        outcomes = [run_case(c, folder, who, send, h.dcc.inventory.dump, lambda: True, send) for c in cases]
    wrong = [f"{o.case.id}: expected {o.case.expected}, got {o.answer}: {o.detail[:150]}" for o in outcomes if not o.ok]
    assert not wrong, "\n".join(wrong)


# -- the suite's receiver ---------------------------------------------------------------------------------------


def _device_response(h: Harness) -> bytes:
    join = h.request("8.7.2", target=ESME, other_device_id=CAD)
    return h.device_responses(join)[0].raw


def _hostile_deliveries(response: bytes) -> dict[str, bytes]:
    return {
        "2 MiB of declarations on sr:Response": _flood_request_bytes(response),
        "20 prefixed attributes x 2 on sr:Response": _into_root(response, b' xmlns:q="urn:q"' + _attrs(40, True)),
        "4,200 default namespaces in sr:Body": _into_body(response, ns_spread(4200, default=True)[3:-4]),
        "51,000 elements in sr:Body": _into_body(response, b"<w/>" * 51_000),
    }


def test_the_inbox_refuses_floods_as_format_errors_and_keeps_a_bounded_prefix() -> None:
    h = Harness()
    response = _device_response(h)
    inbox = ResponseInbox(h.judge)
    for name, body in _hostile_deliveries(response).items():
        with pytest.raises(ResponseFormatError, match="limit MAX_"):
            inbox.deliver(body)
        kept = inbox.rejected[-1]
        assert kept.cause == ResponseFormatError.cause and "limit MAX_" in kept.reason, name
        assert len(kept.raw) <= REJECTED_KEEP_BYTES and kept.size == len(body) and kept.raw == body[: len(kept.raw)]


def test_the_inbox_keeps_a_bounded_number_of_refused_deliveries() -> None:
    """Junk deliveries (over the size limit, or under it and not XML) leave at most REJECTED_KEEP prefixes behind;
    the count of all stays."""
    h = Harness()
    inbox = ResponseInbox(h.judge)
    count = REJECTED_KEEP + 30
    for i in range(count):
        body = bytes([65 + i % 26]) * ((3 if i % 2 else 1) * 1024 * 1024 + i)
        with pytest.raises(ResponseFormatError):
            inbox.deliver(body)
    assert len(inbox.rejected) == REJECTED_KEEP and inbox.rejected_total == count
    assert sum(len(r.raw) for r in inbox.rejected) <= REJECTED_KEEP * REJECTED_KEEP_BYTES
    assert inbox.rejected[-1].size == 3 * 1024 * 1024 + count - 1 and inbox.rejected[-1].truncated
    assert inbox.rejected[0].preview(10) == chr(65 + 30 % 26) * 10 + "..."  # the oldest kept: the 31st
    with pytest.raises(ResponseTimeoutError, match="30 earlier ones not kept"):
        inbox.wait_for(h.build("8.2", **sample_values("8.2")).request_id, 0.01)


def test_the_receiver_refuses_floods_and_oversized_bodies_over_http() -> None:
    h = Harness()
    response = _device_response(h)
    receiver = ResponseReceiver(h.judge).start()
    try:
        with httpx.Client(timeout=60) as http:
            for name, body in _hostile_deliveries(response).items():
                reply = http.post(receiver.response_url, content=body, headers=XML)
                assert reply.status_code == 400 and "limit MAX_" in reply.text, (name, reply.text[:200])
            sent = [0]
            for _ in range(12):  # twelve 40 MiB junk deliveries, streamed
                try:
                    reply = http.post(receiver.response_url, content=_stream(40 * 1024 * 1024, sent), headers=XML)
                    assert reply.status_code == 413
                except httpx.TransportError:
                    pass
            assert sent[0] < 12 * 10 * 1024 * 1024, f"the receiver read {sent[0]} bytes of 480 MiB"
            assert http.post(receiver.response_url, content=response, headers=XML).status_code == 204
        inbox = receiver.inbox
        assert inbox.rejected_total == len(_hostile_deliveries(response)) + 12
        assert sum(len(r.raw) for r in inbox.rejected) <= REJECTED_KEEP * REJECTED_KEEP_BYTES
        assert [r.cause for r in inbox.rejected][-12:] == [TOO_LARGE] * 12
        assert len(inbox.accepted) == 1
    finally:
        receiver.stop()

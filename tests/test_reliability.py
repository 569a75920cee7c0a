"""The reference DCC under hostile input: the corpus in process and over HTTP, and property-based mutation.

Every refusal must be a defined answer (HTTP 4xx with a reason, or a signed sr:Response with the DUIS code), the
server must stay up, and the inventory must be byte-for-byte unchanged (SQL dump before == after).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree

from pytest_dcc.duis.bodies import gas_thresholds
from pytest_dcc.duis.build import RequestBuilder
from pytest_dcc.duis.nondevice_bodies import InstallDetails
from pytest_dcc.duis.pki import load_or_create_pki
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.duis.schema import load_schema
from pytest_dcc.duis.signing import sign
from qa.hostile import CorpusError, CorpusUsers, load_corpus, markdown_table, response_code, run_corpus
from qa.serve import ServeProcess, dump_database
from tests.reference_harness import CAD, CHF, ED, ESME, FIXTURES, GS, GSME, IS, OU, Harness

CORPUS = FIXTURES / "hostile"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "reliability.md"
USERS = {"IS": IS, "GS": GS, "OU": OU, "ED": ED}


def _report(outcomes: list) -> str:  # type: ignore[type-arg]
    return "\n".join(
        f"{o.case.id}: expected {o.case.expected}, got {o.answer}; changed={o.inventory_changed} alive={o.alive}; "
        f"{o.detail[:200]}"
        for o in outcomes
        if not o.ok
    )


@pytest.mark.slow
@pytest.mark.parametrize("xsd", ["embedded", "official DUIS 5.4"])
def test_hostile_corpus_in_process(xsd: str, shared: Path) -> None:
    h = Harness()
    if xsd != "embedded":  # the same answers when the DCC validates with the official XSD
        h.dcc.schema = load_schema(shared / "duis-xsd" / "5.4")
    who = CorpusUsers(h.pki, USERS)

    def send(method: str, path: str, headers: object, body: bytes) -> tuple[int, bytes]:
        reply = h.dcc.handle(method, path, headers, body)  # type: ignore[arg-type]
        return reply.status, reply.body

    outcomes = run_corpus(CORPUS, who, send, h.dcc.inventory.dump, lambda: True)
    assert len(outcomes) >= 40
    assert all(o.ok for o in outcomes), _report(outcomes)
    # Each kind of answer the issue names is exercised, not only HTTP 400.
    answers = {o.answer for o in outcomes}
    assert {"HTTP 400", "HTTP 404", "HTTP 405", "HTTP 413", "HTTP 415"} <= answers
    assert {"DUIS E1", "DUIS E2", "DUIS E4", "DUIS E5", "DUIS E12", "DUIS E13", "DUIS E19"} <= answers


@pytest.mark.slow
def test_hostile_corpus_against_pytest_dcc_serve_leaves_the_database_file_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "smi.sqlite"
    pki_dir = tmp_path / "pki"
    args = ["--pki", str(pki_dir), "--db", str(db), "--inventory", str(FIXTURES / "inventory" / "premises.yaml")]
    with ServeProcess([*args, "--log-level", "warning"], tmp_path / "serve.log") as server, httpx.Client() as client:
        who = CorpusUsers(load_or_create_pki(pki_dir), USERS)

        def send(method: str, path: str, headers: object, body: bytes) -> tuple[int, bytes]:
            reply = client.request(method, server.url + path, headers=headers, content=body)  # type: ignore[arg-type]
            return reply.status_code, reply.content

        outcomes = run_corpus(CORPUS, who, send, lambda: dump_database(db), server.alive)
        assert all(o.ok for o in outcomes), _report(outcomes)
    assert server.process is not None and server.process.returncode == 0, server.output()
    assert "Traceback" not in server.output()


def test_docs_table_lists_every_corpus_case_with_its_answer() -> None:
    text = DOCS.read_text(encoding="utf-8")
    table = re.search(r"<!-- corpus-table:.*?-->\n(.*?)\n<!-- /corpus-table -->", text, re.S)
    assert table is not None, "docs/reliability.md lost its corpus table markers"
    assert table.group(1).strip() == markdown_table(load_corpus(CORPUS)), (
        "docs/reliability.md is out of date: regenerate the table with qa.hostile.markdown_table"
    )


def test_corpus_loader_names_the_broken_case(tmp_path: Path) -> None:
    broken = {
        "cases: [{id: a, body: x, file: y, expect: {http: 400}}]": "exactly one of",
        "cases: [{id: a, body: x, expect: {http: 400, code: E1}}]": "expect is",
        "cases: [{id: a, file: missing.xml, expect: {http: 400}}]": "no file",
        "cases: [{id: a, body: x, expect: {http: 400}}, {id: a, body: y, expect: {http: 400}}]": "duplicate",
    }
    for text, message in broken.items():
        (tmp_path / "cases.yaml").write_text(text)
        with pytest.raises(CorpusError, match=message):
            load_corpus(tmp_path)


# -- property-based: valid requests, mutated ---------------------------------------------------------------------

_HARNESS: Harness | None = None


def _harness() -> Harness:
    """One reference DCC for all examples: state accumulates as it would in a long-running server."""
    global _HARNESS
    if _HARNESS is None:
        _HARNESS = Harness()
    return _HARNESS


#: (SRV, user, CV, values): requests the reference accepts when sent unmutated.
VALID = [
    ("8.2", IS, None, sample_values("8.2")),
    ("12.1", OU, None, sample_values("12.1")),
    ("8.7.2", IS, 1, {"target": ESME, "other_device_id": CAD}),
    ("8.8.2", IS, 1, {"target": ESME, "other_device_id": CAD}),
    ("8.14.2", IS, None, {"details": InstallDetails(device_id=CHF, mpxn="1234567890123")}),
    ("1.1.1", GS, 4, {"target": GSME, "thresholds": gas_thresholds(["10 kWh", "20 kWh"])}),
]
HOSTILE_TEXT = st.text(
    alphabet=st.sampled_from([*"0123456789ABCDEF-:. <>&'\"\\/%;", "\u00e9", "\u202e", "\ufffd", "\U0001f4a9"]),
    max_size=40,
)
ACCEPTED_STATUSES = {200, 400, 404, 405, 413, 415}
EUI = re.compile(r"[0-9A-F]{2}(-[0-9A-F]{2}){7}")
REQUEST_ID = re.compile(r"[0-9A-F-]{23}:[0-9A-F-]{23}:\d+")


@st.composite
def mutated_requests(draw: st.DrawFn) -> tuple[str, bytes]:
    srv, user, cv, values = draw(st.sampled_from(VALID))
    h = _harness()
    request = RequestBuilder(user, h.builder(user).counters).request(srv, cv=cv, **values)
    root = request.root
    elements = [e for e in root.iter() if isinstance(e.tag, str) and e is not root]
    when = draw(st.sampled_from(["none", "tree", "tree", "tree", "bytes"]))
    if when == "tree" and elements:
        node = draw(st.sampled_from(elements))
        action = draw(st.sampled_from(["eui", "eui", "text", "drop", "duplicate", "attribute"]))
        euis = [n for n in elements if EUI.fullmatch(n.text or "") or REQUEST_ID.fullmatch(n.text or "")]
        if action == "eui" and euis:  # stays schema-valid: reaches the signature, role and device checks
            node = draw(st.sampled_from(euis))
            other = draw(st.sampled_from([*USERS.values(), ESME, GSME, CHF, CAD, "00-DB-12-34-56-78-90-EE"]))
            if REQUEST_ID.fullmatch(node.text or ""):
                parts = (node.text or "").split(":")
                parts[draw(st.integers(0, 2))] = draw(st.sampled_from([other, "1", "99999999999999"]))
                node.text = ":".join(parts)
            else:
                node.text = other
        elif action == "text":
            node.text = draw(HOSTILE_TEXT)
        elif action == "drop" and node.getparent() is not None:
            node.getparent().remove(node)  # type: ignore[union-attr]
        elif action == "duplicate" and node.getparent() is not None:
            node.addnext(copy.deepcopy(node))
        else:
            node.set(draw(st.sampled_from(["index", "schemaVersion", "id", "x"])), draw(HOSTILE_TEXT))
    signed = when == "none" or draw(st.integers(0, 9)) > 0
    if signed:
        sign(root, h.pki.identity(user))
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    if when == "bytes":
        at = draw(st.integers(0, len(body) - 1))
        action = draw(st.sampled_from(["flip", "truncate", "insert"]))
        if action == "flip":
            body = body[:at] + bytes([body[at] ^ draw(st.integers(1, 255))]) + body[at + 1 :]
        elif action == "truncate":
            body = body[:at]
        else:
            body = body[:at] + draw(st.binary(min_size=1, max_size=16)) + body[at:]
    return request.path, body


def test_the_unmutated_requests_are_accepted() -> None:
    """The property below is only as good as its starting point: each base request is one the DCC accepts."""
    h = Harness()
    for srv, user, cv, values in VALID:
        exchange = h.request(srv, user=user, cv=cv, **values)
        assert exchange.code in {"I0", "I99", "W081401"}, (srv, exchange.code)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_requests())
def test_mutated_requests_never_crash_the_pipeline_and_refusals_change_nothing(case: tuple[str, bytes]) -> None:
    path, body = case
    h = _harness()
    before = h.dcc.inventory.dump()
    reply = h.dcc.handle("POST", path, {"content-type": "application/xml"}, body)  # must not raise
    assert reply.status in ACCEPTED_STATUSES, reply
    code, detail = response_code(reply.status, reply.body, h.pki.dsp_trust())
    if reply.status == 200:
        assert code is not None, detail  # a 200 always carries a signed DUIS response
    else:
        assert reply.body, "an HTTP refusal names its reason"
    event(f"answer: {code or reply.status}")
    refused = code is None or code.startswith("E")
    if refused:
        assert h.dcc.inventory.dump() == before, f"refused ({code or reply.status}) but the inventory changed"


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=512), st.sampled_from(["/api/v1/serviceS", "/api/v1/serviceD", "/api/v1/serviceT"]))
def test_arbitrary_bytes_are_refused_with_4xx_and_change_nothing(body: bytes, path: str) -> None:
    h = _harness()
    before = h.dcc.inventory.dump()
    reply = h.dcc.handle("POST", path, {"content-type": "application/xml"}, body)
    assert 400 <= reply.status < 500 and reply.body
    assert h.dcc.inventory.dump() == before

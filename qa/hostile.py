"""The hostile-input corpus (``fixtures/hostile/cases.yaml``): load it, make each case's bytes, send them to a
reference DCC, and check the answer and that the inventory did not change.

The runner is transport-neutral: it is given ``send(method, path, headers, body) -> (status, body)`` and
``dump() -> str`` (the inventory as SQL text), so the same corpus runs in process and against ``pytest-dcc serve``;
a sender over HTTP may also be given ``stream`` (the same, with the body as chunks) for the cases whose body is
streamed, otherwise those bodies are sent whole.

A ``flood`` makes the structural floods of ``xmlsafe`` (namespace declarations, attributes, elements, depth) in a
signed request, sized from the request itself: just at a limit, one past it, or filling the size limit.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from pytest_dcc.duis import xmlsafe
from pytest_dcc.duis.build import RequestBuilder
from pytest_dcc.duis.ids import CounterStore
from pytest_dcc.duis.pki import TestPki
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.duis.signing import SignatureStatus, TrustStore, sign, verify
from pytest_dcc.duis.xmlsafe import DEFAULT_MAX_BYTES, parse
from pytest_dcc.errors import CorpusError, DccError
from pytest_dcc.spec import NS_SR, SERVICE_PATHS

_SR = f"{{{NS_SR}}}"
_NS = {"sr": NS_SR}
#: The user from a PKI the DCC does not know.
STRANGER = "90-B3-D5-1F-30-09-00-00"

Send = Callable[[str, str, Mapping[str, str], bytes], tuple[int, bytes]]
#: ``send`` with the body as chunks (sent as they come: chunked transfer encoding over HTTP).
SendStream = Callable[[str, str, Mapping[str, str], Iterable[bytes]], tuple[int, bytes]]
#: The size of each chunk of a streamed body.
STREAM_CHUNK_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class Case:
    """One corpus entry."""

    id: str
    what: str
    expect_http: int | None
    expect_code: str | None
    recipe: Mapping[str, Any]
    changes_allowed: bool = False
    #: Words the answer's reason must contain (an HTTP refusal's text), when the status alone says too little.
    expect_reason: str | None = None

    @property
    def expected(self) -> str:
        answer = f"HTTP {self.expect_http}" if self.expect_http is not None else f"DUIS {self.expect_code}"
        return answer + (f" ({self.expect_reason})" if self.expect_reason else "")


@dataclass(frozen=True, slots=True)
class Prepared:
    """The bytes and HTTP details of one case, plus an earlier send it needs (a replay's first copy)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    prime: bytes | None = None
    #: Send ``body`` as a stream of chunks (when the sender can).
    stream: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the DCC did with one case."""

    case: Case
    status: int | None
    code: str | None
    detail: str
    inventory_changed: bool
    alive: bool

    @property
    def answer(self) -> str:
        if self.status is None:
            return f"no answer ({self.detail})"
        return f"DUIS {self.code}" if self.code is not None else f"HTTP {self.status}"

    @property
    def ok(self) -> bool:
        """Answered as expected, the DCC still up, and the inventory unchanged unless the case is the control."""
        if self.status is None or not self.alive:
            return False
        if self.case.expect_http is not None:
            right = self.status == self.case.expect_http and self.code is None
        else:
            right = self.status == 200 and self.code == self.case.expect_code
        if self.case.expect_reason is not None and self.case.expect_reason not in self.detail:
            right = False
        return right and (self.case.changes_allowed or not self.inventory_changed)


def load_corpus(folder: Path) -> list[Case]:
    """The cases of ``folder/cases.yaml``, checked: unique ids, one way to make the bytes, one expectation."""
    try:
        data = yaml.safe_load((folder / "cases.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CorpusError(f"cannot read {folder / 'cases.yaml'}: {exc}") from None
    cases: list[Case] = []
    for entry in data.get("cases", []):
        case_id = str(entry.get("id", "?"))
        sources = [k for k in ("file", "body", "build", "stream") if k in entry]
        if len(sources) != 1:
            raise CorpusError(f"case {case_id}: give exactly one of file, body, build, stream (got {sources})")
        expect = entry.get("expect") or {}
        if len(set(expect) & {"http", "code"}) != 1 or not set(expect) <= {"http", "code", "reason"}:
            raise CorpusError(f"case {case_id}: expect is {{http: N}} or {{code: X}} (and a reason), got {expect!r}")
        if "flood" in entry and "build" not in entry:
            raise CorpusError(f"case {case_id}: a flood is made in a built request (give build)")
        if "file" in entry and not (folder / entry["file"]).is_file():
            raise CorpusError(f"case {case_id}: no file {folder / entry['file']}")
        cases.append(
            Case(
                id=case_id,
                what=str(entry.get("what", "")),
                expect_http=int(expect["http"]) if "http" in expect else None,
                expect_code=str(expect["code"]) if "code" in expect else None,
                recipe=entry,
                changes_allowed=bool(entry.get("changes_allowed", False)),
                expect_reason=str(expect["reason"]) if "reason" in expect else None,
            )
        )
    ids = [c.id for c in cases]
    if len(set(ids)) != len(ids):
        raise CorpusError(f"duplicate case ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    return cases


@dataclass
class CorpusUsers:
    """The users a corpus is played by: the inventory's (name -> EUI, keys in ``pki``) and a stranger."""

    pki: TestPki
    users: Mapping[str, str]
    stranger: TestPki = field(default_factory=lambda: TestPki.generate([STRANGER]))
    counters: CounterStore = field(default_factory=CounterStore)
    max_bytes: int = DEFAULT_MAX_BYTES

    def eui(self, name: str) -> str:
        if name == "STRANGER":
            return STRANGER
        try:
            return self.users[name]
        except KeyError:
            raise CorpusError(f"no user {name!r} (known: {', '.join([*self.users, 'STRANGER'])})") from None

    def identity_for(self, name: str, user: str) -> Any:
        if name == "STRANGER":
            return self.stranger.identity(STRANGER)
        if name == "STRANGER-AS-USER":  # a key the DCC does not know, in a certificate naming the real user
            stranger = TestPki.generate([self.eui(user)])
            return stranger.identity(self.eui(user))
        return self.pki.identity(self.eui(name))


def prepare(case: Case, folder: Path, who: CorpusUsers) -> Prepared:
    """The request bytes and HTTP details of ``case``."""
    recipe = case.recipe
    send = dict(recipe.get("send") or {})
    path = str(send.get("path", SERVICE_PATHS["S"]))
    prime = None
    if "file" in recipe:
        body = (folder / recipe["file"]).read_bytes()
    elif "body" in recipe:
        body = str(recipe["body"]).encode("utf-8")
    elif "stream" in recipe:  # junk of that many MiB, sent in chunks
        body = b"<" * int(float(dict(recipe["stream"])["mib"]) * 1024 * 1024)
    else:
        path, body, prime = _built(case, who, send)
    headers = {"content-type": str(send.get("content_type", "application/xml"))}
    return Prepared(str(send.get("method", "POST")), path, headers, body, prime, stream="stream" in recipe)


def _built(case: Case, who: CorpusUsers, send: Mapping[str, Any]) -> tuple[str, bytes, bytes | None]:
    """The path, bytes and first copy (a replay's) of a ``build`` case."""
    recipe = case.recipe
    build = dict(recipe["build"])
    user = str(build.get("user", "IS"))
    srv = str(build["srv"])
    values = {**sample_values(srv), **dict(build.get("values") or {})}
    request = RequestBuilder(who.eui(user), who.counters).request(srv, cv=build.get("cv"), **values)
    counter = str(request.request_id.counter)
    for where, text in dict(recipe.get("edit") or {}).items():
        node = request.root.find(str(where), _NS)
        if node is None:
            raise CorpusError(f"case {case.id}: no element {where} in the built SRV {srv}")
        node.text = str(text).replace("{counter}", counter)
    root, spec = request.root, dict(recipe.get("flood") or {})
    if spec.get("before_sign"):  # the flood is part of what the user signs
        root = etree.fromstring(
            flood(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), spec, who.max_bytes)
        )
    signer = str(recipe.get("sign", "user"))
    if signer != "none":
        sign(root, who.identity_for(user if signer == "user" else signer, user))
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    if "after_sign" in recipe:
        old, new = (str(x).encode() for x in recipe["after_sign"])
        if old not in body:
            raise CorpusError(f"case {case.id}: {old!r} is not in the signed request")
        body = body.replace(old, new)
    if spec and not spec.get("before_sign"):
        body = flood(body, spec, who.max_bytes, case.id)
    if recipe.get("pad_to_limit"):
        filler = who.max_bytes + 1 - len(body) - len(b"<!---->")
        body += b"<!--" + b" " * max(filler, 0) + b"-->"
    return str(send.get("path", request.path)), body, body if recipe.get("replay") else None


# -- structural floods ----------------------------------------------------------------------------------------------

#: Each kind of flood: the xmlsafe limit it is sized against, and what of the request already counts towards it.
FLOODS: Mapping[str, tuple[str, str]] = {
    "namespaces-on-root": ("MAX_NAMESPACES_PER_ELEMENT", "root_declarations"),
    "namespaces-on-element": ("MAX_NAMESPACES_PER_ELEMENT", "nothing"),
    "namespaces-spread": ("MAX_NAMESPACE_DECLARATIONS", "declarations"),
    "default-namespaces-spread": ("MAX_NAMESPACE_DECLARATIONS", "declarations"),
    "namespaces-nested": ("MAX_NAMESPACES_IN_SCOPE", "root_declarations"),
    "default-namespaces-nested": ("MAX_NAMESPACES_IN_SCOPE", "root_declarations"),
    "attributes-on-root": ("MAX_ATTRIBUTES_PER_ELEMENT", "root_attributes"),
    "prefixed-attributes-on-root": ("MAX_ATTRIBUTES_PER_ELEMENT", "root_attributes"),
    "attributes-spread": ("MAX_ATTRIBUTES", "attributes"),
    "elements": ("MAX_ELEMENTS", "elements"),
    "depth": ("MAX_DEPTH", "body_depth"),
}
#: The kinds a flood may fill the size limit with (one unit after another).
FILLABLE = (
    "namespaces-on-root",
    "namespaces-on-element",
    "attributes-on-root",
    "prefixed-attributes-on-root",
    "elements",
)


def _shape(body: bytes) -> dict[str, int]:
    """What a (small, self-made) request already holds of each limit."""
    root = etree.fromstring(body)
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    own = [
        len(set(e.nsmap.items()) - set((p.nsmap if (p := e.getparent()) is not None else {}).items())) for e in elements
    ]
    body_node = root.find(f"{_SR}Body")
    return {
        "nothing": 0,
        "root_declarations": len(root.nsmap),
        "root_attributes": len(root.attrib),
        "declarations": sum(own),
        "attributes": sum(len(e.attrib) for e in elements),
        "elements": len(elements),
        "body_depth": 1 + sum(1 for _ in body_node.iterancestors()) if body_node is not None else 1,
    }


def _names() -> Iterator[str]:
    """Distinct short XML names (three characters, then four)."""
    tail = string.ascii_letters + string.digits
    for size in (2, 3):
        for letters in itertools.product(string.ascii_letters, *[tail] * size):
            if not (name := "".join(letters)).lower().startswith("xml"):
                yield name


def _units(kind: str) -> Iterator[bytes]:
    """One declaration, attribute or element after another, for a fillable flood."""
    for name in _names():
        if kind.startswith("namespaces"):
            yield f' xmlns:{name}="a:"'.encode()
        elif kind == "attributes-on-root":
            yield f' {name}="1"'.encode()
        elif kind == "prefixed-attributes-on-root":
            yield f' q:{name}="1"'.encode()
        else:
            yield b"<f/>"


def _flood_bytes(kind: str, count: int | None, room: int) -> bytes:
    """The flood itself: ``count`` units, or (``None``) as many as fit in ``room`` bytes."""
    if kind in FILLABLE:
        units = _units(kind)
        made = b"".join(itertools.islice(units, count) if count is not None else _fitting(units, room))
        if kind == "namespaces-on-element":
            return b"<f" + made + b"/>"
        return (b' xmlns:q="urn:q"' + made) if kind == "prefixed-attributes-on-root" else made
    assert count is not None
    if kind == "default-namespaces-spread":
        return b"".join(b'<f xmlns="urn:d:%d"/>' % i for i in range(count))
    if kind in ("namespaces-spread", "attributes-spread"):
        spread = {"namespaces-spread": ("namespaces-on-root", xmlsafe.MAX_NAMESPACES_PER_ELEMENT)}
        unit, per = spread.get(kind, ("attributes-on-root", xmlsafe.MAX_ATTRIBUTES_PER_ELEMENT))
        pieces = list(itertools.islice(_units(unit), count))
        return b"".join(b"<f" + b"".join(pieces[i : i + per]) + b"/>" for i in range(0, count, per))
    if kind == "default-namespaces-nested":
        return b"".join(b'<f xmlns="urn:d:%d">' % i for i in range(count)) + b"</f>" * count
    if kind == "namespaces-nested":
        return b"".join(f'<f xmlns:{n}="a:">'.encode() for n in itertools.islice(_names(), count)) + b"</f>" * count
    return b"<f>" * count + b"</f>" * count  # depth


def _fitting(units: Iterator[bytes], room: int) -> Iterator[bytes]:
    for unit in units:
        room -= len(unit)
        if room < 0:
            return
        yield unit


def flood(body: bytes, recipe: Mapping[str, Any], max_bytes: int, case_id: str = "?") -> bytes:
    """``body`` with a structural flood: ``{kind, size}``, the kind one of :data:`FLOODS`, the size a count,
    ``at-limit`` or ``over-limit`` (the kind's xmlsafe limit, counting what the request already holds) or ``fill``
    (as many as fit in ``max_bytes``). Declarations and attributes on the root go in the document element's start
    tag, anything else at the start of ``sr:Body``. With ``before_sign``, :func:`prepare` floods the request before
    it is signed."""
    kind, size = str(recipe.get("kind")), str(recipe.get("size", "over-limit"))
    if kind not in FLOODS:
        raise CorpusError(f"case {case_id}: flood kind {kind!r} is none of {', '.join(FLOODS)}")
    limit, holds = FLOODS[kind]
    if size == "fill" and kind not in FILLABLE:
        raise CorpusError(f"case {case_id}: a {kind} flood cannot fill the size limit ({', '.join(FILLABLE)} can)")
    if size in ("at-limit", "over-limit"):
        count: int | None = int(getattr(xmlsafe, limit)) - _shape(body)[holds] + (size == "over-limit")
    else:
        count = None if size == "fill" else int(size)
    made = _flood_bytes(kind, count, max_bytes - len(body) - 32)  # room for the element wrapping the units
    if kind.endswith("on-root"):
        start = body.index(b"<", body.index(b"?>") + 2 if body.startswith(b"<?xml") else 0)
        at = start + len(body[start:].split(b" ", 1)[0])
    else:
        at = body.index(b"<sr:Body>") + len(b"<sr:Body>")
    return body[:at] + made + body[at:]


def streamed(body: bytes, chunk: int = STREAM_CHUNK_BYTES) -> Iterator[bytes]:
    """``body`` in chunks, for a sender that streams."""
    for offset in range(0, len(body), chunk):
        yield body[offset : offset + chunk]


def response_code(status: int, body: bytes, trust: TrustStore) -> tuple[str | None, str]:
    """The ResponseCode of a 200 answer (signature checked), or ``None`` and the reason given for an HTTP error."""
    if status != 200:
        return None, body[:300].decode("utf-8", "replace")
    try:
        root = parse(body, what="answer").getroot()
    except DccError as exc:
        return None, f"200 without a DUIS response: {exc}"
    code = root.findtext(f"{_SR}Header/{_SR}ResponseCode")
    check = verify(root, trust)
    if check.status is not SignatureStatus.VERIFIED:
        return None, f"response code {code} in a response whose signature is {check.summary()}"
    return code, f"signed {code}"


def run_case(
    case: Case,
    folder: Path,
    who: CorpusUsers,
    send: Send,
    dump: Callable[[], str],
    alive: Callable[[], bool],
    stream: SendStream | None = None,
) -> Outcome:
    """Send one case and judge the answer and the inventory (a streamed body through ``stream`` when given)."""
    prepared = prepare(case, folder, who)
    trust = who.pki.dsp_trust()
    if prepared.prime is not None:
        status, answer = send(prepared.method, prepared.path, prepared.headers, prepared.prime)
        first, detail = response_code(status, answer, trust)
        if first is None or first.startswith("E"):
            return Outcome(case, status, None, f"the first copy was not accepted: {detail}", False, alive())
    before = dump()
    try:
        if prepared.stream and stream is not None:
            status, answer = stream(prepared.method, prepared.path, prepared.headers, streamed(prepared.body))
        else:
            status, answer = send(prepared.method, prepared.path, prepared.headers, prepared.body)
    except Exception as exc:  # a transport failure is an outcome (the server may have died)
        return Outcome(case, None, None, f"{type(exc).__name__}: {exc}", before != dump(), alive())
    code, detail = response_code(status, answer, trust)
    return Outcome(case, status, code, detail, before != dump(), alive())


def run_corpus(
    folder: Path,
    who: CorpusUsers,
    send: Send,
    dump: Callable[[], str],
    alive: Callable[[], bool],
    stream: SendStream | None = None,
) -> list[Outcome]:
    """Every case of the corpus, in file order."""
    return [run_case(case, folder, who, send, dump, alive, stream) for case in load_corpus(folder)]


def markdown_table(cases: list[Case]) -> str:
    """The docs table: one row per case."""
    rows = ["| case | what is sent | answer |", "|---|---|---|"]
    for case in cases:
        what = case.what.replace("|", "\\|")
        rows.append(f"| `{case.id}` | {what} | {case.expected} |")
    return "\n".join(rows)


__all__ = [
    "FILLABLE",
    "FLOODS",
    "STREAM_CHUNK_BYTES",
    "STRANGER",
    "Case",
    "CorpusError",
    "CorpusUsers",
    "Outcome",
    "Prepared",
    "Send",
    "SendStream",
    "flood",
    "load_corpus",
    "markdown_table",
    "prepare",
    "response_code",
    "run_case",
    "run_corpus",
    "streamed",
]

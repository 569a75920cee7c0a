"""The hostile-input corpus (``fixtures/hostile/cases.yaml``): load it, make each case's bytes, send them to a
reference DCC, and check the answer and that the inventory did not change.

The runner is transport-neutral: it is given ``send(method, path, headers, body) -> (status, body)`` and
``dump() -> str`` (the inventory as SQL text), so the same corpus runs in process and against ``pytest-dcc serve``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

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


@dataclass(frozen=True, slots=True)
class Case:
    """One corpus entry."""

    id: str
    what: str
    expect_http: int | None
    expect_code: str | None
    recipe: Mapping[str, Any]
    changes_allowed: bool = False

    @property
    def expected(self) -> str:
        return f"HTTP {self.expect_http}" if self.expect_http is not None else f"DUIS {self.expect_code}"


@dataclass(frozen=True, slots=True)
class Prepared:
    """The bytes and HTTP details of one case, plus an earlier send it needs (a replay's first copy)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    prime: bytes | None = None


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
        sources = [k for k in ("file", "body", "build") if k in entry]
        if len(sources) != 1:
            raise CorpusError(f"case {case_id}: give exactly one of file, body, build (got {sources})")
        expect = entry.get("expect") or {}
        if len(expect) != 1 or not set(expect) <= {"http", "code"}:
            raise CorpusError(f"case {case_id}: expect is {{http: N}} or {{code: X}}, got {expect!r}")
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
    else:
        build = dict(recipe["build"])
        user = str(build.get("user", "IS"))
        srv = str(build["srv"])
        values = {**sample_values(srv), **dict(build.get("values") or {})}
        request = RequestBuilder(who.eui(user), who.counters).request(srv, cv=build.get("cv"), **values)
        path = str(send.get("path", request.path))
        counter = str(request.request_id.counter)
        for where, text in dict(recipe.get("edit") or {}).items():
            node = request.root.find(str(where), _NS)
            if node is None:
                raise CorpusError(f"case {case.id}: no element {where} in the built SRV {srv}")
            node.text = str(text).replace("{counter}", counter)
        signer = str(recipe.get("sign", "user"))
        if signer != "none":
            sign(request.root, who.identity_for(user if signer == "user" else signer, user))
        body = etree.tostring(request.root, xml_declaration=True, encoding="UTF-8")
        if "after_sign" in recipe:
            old, new = (str(x).encode() for x in recipe["after_sign"])
            if old not in body:
                raise CorpusError(f"case {case.id}: {old!r} is not in the signed request")
            body = body.replace(old, new)
        if recipe.get("pad_to_limit"):
            filler = who.max_bytes + 1 - len(body) - len(b"<!---->")
            body += b"<!--" + b" " * max(filler, 0) + b"-->"
        if recipe.get("replay"):
            prime = body
    headers = {"content-type": str(send.get("content_type", "application/xml"))}
    return Prepared(str(send.get("method", "POST")), path, headers, body, prime)


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
    case: Case, folder: Path, who: CorpusUsers, send: Send, dump: Callable[[], str], alive: Callable[[], bool]
) -> Outcome:
    """Send one case and judge the answer and the inventory."""
    prepared = prepare(case, folder, who)
    trust = who.pki.dsp_trust()
    if prepared.prime is not None:
        status, answer = send(prepared.method, prepared.path, prepared.headers, prepared.prime)
        first, detail = response_code(status, answer, trust)
        if first is None or first.startswith("E"):
            return Outcome(case, status, None, f"the first copy was not accepted: {detail}", False, alive())
    before = dump()
    try:
        status, answer = send(prepared.method, prepared.path, prepared.headers, prepared.body)
    except Exception as exc:  # a transport failure is an outcome (the server may have died)
        return Outcome(case, None, None, f"{type(exc).__name__}: {exc}", before != dump(), alive())
    code, detail = response_code(status, answer, trust)
    return Outcome(case, status, code, detail, before != dump(), alive())


def run_corpus(
    folder: Path, who: CorpusUsers, send: Send, dump: Callable[[], str], alive: Callable[[], bool]
) -> list[Outcome]:
    """Every case of the corpus, in file order."""
    return [run_case(case, folder, who, send, dump, alive) for case in load_corpus(folder)]


def markdown_table(cases: list[Case]) -> str:
    """The docs table: one row per case."""
    rows = ["| case | what is sent | answer |", "|---|---|---|"]
    for case in cases:
        what = case.what.replace("|", "\\|")
        rows.append(f"| `{case.id}` | {what} | {case.expected} |")
    return "\n".join(rows)


__all__ = [
    "STRANGER",
    "Case",
    "CorpusError",
    "CorpusUsers",
    "Outcome",
    "Prepared",
    "load_corpus",
    "markdown_table",
    "prepare",
    "response_code",
    "run_case",
    "run_corpus",
]

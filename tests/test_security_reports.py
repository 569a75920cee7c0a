"""Issue 24, items 3 (bounded decompression in ``verify-bundle``) and 5 (secrets out of reports), tried for real.

Secrets: whole runs through pytester against the reference served over HTTP on loopback, with a password in the
endpoint URL and credentials in ``--dcc-header``; then every file under the report folder, every member of the
bundle made from it, and the terminal output are searched for every form of each secret. The transport must still
send them. Archives: bombs of several shapes (members over the size limits, many members, a pax header asking for
hundreds of MiB, a stream of pax comments, a nested bomb, a zip bomb) and hostile names, each refused with an error
naming the archive and the limit, with peak memory measured.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import subprocess
import sys
import tarfile
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from pytest_dcc._resources import features_dir
from pytest_dcc.errors import ArchiveLimitError, ConfigError
from pytest_dcc.reporting import archive, bundle
from pytest_dcc.reporting.redaction import Redactor, redact_text, redact_url
from pytest_dcc.transport.receiver import ServerThread, free_port

pytest_plugins = ["pytester"]

MiB = 1024 * 1024
USER = "vendor-ci"
PASSWORD = "Hunter2%40dcc-7q"  # as written in the URL; the transport sends it decoded: Hunter2@dcc-7q
API_KEY = "k3y-8c1d5e0b-77aa"
TENANT_TOKEN = "tnt.eyJhbGciOi.Zm9vYmFy"  # a value behind a header name the redactor knows nothing about
BEARER = "zq9-Bearer-Token-4471"


def _forms(*secrets: str) -> list[str]:
    """Every form a secret could leak in: as given, URL-decoded, and the Basic credentials built from it."""
    found = set(secrets) | {unquote(s) for s in secrets}
    found.add(base64.b64encode(f"{USER}:{unquote(PASSWORD)}".encode()).decode())
    found.add(f"{USER}:{PASSWORD}")
    return sorted(found)


def _leaks(texts: dict[str, bytes], secrets: list[str]) -> list[str]:
    return [f"{where}: {s!r}" for where, data in texts.items() for s in secrets if s.encode() in data]


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _bundle_members(report_dir: Path, out: Path) -> dict[str, bytes]:
    bundle.make_bundle(report_dir, out)
    with tarfile.open(out, "r:gz") as tar:
        return {f"bundle:{m.name}": tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


# -- the redaction function itself -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:secret@dcc.example:8443/duis", "https://***@dcc.example:8443/duis"),
        ("http://tok3n@[::1]:8079", "http://***@[::1]:8079"),
        ("https://a%3Ab:p%40ss@h/x?api_key=zz9&v=2", "https://***@h/x?api_key=***&v=***"),
        ("https://dcc.example/duis", "https://dcc.example/duis"),
        ("in-process reference DCC", "in-process reference DCC"),
    ],
)
def test_a_url_is_shown_without_its_userinfo_or_query_values(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_text_loses_userinfo_credential_headers_and_the_settings_secrets() -> None:
    redactor = Redactor.of("https://ops:pa%24%24word-1@h:1/", [("X-Tenant", "Bearer abc123"), ("X-Debug", "1")])
    text = (
        "cannot reach https://ops:pa%24%24word-1@h:1/api/v1/serviceS; 'Authorization: Basic b3BzOnBhJCR3b3JkLTE=' "
        "proxy-authorization=Negotiate YII; tenant abc123 in pytest-dcc-abc123x; debug 1; pa$$word-1"
    )
    shown = redactor.text(text)
    for secret in ("pa%24%24word-1", "pa$$word-1", "b3BzOnBhJCR3b3JkLTE=", "Negotiate YII", " abc123 "):
        assert secret not in shown, (secret, shown)
    assert "https://***@h:1/api/v1/serviceS" in shown and "pytest-dcc-abc123x" in shown  # only whole words
    assert "debug 1" in shown  # a one-character value is redacted where recognisable only
    argv = ["pytest", "--dcc-endpoint", "https://ops:pa%24%24word-1@h:1/", "--dcc-header=X-Tenant: Bearer abc123"]
    assert redactor.argv(argv) == ["pytest", "--dcc-endpoint", "https://***@h:1/", "--dcc-header=X-Tenant: <redacted>"]
    assert redact_text("x" * 200_000 + "://" + "a" * 200_000).startswith("x")  # no catastrophic backtracking


# -- whole runs: nothing under the report folder, in the bundle or in the terminal carries a secret ---------------

LEAKY_CONFTEST = """
import logging
import pytest

@pytest.fixture(autouse=True)
def vendor_glue(request, dcc_settings):
    # Glue code that echoes what it was given: in a message, on stdout, in a log record, in its locals.
    if "response_lost" in request.node.name:
        settings = dcc_settings
        print(f"glue: talking to {settings.endpoint} with {settings.headers!r} ({settings!r})")
        logging.getLogger("vendor.glue").warning("glue: headers %r", dict(settings.headers))
        raise RuntimeError(f"vendor glue failed at {settings.endpoint} with {dict(settings.headers)}")
"""


class _Recording:
    """An ASGI wrapper that records the headers every request arrived with."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[tuple[str, dict[str, str]]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen.append((scope["path"], {k.decode().lower(): v.decode() for k, v in scope["headers"]}))
        await self.app(scope, receive, send)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ServerThread, _Recording, Path]]:
    from pytest_dcc.duis.pki import load_or_create_pki
    from pytest_dcc.reference.boxed import USERS
    from pytest_dcc.reference.server import make_app
    from pytest_dcc.reference.setup import build_reference

    pki = load_or_create_pki(tmp_path / "pki", [eui for eui, _ in USERS])
    recording = _Recording(make_app(build_reference(pki), test_control=True))
    with ServerThread(recording) as server:
        yield server, recording, tmp_path / "pki"


def _run(pytester: pytest.Pytester, endpoint: str, pki: Path, *extra: str) -> pytest.RunResult:
    feature = features_dir() / "clauses" / "join-unjoin.feature"
    pytester.makepyfile(test_suite=f"from pytest_bdd import scenarios\nscenarios({str(feature)!r})\n")
    return pytester.runpytest_subprocess(
        f"--dcc-endpoint={endpoint}", f"--dcc-pki={pki}", "--alluredir=reports/allure-results",
        "--junitxml=reports/junit.xml", "-p", "no:cacheprovider", "-rA", "-l", *extra,
    )  # fmt: skip


def _assert_nothing_carries(pytester: pytest.Pytester, result: pytest.RunResult, secrets: list[str]) -> dict[str, Any]:
    reports = pytester.path / "reports"
    texts = _files(reports)
    assert {"verdicts.json", "junit.xml", "clause-matrix.md", "clause-matrix.html"} <= set(texts), sorted(texts)
    assert any(n.endswith("environment.properties") for n in texts) and any(n.endswith("executor.json") for n in texts)
    texts |= _bundle_members(reports, pytester.path / "bundle.tar.gz")
    texts["terminal stdout"] = result.stdout.str().encode()
    texts["terminal stderr"] = result.stderr.str().encode()
    assert _leaks(texts, secrets) == []
    document: dict[str, Any] = json.loads(texts["verdicts.json"])
    return document


@pytest.mark.slow
def test_a_run_with_credentials_reports_none_of_them_and_still_sends_them(
    pytester: pytest.Pytester, served: tuple[ServerThread, _Recording, Path]
) -> None:
    server, recording, pki = served
    host = server.url.removeprefix("http://")
    pytester.makeconftest(LEAKY_CONFTEST)
    result = _run(
        pytester, f"http://{USER}:{PASSWORD}@{host}", pki,
        f"--dcc-header=X-Api-Key: {API_KEY}", f"--dcc-header=X-Tenant-Auth: Bearer {TENANT_TOKEN}",
    )  # fmt: skip
    document = _assert_nothing_carries(pytester, result, _forms(PASSWORD, API_KEY, TENANT_TOKEN))
    run = document["run"]
    assert run["endpoint"] == f"http://***@{host}"
    assert "--dcc-header=X-Tenant-Auth: <redacted>" in run["command_line"]
    verdicts = {s["verdict"] for s in document["scenarios"]}
    assert "PASS" in verdicts and "ERROR" in verdicts, verdicts  # the glue's error was recorded, without its secrets
    errors = [s["message"] for s in document["scenarios"] if s["verdict"] == "ERROR"]
    assert errors and all(f"http://***@{host}" in m and "<redacted>" in m for m in errors), errors
    result.stdout.fnmatch_lines([f"*pytest-dcc * endpoint http://***@{host}; SEC release*"])
    # The glue's output was captured and shown (-rA), scrubbed: its print, its log record, its traceback's locals.
    result.stdout.fnmatch_lines([f"*glue: talking to http://***@{host} with *<redacted>*"])
    result.stdout.fnmatch_lines(["*glue: headers {'X-Api-Key': '<redacted>', 'X-Tenant-Auth': '<redacted>'}*"])
    result.stdout.fnmatch_lines(["*settings * = DccSettings(endpoint='http://***@*"])
    steps = b"".join(v for k, v in _files(pytester.path / "reports").items() if k.endswith("-result.json"))
    assert f"POST http://{host}/api/v1/service".encode() in steps  # the transport's URL holds no credentials
    # The transport still sends every credential it was given.
    basic = "Basic " + base64.b64encode(f"{USER}:{unquote(PASSWORD)}".encode()).decode()
    duis = [headers for path, headers in recording.seen if path.startswith("/api/v1/")]
    assert duis and all(h.get("authorization") == basic and h.get("x-api-key") == API_KEY for h in duis)
    assert all(h.get("x-tenant-auth") == f"Bearer {TENANT_TOKEN}" for h in duis)


@pytest.mark.slow
def test_an_unreachable_endpoint_with_credentials_is_reported_without_them(pytester: pytest.Pytester) -> None:
    """The session check's message (the URL httpx could not reach), in every report and the terminal."""
    endpoint = f"https://{USER}:{PASSWORD}@127.0.0.1:{free_port()}/duis"
    result = _run(pytester, endpoint, pytester.path / "pki", f"--dcc-header=Authorization: Bearer {BEARER}")
    document = _assert_nothing_carries(pytester, result, _forms(PASSWORD, BEARER))
    verdicts = {s["verdict"] for s in document["scenarios"]}
    assert "ERROR" in verdicts and verdicts <= {"ERROR", "NOT_APPLICABLE"}, verdicts
    assert "Authorization: <redacted>" in " ".join(document["run"]["command_line"])
    result.stdout.fnmatch_lines(["*the endpoint under test does not answer*cannot reach https://127.0.0.1:*/duis*"])


_ECHOING_FEATURE = """
Feature: an endpoint that echoes what it was sent
  Scenario: its refusal quotes the request's headers
    Then the endpoint's refusal is judged
"""
_ECHOING_STEPS = """
from pytest_bdd import scenarios, then
from pytest_dcc.errors import EndpointAssertion, HttpStatusError

scenarios("echoing.feature")


@then("the endpoint's refusal is judged")
def _judged(dcc_settings):
    echoed = dict(dcc_settings.headers)  # an endpoint (or a gateway) that echoes the headers in its refusal
    try:
        raise HttpStatusError(f"HTTP 401: you sent {echoed}", 401)
    except HttpStatusError as exc:
        raise EndpointAssertion(f"the refusal of {echoed} names no E-code") from exc
"""


def test_an_exception_message_that_carries_a_secret_reaches_no_allure_result(pytester: pytest.Pytester) -> None:
    """allure-pytest-bdd takes a failure's message and trace from the exception itself (the scenario's and the
    step's status details), not from pytest's report, which the recorder scrubs: they are scrubbed too."""
    pytester.makefile(".feature", echoing=_ECHOING_FEATURE)
    pytester.makepyfile(test_echoing=_ECHOING_STEPS)
    result = pytester.runpytest(
        f"--dcc-header=X-Api-Key: {API_KEY}", "--alluredir=reports/allure-results", "-p", "no:cacheprovider",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    results = _files(pytester.path / "reports" / "allure-results")
    steps = [json.loads(v) for k, v in results.items() if k.endswith("-result.json")]
    assert [r["status"] for r in steps] == ["failed"] and "<redacted>" in steps[0]["statusDetails"]["message"]
    assert _leaks({**results, "terminal": result.stdout.str().encode()}, [API_KEY]) == []


def test_usage_errors_and_the_settings_repr_hide_credentials(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(dcc_settings):\n    assert repr(dcc_settings) == ''\n")
    result = pytester.runpytest(f"--dcc-endpoint=ftp://{USER}:{PASSWORD}@h/", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR and PASSWORD not in result.stderr.str()
    result.stderr.fnmatch_lines(["*--dcc-endpoint must be an http:// or https:// URL, given: ftp://***@h/*"])
    result = pytester.runpytest(f"--dcc-header=Authorization Bearer {BEARER}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR and BEARER not in result.stderr.str()
    result = pytester.runpytest(
        f"--dcc-endpoint=https://{USER}:{PASSWORD}@dcc.example/", f"--dcc-header=X-Api-Key: {API_KEY}",
        "-p", "no:cacheprovider",
    )  # fmt: skip
    text = result.stdout.str()
    assert "X-Api-Key: <redacted>" in text and "https://***@dcc.example" in text  # the failing assert's repr
    assert _leaks({"terminal": text.encode()}, _forms(PASSWORD, API_KEY)) == []


def test_the_transport_shows_no_credentials_in_its_urls_or_errors() -> None:
    from pytest_dcc.errors import SessionCheckError
    from pytest_dcc.transport.http import HttpTransport

    port = free_port()
    transport = HttpTransport(f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/x", None)  # type: ignore[arg-type]
    with transport, pytest.raises(SessionCheckError) as raised:
        transport.probe(grace_s=0)
    assert transport.base_url == f"http://127.0.0.1:{port}/x"
    assert PASSWORD not in str(raised.value) and USER not in str(raised.value)
    with pytest.raises(ConfigError) as refused:
        HttpTransport(f"ftp://{USER}:{PASSWORD}@h/", None)  # type: ignore[arg-type]
    assert PASSWORD not in str(refused.value)


# -- bounded archives --------------------------------------------------------------------------------------------

ZERO_MIB = gzip.compress(b"\0" * MiB, 9)  # concatenated gzip members decompress to one stream: N MiB for N KiB


def _header(info: tarfile.TarInfo, fmt: int = tarfile.GNU_FORMAT) -> bytes:
    return gzip.compress(info.tobuf(fmt, "utf-8", "surrogateescape"))


def _bomb(path: Path, members: list[tuple[tarfile.TarInfo, int]], fmt: int = tarfile.GNU_FORMAT) -> Path:
    """A .tar.gz of ``members`` (their data: that many MiB of zeros), a few KiB on disk whatever they declare."""
    with path.open("wb") as out:
        for info, mib in members:
            info.size = mib * MiB
            out.write(_header(info, fmt))
            out.write(ZERO_MIB * mib)
        out.write(gzip.compress(b"\0" * 1024))
    return path


def _file(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)


def _pax_giant(path: Path) -> Path:
    """One pax extended header whose data declares 300 MiB: tarfile reads it whole before any member."""
    info = tarfile.TarInfo("././@PaxHeader")
    info.type, info.size = tarfile.XHDTYPE, 300 * MiB
    with path.open("wb") as out:
        out.write(gzip.compress(info.tobuf(tarfile.USTAR_FORMAT)) + ZERO_MIB * 300 + gzip.compress(b"\0" * 1024))
    return path


def _pax_comments(path: Path) -> Path:
    """700 members, each behind a pax header holding a 1 MiB comment: no read is large, but tarfile keeps every
    comment with its member (700 MiB)."""
    comment = "c" * (MiB - 64)
    with path.open("wb") as out:
        for n in range(700):
            info = tarfile.TarInfo(f"allure-results/{n}")
            info.pax_headers = {"comment": comment}
            out.write(gzip.compress(info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"), 1))
        out.write(gzip.compress(b"\0" * 1024))
    return path


def _many(path: Path) -> Path:
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for n in range(archive.MAX_MEMBERS + 5):
            tar.addfile(tarfile.TarInfo(f"allure-results/{n}-attachment.txt"), io.BytesIO(b""))
    return path


BOMBS: dict[str, tuple[Callable[[Path], Path], str]] = {
    # three 200 MiB members: each under the 256 MiB the reader allowed before, read whole one after another
    "members of 200 MiB": (lambda p: _bomb(p, [(_file(f"m{n}"), 200) for n in range(3)]), "declares 209715200 bytes"),
    # ten 60 MiB members, each under the member limit: their sum is not
    "600 MiB in all": (lambda p: _bomb(p, [(_file(f"m{n}"), 60) for n in range(10)]), "more than 536870912 bytes"),
    "more members than the limit": (_many, f"more than {archive.MAX_MEMBERS} members"),
    "a 300 MiB pax header": (_pax_giant, f"over the {archive.MAX_HEADER_READ}-byte limit"),
    "700 pax comments of 1 MiB": (_pax_comments, "decompresses to more than"),
    "a kept document of 20 MiB": (lambda p: _bomb(p, [(_file("verdicts.json"), 20)]), "(the limit: 16777216)"),
}


@pytest.mark.slow
@pytest.mark.parametrize("shape", list(BOMBS))
def test_a_bomb_is_refused_with_small_memory_naming_the_archive_and_the_limit(shape: str, tmp_path: Path) -> None:
    make, limit = BOMBS[shape]
    path = make(tmp_path / "bundle.tar.gz")
    assert path.stat().st_size < 4 * MiB
    tracemalloc.start()
    try:
        with pytest.raises(ArchiveLimitError) as refused:
            bundle.verify(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(refused.value) and limit in str(refused.value), str(refused.value)
    assert peak < 24 * MiB, f"{shape}: peak {peak / MiB:.1f} MiB"


def _tar(path: Path, *members: tuple[tarfile.TarInfo, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return path


def _typed(name: str, kind: bytes, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


HOSTILE_NAMES = {
    "parent": [(_file("../verdicts.json"), b"{}")],
    "deep parent": [(_file("allure-results/../../etc/cron.d/x"), b"x")],
    "absolute": [(_file("/etc/passwd"), b"x")],
    "backslash parent": [(_file("..\\..\\verdicts.json"), b"{}")],
    "drive letter": [(_file("C:/Windows/x.json"), b"{}")],
    "non-canonical": [(_file("./verdicts.json"), b"{}")],
    "double slash": [(_file("allure-results//x.json"), b"{}")],
    "control character": [(_file("verdicts.json\n"), b"{}")],
    "twice the same name": [(_file("verdicts.json"), b"{}"), (_file("verdicts.json"), b'{"run": {}}')],
    "symlink": [(_typed("verdicts.json", tarfile.SYMTYPE, "/etc/passwd"), b"")],
    "hard link": [(_file("a"), b"x"), (_typed("verdicts.json", tarfile.LNKTYPE, "a"), b"")],
    "folder": [(_typed("allure-results", tarfile.DIRTYPE), b"")],
    "fifo": [(_typed("verdicts.json", tarfile.FIFOTYPE), b"")],
    "device": [(_typed("verdicts.json", tarfile.CHRTYPE), b"")],
    "long name": [(_file("a/" * 600 + "x"), b"")],
}


@pytest.mark.parametrize("case", list(HOSTILE_NAMES))
def test_a_member_that_is_not_a_plain_relative_file_is_refused(case: str, tmp_path: Path) -> None:
    path = _tar(tmp_path / "bundle.tar.gz", *HOSTILE_NAMES[case])
    with pytest.raises(ArchiveLimitError, match="is not a plain relative file") as refused:
        bundle.verify(path)
    assert str(path) in str(refused.value)


def test_a_nested_bomb_is_hashed_never_opened_and_a_zip_is_refused_unread(tmp_path: Path) -> None:
    nested = _bomb(tmp_path / "inner.tar.gz", [(_file(f"m{n}"), 200) for n in range(4)]).read_bytes()
    outer = _tar(tmp_path / "bundle.tar.gz", (_file("allure-results/evidence.tar.gz"), nested))
    tracemalloc.start()
    try:
        checked = bundle.verify(outer)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not checked.ok and "allure-results/evidence.tar.gz is in the archive but not in the manifest" in str(
        checked.problems
    )
    assert peak < 8 * MiB, peak
    zipped = tmp_path / "bundle.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z, z.open("verdicts.json", "w") as member:
        for _ in range(64):
            member.write(b"\0" * MiB)
    with pytest.raises(ConfigError, match=r"not gzip-compressed \(a zip archive\)"):
        bundle.verify(zipped)
    with pytest.raises(ConfigError, match="not a regular file"):
        bundle.verify(tmp_path)


def test_a_json_document_of_too_many_values_is_not_parsed(tmp_path: Path) -> None:
    document = b"[" + b"[]," * 400_000 + b"[]]"
    path = _tar(tmp_path / "bundle.tar.gz", (_file("verdicts.json"), document), (_file("manifest.json"), b"{}"))
    problems = bundle.verify(path).problems
    assert f"verdicts.json holds more than {bundle.MAX_JSON_VALUES} JSON values (the limit); not read" in problems


def test_verify_bundle_on_the_command_line_refuses_a_bomb_in_bounded_memory(tmp_path: Path) -> None:
    """``dcc-conformance verify-bundle`` in its own process: exit 2, the archive and the limit named, and a peak
    resident size far below what the bomb holds (1.2 GiB)."""
    path = _bomb(tmp_path / "zeros.tar.gz", [(_file(f"allure-results/{n}.json"), 200) for n in range(6)])
    code = (  # VmHWM is this process's own peak (ru_maxrss keeps the parent's across fork and exec)
        "import re, sys\n"
        "from pytest_dcc.commands.conformance import conformance\n"
        f"status = conformance(['verify-bundle', {str(path)!r}])\n"
        "status_text = open('/proc/self/status').read()\n"
        "print('peak', re.search(r'VmHWM:\\s*(\\d+)', status_text).group(1))\n"
        "sys.exit(status)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"verify-bundle: error: {path}: refused" in done.stderr and "the limit" in done.stderr
    peak_kib = int(done.stdout.split("peak")[1])
    assert peak_kib < 200 * 1024, f"{peak_kib / 1024:.0f} MiB"


def test_a_real_bundle_still_verifies_member_by_member(tmp_path: Path) -> None:
    """The bounded reader hashes what the bundler wrote: an untouched bundle has no manifest problem."""
    reports = tmp_path / "reports"
    (reports / "allure-results").mkdir(parents=True)
    (reports / "verdicts.json").write_text(json.dumps({"run": {"mode": "development"}, "scenarios": []}))
    (reports / "test-list.json").write_text("{}")
    for n in range(50):
        (reports / "allure-results" / f"{n}-attachment.xml").write_bytes(bytes(range(256)) * n)
    checked = bundle.verify(bundle.make_bundle(reports, tmp_path / "b.tar.gz"))
    assert not any("manifest" in p for p in checked.problems), checked.problems
    assert "53 files in the manifest" in checked.report()  # the members and suite.json


def test_a_secret_cut_short_by_a_preview_is_still_hidden() -> None:
    """An answer body echoing a token is shown to 200 characters before the report scrubs it: the head of the token
    that survives the cut (any run of 8 or more of its leading characters) is hidden too."""
    from pytest_dcc.reporting.redaction import REDACTED, Redactor

    token = "s3cr3tTOKENabcdefghijklmnopqrstuvwxyz0123456789"
    redactor = Redactor.of("https://u:pw-longer-one@host/", [("Authorization", f"Bearer {token}")])
    for cut in (8, 9, 30, len(token) - 1):
        preview = f"HTTP 500 from /api/v1/serviceS: 'echo {token[:cut]}...'"
        shown = redactor.text(preview)
        assert token[:8] not in shown and REDACTED in shown, shown
    assert redactor.text("pw-longe") == REDACTED
    assert redactor.text("an ordinary s3cr3tT answer") == "an ordinary s3cr3tT answer"  # 7 characters: too short


def test_allure_evidence_hides_the_runs_own_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The allure steps and attachments are scrubbed with the run's redactor: a secret the settings hold in a query
    key no pattern knows (``?code=``) is hidden too, not only the shapes of credentials."""
    import contextlib

    from pytest_dcc.reporting import allure as evidence_module
    from pytest_dcc.reporting.redaction import Redactor

    shown: list[str] = []
    monkeypatch.setattr(evidence_module.allure, "step", lambda text: shown.append(text) or contextlib.nullcontext())
    redactor = Redactor.of("https://dcc.example/duis?code=S3cretValue123", [("X-Gateway-Key", "gw-key-0123456789")])
    evidence = evidence_module.AllureEvidence(redactor)
    evidence.note("cannot reach https://dcc.example/duis?code=S3cretValue123/x; gateway said gw-key-0123456789")
    assert shown and "S3cretValue123" not in shown[0] and "gw-key-0123456789" not in shown[0], shown

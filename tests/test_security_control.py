"""Test control answers the local user only (issue 24, item 4).

A web page the user browses while ``pytest-dcc serve`` runs can make the browser send requests to the loopback
port: "simple" cross-origin POSTs (text/plain, form, multipart, a body of no type), fetches with an Origin (``null``
from a sandboxed frame or a file), and, after DNS rebinding, requests for the page's own name that reach
127.0.0.1. Each one is tried here for real, in process (the ASGI app) and over HTTP (uvicorn on loopback, and the
``pytest-dcc serve`` command), carrying the server's real token where the check under test is another one (so
only that check stands between the attack and the state); after each, the delivery address, the inventory and
every certificate (the whole store) are as they were. The suite's own client still works, with no option.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
import stat
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from pytest_dcc.drivers.control_over_http import TestControlDriver
from pytest_dcc.duis.control_api import MAX_VIEW_DEVICES
from pytest_dcc.duis.control_token import read_token, token_file, token_matches, write_token
from pytest_dcc.duis.pki import self_signed_certificate
from pytest_dcc.errors import ConfigError, HttpStatusError
from pytest_dcc.reference.control_http import MAX_CONTROL_BYTES
from pytest_dcc.reference.server import Deliveries, make_app
from pytest_dcc.transport.receiver import ServerThread, free_port
from qa.serve import ServeProcess
from tests.reference_harness import ESME, IS, Harness

TOKEN = secrets.token_urlsafe(32)
JSON = "application/json"
EVIL_URL = "http://203.0.113.7:8090/steal"


def _forged_supplier_certificate() -> str:
    """A certificate an attacker would put in place of the supplier's (hex, as an inventory document gives it)."""
    cert = self_signed_certificate("137", IS)
    return cert.public_bytes(serialization.Encoding.DER).hex()


@dataclass
class Attack:
    """One browser-shaped request: what a page can make the browser send (``{port}`` filled in per server)."""

    name: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    status: int = 403
    token: str | None = "own"  # "own": the server's real token; None: none; else this one

    def request_headers(self, port: int, own: str, other: str) -> dict[str, str]:
        headers = {k: v.format(port=port, other=port + 1) for k, v in self.headers.items()}
        token = {"own": own, "other": other}.get(self.token or "", self.token)
        if token is not None and "authorization" not in headers:
            headers["authorization"] = f"Bearer {token}"
        return headers


RETARGET = b'{"url": "' + EVIL_URL.encode() + b'"}'
RESET = b"{}"
VIEWS = b'{"devices": ["' + ESME.encode() + b'"], "smki": true}'


def _cert_swap() -> bytes:
    return (
        b'{"users": [{"eui": "'
        + IS.encode()
        + b'", "role": "IS", "certificate": "%s"}]}' % (_forged_supplier_certificate().encode())
    )


ATTACKS = [
    # CORS "simple" requests: no preflight, so the browser sends them as they are.
    Attack("text-plain", "POST", "/response-url", {"content-type": "text/plain;charset=UTF-8"}, RETARGET, 415),
    Attack("form", "POST", "/inventory", {"content-type": "application/x-www-form-urlencoded"}, b"CERT", 415),
    Attack(
        "multipart",
        "POST",
        "/reset",
        {"content-type": "multipart/form-data; boundary=zz"},
        b'--zz\r\nContent-Disposition: form-data; name="a"\r\n\r\n{}\r\n--zz--\r\n',
        415,
    ),
    Attack("blob-without-type", "POST", "/response-url", {}, RETARGET, 415),
    Attack("text-json", "POST", "/inventory", {"content-type": "text/json"}, b"CERT", 415),
    Attack("text-plain-batched-read", "POST", "/device-views", {"content-type": "text/plain"}, VIEWS, 415),
    Attack(
        "text-plain-on-a-bodyless-call",
        "POST",
        "/devices/" + ESME + "/certificates",
        {"content-type": "text/plain"},
        b"",
        415,
    ),
    # A fetch from a page: every cross-origin one carries an Origin.
    Attack("foreign-origin", "POST", "/reset", {"content-type": JSON, "origin": "http://evil.example"}, RESET),
    Attack("null-origin", "POST", "/inventory", {"content-type": JSON, "origin": "null"}, b"CERT"),
    Attack(
        "origin-of-another-local-port",
        "POST",
        "/response-url",
        {"content-type": JSON, "origin": "http://localhost:{other}"},
        RETARGET,
    ),
    Attack("origin-like-its-own", "POST", "/devices/" + ESME + "/certificates", {"origin": "http://127.0.0.1:{port}"}),
    Attack("origin-on-a-read", "GET", "/devices/" + ESME, {"origin": "https://attacker.test"}),
    Attack("origin-on-a-batched-read", "POST", "/device-views", {"content-type": JSON, "origin": "null"}, VIEWS),
    Attack("cross-site-fetch", "GET", "/outbox", {"sec-fetch-site": "cross-site"}),
    Attack("same-site-fetch", "POST", "/reset", {"content-type": JSON, "sec-fetch-site": "same-site"}, RESET),
    # DNS rebinding: the page's own name now resolves to 127.0.0.1; the browser sends that name.
    Attack(
        "rebound-name", "POST", "/response-url", {"content-type": JSON, "host": "rebind.attacker.test:{port}"}, RETARGET
    ),
    Attack("rebound-name-default-port", "POST", "/reset", {"content-type": JSON, "host": "attacker.test"}, RESET),
    Attack("rebound-ip-name", "POST", "/inventory", {"content-type": JSON, "host": "127.0.0.1.nip.io:{port}"}, b"CERT"),
    Attack("right-name-wrong-port", "POST", "/reset", {"content-type": JSON, "host": "localhost:{other}"}, RESET),
    Attack(
        "right-address-wrong-port", "POST", "/inventory", {"content-type": JSON, "host": "127.0.0.1:{other}"}, b"CERT"
    ),
    Attack("ipv6-loopback-wrong-port", "GET", "/outbox", {"host": "[::1]:{other}"}),
    Attack("rebound-batched-read", "POST", "/device-views", {"content-type": JSON, "host": "attacker.test"}, VIEWS),
    Attack("address-without-port", "POST", "/response-url", {"content-type": JSON, "host": "127.0.0.1"}, RETARGET),
    # The token: without, wrong, another server's, in the wrong scheme or place.
    Attack("no-token", "POST", "/reset", {"content-type": JSON}, RESET, 401, None),
    Attack("no-token-read", "GET", "/devices/" + ESME, {}, b"", 401, None),
    Attack("no-token-batched-read", "POST", "/device-views", {"content-type": JSON}, VIEWS, 401, None),
    Attack("wrong-token", "POST", "/response-url", {"content-type": JSON}, RETARGET, 401, secrets.token_urlsafe(32)),
    Attack("other-servers-token", "POST", "/inventory", {"content-type": JSON}, b"CERT", 401, "other"),
    Attack("token-prefix", "POST", "/reset", {"content-type": JSON}, RESET, 401, TOKEN[:20]),
    Attack("token-as-basic", "POST", "/reset", {"content-type": JSON, "authorization": f"Basic {TOKEN}"}, RESET, 401),
    Attack("empty-bearer", "POST", "/reset", {"content-type": JSON, "authorization": "Bearer"}, RESET, 401),
]


def _body(attack: Attack) -> bytes:
    return _cert_swap() if attack.body == b"CERT" else attack.body


@dataclass
class Target:
    """A reference DCC with test control and its token, reached in process or over HTTP."""

    harness: Harness
    deliveries: Deliveries
    app: Any
    port: int
    token: str
    other_token: str
    url: str = ""

    def snapshot(self) -> tuple[str, str | None, Any]:
        """The whole store (inventory, SMI, SMKI repository: every certificate), the delivery address, the latency."""
        latency = self.deliveries.latency
        return self.harness.dcc.inventory.dump(), self.deliveries.url, (latency.answer_s, latency.device_s)

    def send(self, mode: str, method: str, path: str, headers: dict[str, str], body: bytes) -> httpx.Response:
        if mode == "http":
            with httpx.Client(base_url=self.url, timeout=10) as client:
                return client.request(method, "/test-control" + path, headers=headers, content=body or None)
        return asyncio.run(self._send_in_process(method, path, headers, body))

    async def _send_in_process(self, method: str, path: str, headers: dict[str, str], body: bytes) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app, client=("127.0.0.1", 50123))
        async with httpx.AsyncClient(transport=transport, base_url=f"http://127.0.0.1:{self.port}") as client:
            return await client.request(method, "/test-control" + path, headers=headers, content=body or None)


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    harness = Harness()
    deliveries = Deliveries(harness.dcc)
    app = make_app(harness.dcc, test_control=True, deliveries=deliveries, control_token=TOKEN)
    with ServerThread(app) as server:
        yield Target(harness, deliveries, app, server.port, TOKEN, secrets.token_urlsafe(32), server.url)
    deliveries.close()


@pytest.mark.parametrize("mode", ["in-process", "http"])
@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_a_browser_shaped_request_changes_nothing(target: Target, attack: Attack, mode: str) -> None:
    before = target.snapshot()
    headers = attack.request_headers(target.port, target.token, target.other_token)
    reply = target.send(mode, attack.method, attack.path, headers, _body(attack))
    assert reply.status_code == attack.status, reply.text
    assert "test control" in reply.text and reply.headers["content-type"].startswith("text/plain")  # a reason only
    if attack.status == 401:
        assert reply.headers["www-authenticate"].startswith("Bearer")
    assert target.snapshot() == before


@pytest.mark.parametrize("mode", ["in-process", "http"])
def test_the_local_user_with_the_token_is_served(target: Target, mode: str) -> None:
    """What the checks let through: each loopback name on the served port, JSON with a charset, the scheme in any
    case; and the call really acts (so the refusals above are not a server that refuses everything)."""
    own = {"authorization": f"Bearer {target.token}"}
    for host in (
        f"127.0.0.1:{target.port}",
        f"localhost:{target.port}",
        f"LocalHost:{target.port}",
        f"[::1]:{target.port}",
    ):
        reply = target.send(mode, "GET", f"/devices/{ESME}", {**own, "host": host}, b"")
        assert reply.status_code == 200, (host, reply.text)
    lower = {"authorization": f"bearer {target.token}", "sec-fetch-site": "none"}
    assert target.send(mode, "GET", "/outbox", lower, b"").status_code == 200
    body = b'{"answer_s": 0.01}'
    json_utf8 = {**own, "content-type": "application/json; charset=utf-8"}
    assert target.send(mode, "POST", "/latency", json_utf8, body).status_code == 200
    assert target.deliveries.latency.answer_s == 0.01
    assert target.send(mode, "POST", "/latency", {**own, "content-type": JSON}, b'{"answer_s": 0}').status_code == 200


def _views(*devices: object, **more: object) -> bytes:
    return json.dumps({"devices": list(devices), "smki": True, **more}).encode()


_SPARE = [f"00-DB-12-34-56-79-00-{i:02X}" for i in range(MAX_VIEW_DEVICES)]
BAD_VIEWS = {
    "too-many": _views(ESME, *_SPARE),
    "none": _views(),
    "not-an-eui": _views("00-DB-12-34-56-78-90"),
    "a-number": _views(123),
    "a-string-not-a-list": json.dumps({"devices": ESME}).encode(),
    "missing": b'{"smki": true}',
    "smki-not-a-boolean": json.dumps({"devices": [ESME], "smki": "yes"}).encode(),
    "another-key": _views(ESME, sql="1"),
    "a-list": json.dumps([ESME]).encode(),
}


@pytest.mark.parametrize("mode", ["in-process", "http"])
def test_the_batched_read_bounds_its_input_and_answers_within_them(target: Target, mode: str) -> None:
    """``device-views`` takes 1 to MAX_VIEW_DEVICES EUI-64 strings and a boolean, nothing else (400 naming what is
    wrong, nothing read); within the bounds it answers every device in order, an unknown one as ``null``."""
    own = {"authorization": f"Bearer {target.token}", "content-type": JSON}
    for case, body in BAD_VIEWS.items():
        reply = target.send(mode, "POST", "/device-views", own, body)
        assert reply.status_code == 400 and "EUI-64" in reply.text, (case, reply.text)
    most = [ESME.lower(), *_SPARE[1:]]
    reply = target.send(mode, "POST", "/device-views", own, _views(*most))
    assert reply.status_code == 200, reply.text[:200]
    answers = reply.json()["devices"]
    assert len(answers) == MAX_VIEW_DEVICES and all(a == {"view": None} for a in answers[1:])
    assert answers[0]["view"]["smi"]["eui"] == ESME and {"serial", "usage", "status"} == set(answers[0]["smki"][0])


def test_a_body_over_the_limit_is_refused_before_it_is_sent_whole(target: Target) -> None:
    """413 while the client is still sending: declared (1 GiB) and streamed without a length (chunked); without
    the token, 401 before a byte of the body is read."""
    declared = _raw(target.port, target.token, "Content-Length: 1073741824", b"{" + b" " * 65536)
    assert declared.startswith(b"HTTP/1.1 413"), declared[:200]
    assert _raw(target.port, None, "Content-Length: 1073741824", b"{").startswith(b"HTTP/1.1 401")
    chunk = b" " * (1 << 20)
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(MAX_CONTROL_BYTES // len(chunk) + 2))
    streamed = _raw(target.port, target.token, "Transfer-Encoding: chunked", chunks)  # no last chunk: never ends
    assert streamed.startswith(b"HTTP/1.1 413"), streamed[:200]


def _raw(port: int, token: str | None, length: str, body: bytes) -> bytes:
    """Send a request head and ``body`` (not the rest it announces) and read the answer within 5 s."""
    head = f"POST /test-control/inventory HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {JSON}\r\n{length}\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head.encode() + b"\r\n")
        with contextlib.suppress(OSError):  # the server answered and closed while the body was on its way
            sock.sendall(body)
        try:
            return sock.recv(4096)
        except TimeoutError:
            return b"(no answer in 5 s: the server waits for the whole body)"


def test_a_body_over_the_limit_is_refused_in_process(target: Target) -> None:
    async def endless() -> AsyncIterator[bytes]:
        for _ in range(MAX_CONTROL_BYTES // 65536 + 8):
            yield b" " * 65536

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=target.app, client=("127.0.0.1", 50123))
        async with httpx.AsyncClient(transport=transport, base_url=f"http://127.0.0.1:{target.port}") as client:
            headers = {"authorization": f"Bearer {target.token}", "content-type": JSON}
            return await client.post("/test-control/inventory", headers=headers, content=endless())

    before = target.snapshot()
    assert asyncio.run(send()).status_code == 413
    assert target.snapshot() == before


def test_the_token_file_is_read_only_for_loopback_and_never_through_a_link(tmp_path: Path) -> None:
    state, elsewhere = tmp_path / "state", tmp_path / "older"
    path = write_token(state, 8079, TOKEN)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(state.stat().st_mode) == 0o700
    for url in ("http://127.0.0.1:8079", "http://localhost:8079/", "https://[::1]:8079"):
        assert read_token([state], url) == TOKEN, url
    for url in ("http://dcc.example:8079", "http://10.0.0.8:8079", "http://127.0.0.1:8080", "http://127.0.0.1"):
        assert read_token([state], url) is None, url  # another host, another server: the token stays here
    write_token(elsewhere, 8079, "an-older-token-of-this-port")
    os.utime(token_file(elsewhere, 8079), (time.time() - 60, time.time() - 60))
    assert read_token([elsewhere, state], "http://127.0.0.1:8079") == TOKEN  # the newest file of the port
    token_file(state, 8079).unlink()
    token_file(state, 8079).symlink_to(tmp_path / "planted")
    (tmp_path / "planted").write_text("x" * 43)
    with pytest.raises(ConfigError, match=r"link|cannot read"):
        read_token([state], "http://127.0.0.1:8079")
    with pytest.raises(ConfigError, match="symbolic link"):
        write_token(state, 8079, TOKEN)
    assert (tmp_path / "planted").read_text() == "x" * 43
    token_file(state, 8079).unlink()
    write_token(state, 8079, "no good: spaces and a colon")
    with pytest.raises(ConfigError, match="does not hold a test-control token"):
        read_token([state], "http://127.0.0.1:8079")
    assert token_matches(f"Bearer {TOKEN}", TOKEN) and not token_matches(f"Bearer {TOKEN}x", TOKEN)
    assert not token_matches(None, TOKEN) and not token_matches(TOKEN, TOKEN)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServeProcess, Path]]:
    """``pytest-dcc serve`` with its defaults but a state folder of its own."""
    folder = tmp_path_factory.mktemp("serve")
    state = folder / "state"
    env = {**os.environ, "PYTEST_DCC_STATE": str(state)}
    with ServeProcess(["--log-level", "info"], folder / "serve.log", env=env) as server:
        yield server, state
    assert not token_file(state, server.port).exists()  # removed when it stopped


def test_serve_writes_its_token_privately_and_says_where(served: tuple[ServeProcess, Path]) -> None:
    server, state = served
    path = token_file(state, server.port)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(state.stat().st_mode) == 0o700
    assert f"test-control token: {path}" in server.output()
    assert read_token([state], server.url) is not None


@pytest.mark.parametrize(
    "attack",
    [
        a
        for a in ATTACKS
        if a.name
        in {
            "text-plain",
            "form",
            "null-origin",
            "rebound-name",
            "right-name-wrong-port",
            "no-token",
            "wrong-token",
            "other-servers-token",
        }
    ],
    ids=lambda a: a.name,
)
def test_serve_refuses_a_browser_shaped_request(
    served: tuple[ServeProcess, Path], target: Target, attack: Attack
) -> None:
    """Over ``pytest-dcc serve`` itself: refused, and nothing changed (read back through the suite's own client)."""
    server, state = served
    own = read_token([state], server.url)
    assert own is not None
    with httpx.Client(timeout=10) as http:
        driver = TestControlDriver.probe(server.url, http, [state])
        assert driver is not None
        before = (driver.device_view(ESME), server.health()["response_url"], driver.smki(IS))
        headers = attack.request_headers(server.port, own, target.token)  # another server's: the in-thread one
        reply = http.request(
            attack.method, f"{server.url}/test-control{attack.path}", headers=headers, content=_body(attack) or None
        )
        assert reply.status_code == attack.status, reply.text
        assert (driver.device_view(ESME), server.health()["response_url"], driver.smki(IS)) == before


def test_the_suites_client_works_with_no_option_and_says_why_without_the_token(
    served: tuple[ServeProcess, Path], tmp_path: Path
) -> None:
    server, state = served
    with httpx.Client(timeout=10) as http:
        driver = TestControlDriver.probe(server.url, http, [state])
        assert driver is not None
        assert driver.register_receiver("http://127.0.0.1:9/") is None
        assert driver.register_receiver(None) == "http://127.0.0.1:9/"
        driver.set_status(ESME, "Pending")
        assert driver.device_view(ESME).smi.status == "Pending"
        lost = TestControlDriver.probe(server.url, http, [tmp_path / "another-state-folder"])
        assert lost is not None
        with pytest.raises(HttpStatusError, match=r"HTTP 401: the server needs a token; none found at .*another-state"):
            lost.reset()
        assert driver.device_view(ESME).smi.status == "Pending"  # the refused reset reset nothing
        driver.set_status(ESME, "Commissioned")


def test_serve_refuses_to_write_its_token_through_a_planted_link(tmp_path: Path) -> None:
    state, port = tmp_path / "state", free_port()
    state.mkdir(mode=0o700)
    target = tmp_path / "elsewhere.txt"
    target.write_text("precious")
    token_file(state, port).symlink_to(target)
    env = {**os.environ, "PYTEST_DCC_STATE": str(state)}
    server = ServeProcess(["--pki", str(tmp_path / "pki")], tmp_path / "serve.log", port=port, env=env, startup_s=20)
    with pytest.raises(AssertionError, match="exited"):
        server.start()
    assert "symbolic link" in server.output()
    assert target.read_text() == "precious" and token_file(state, port).is_symlink()


def test_health_never_shows_the_delivery_addresss_credentials() -> None:
    """/health is readable by any page after DNS rebinding: the delivery address it names keeps its host, port and
    path (the suite probes it) but never its userinfo or query values."""
    import logging

    from pytest_dcc.reference.deliveries import Deliveries
    from tests.reference_harness import Harness

    h = Harness(sink=False)
    try:
        deliveries = Deliveries(h.dcc)
        records: list[logging.LogRecord] = []
        handler = logging.Handler()
        handler.emit = records.append  # type: ignore[method-assign]
        logger = logging.getLogger("pytest_dcc")
        logger.addHandler(handler)
        old_level = logger.level
        logger.setLevel(logging.INFO)
        try:
            deliveries.set_url("http://deliv:hunter2SECRET@127.0.0.1:9/recv?key=qSECRET")
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
        shown = deliveries.health()["response_url"]
        assert shown.startswith("http://") and "127.0.0.1:9/recv" in shown
        assert "SECRET" not in shown
        assert not any("SECRET" in r.getMessage() for r in records), [r.getMessage() for r in records]
        deliveries.set_url(None)
    finally:
        h.dcc.inventory.close()


@pytest.mark.parametrize("mode", ["in-process", "http"])
@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 50_000, b"[" * 5_000 + b"]" * 5_000])
def test_deeply_nested_json_is_a_400_not_a_crash(target: Target, mode: str, body: bytes) -> None:
    """Even with the token, a body that recurses the JSON parser out of its depth is refused (400), never HTTP 500."""
    own = {"authorization": f"Bearer {target.token}", "content-type": JSON}
    before = target.snapshot()
    reply = target.send(mode, "POST", "/inventory", own, body)
    assert reply.status_code == 400, reply.text[:200]
    assert target.snapshot() == before

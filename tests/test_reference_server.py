"""The reference DCC as a server: real uvicorn on loopback, HTTPS and mutual TLS with trustme, the CLI, SIGTERM."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from pytest_dcc.commands.serve import build_from_args
from pytest_dcc.commands.serve import parser as _parser
from pytest_dcc.duis.build import RequestBuilder
from pytest_dcc.duis.pki import read_pki
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.duis.schema import load_schema
from pytest_dcc.duis.signing import sign
from pytest_dcc.errors import ConfigError
from pytest_dcc.reference.server import make_app
from pytest_dcc.transport.admission import ResponseJudge
from pytest_dcc.transport.client import DuisClient
from pytest_dcc.transport.http import HttpTransport, client_ssl_context
from pytest_dcc.transport.receiver import ResponseReceiver, ServerThread, free_port, require_client_cert_tls
from qa.serve import ServeProcess
from tests.reference_harness import CAD, ESME, FIXTURES, IS, Harness

INVENTORY = FIXTURES / "inventory" / "premises.yaml"
JSON = {"content-type": "application/json"}


def _args(*extra: str):  # type: ignore[no-untyped-def]
    return _parser().parse_args(["serve", *extra])


def test_serve_arguments_are_checked(tmp_path: Path) -> None:
    cases = [
        (["--release", "2019-01", "--pki", str(tmp_path)], "--release"),
        (["--test-control", "--host", "0.0.0.0", "--pki", str(tmp_path)], "loopback"),
        (["--delivery-attempts", "0"], "--delivery-attempts"),
        (["--response-url", "ftp://x/"], "--response-url"),
        (["--signing-key", "k.pem", "--pki", str(tmp_path)], "--signing-cert"),
        (["--client-ca", "ca.pem", "--pki", str(tmp_path)], "--tls-cert"),
        (["--inventory", str(tmp_path / "missing.yaml"), "--pki", str(tmp_path)], "--inventory"),
    ]
    for argv, fragment in cases:
        with pytest.raises(ConfigError, match=fragment):
            build_from_args(_args(*argv))


def test_serve_validates_with_an_official_xsd_when_asked(tmp_path: Path) -> None:
    from tests.conftest import SHARED

    dcc, _ = build_from_args(_args("--pki", str(tmp_path), "--xsd", str(SHARED / "duis-xsd" / "5.4")))
    assert "V5.4" in dcc.schema.name
    with pytest.raises(ConfigError):
        build_from_args(_args("--pki", str(tmp_path), "--xsd", str(tmp_path / "none.xsd")))


def test_pki_folder_is_created_then_reused_and_shared_with_the_suite(tmp_path: Path) -> None:
    pki_dir = tmp_path / "pki"
    dcc, pki = build_from_args(_args("--pki", str(pki_dir), "--inventory", str(INVENTORY)))
    assert pki is not None and (pki_dir / "pki.json").is_file()
    again = read_pki(pki_dir)
    assert set(again.identities) == set(pki.identities) and IS in again.identities
    user = dcc.inventory.user(IS)
    assert user is not None and user.certificate  # registered with its XML-signing certificate
    assert not any(p.stat().st_mode & 0o077 for p in pki_dir.glob("*.key"))


@pytest.fixture
def in_thread_server(tmp_path: Path) -> Iterator[tuple[ServerThread, Harness]]:
    h = Harness()
    with ServerThread(make_app(h.dcc, test_control=True)) as server:
        yield server, h


def test_http_service_health_smki_and_test_control(in_thread_server: tuple[ServerThread, Harness]) -> None:
    server, h = in_thread_server
    with HttpTransport(server.url, h.judge) as transport:
        client = DuisClient.of_user(h.builder(IS), transport, h.pki.identity(IS), h.inbox)
        assert client.request("8.2", **sample_values("8.2")).code == "I0"
        join = client.request("8.7.2", target=ESME, other_device_id=CAD)
        assert join.code == "I99"
        assert client.wait_for_device_response(join.request, 2).response.code == "I0"
    with httpx.Client(base_url=server.url) as http:
        health = http.get("/health").json()
        assert health["release"] == "2025-11" and health["schema_version"] == "5.4" and health["devices"] == 6
        view = http.get(f"/test-control/devices/{ESME}").json()
        assert view["smi"]["joins"] == [CAD]
        renewed = http.post(f"/test-control/devices/{ESME}/certificates").json()
        assert set(renewed) == {"Digital Signature", "Key Agreement"}
        assert http.get("/smki/certificates", params={"subject": ESME}).status_code == 200
        assert http.get("/smki/certificates").status_code == 400
        assert http.post(f"/test-control/devices/{ESME}/status", json={"status": "Sleepy"}).status_code == 400
        missing = http.post(f"/test-control/devices/{ESME}/status", json={})  # a missing field is not a missing device
        assert (missing.status_code, missing.text) == (400, "missing field 'status'")
        unknown = http.post("/test-control/devices/00-DB-12-34-56-78-90-FF/status", json={"status": "Commissioned"})
        assert (unknown.status_code, unknown.text) == (404, "device 00-DB-12-34-56-78-90-FF is not in the inventory")
        assert (
            http.post(
                "/test-control/devices/00-DB-12-34-56-78-90-FF/faults", json={"fault": "lose-next-response"}
            ).status_code
            == 404
        )
        assert http.post("/test-control/inventory", content=b"{not json", headers=JSON).status_code == 400
        assert http.post("/test-control/reset").status_code == 200
        assert http.get("/health").json()["devices"] == 0
        assert http.get("/api/v1/serviceD").status_code == 405


def test_local_command_executed_through_test_control(in_thread_server: tuple[ServerThread, Harness]) -> None:
    server, h = in_thread_server
    with HttpTransport(server.url, h.judge) as transport:
        client = DuisClient.of_user(h.builder(IS), transport, h.pki.identity(IS), h.inbox)
        local = client.request("8.7.2", cv=2, target=ESME, other_device_id=CAD)
        assert local.judged.response.payload_kind == "LocalCommand"
        with httpx.Client(base_url=server.url) as http:
            reply = http.post(f"/test-control/local-commands/{local.request.request_id}/execute")
            assert reply.status_code == 200
            response = base64.b64decode(reply.json()["gbcs_response"])
            assert http.post("/test-control/local-commands/1:2:3/execute").status_code == 404
        returned = client.request("8.13", original_request_id=local.request.request_id, device_gbcs_response=response)
        assert returned.code == "I99"


def test_a_device_alert_collected_through_test_control_passes_the_contract_and_8_13(
    in_thread_server: tuple[ServerThread, Harness],
) -> None:
    from pytest_dcc.drivers import NoDriver
    from pytest_dcc.drivers.check import check_driver
    from pytest_dcc.drivers.control_over_http import TestControlDriver
    from pytest_dcc.duis.gbcs import GbcsMessage, parse_general_signing

    server, h = in_thread_server
    with httpx.Client() as http_client, HttpTransport(server.url, h.judge) as transport:
        driver = TestControlDriver(server.url, http_client)
        findings = [f for f in check_driver(driver, [ESME, CAD]) if "collect_alert(" in f.what]
        assert len(findings) == 2 and all(f.ok for f in findings), [f.line() for f in findings]
        with pytest.raises(LookupError):
            driver.collect_alert("00-DB-12-34-56-78-90-FF")
        client = DuisClient.of_user(h.builder(IS), transport, h.pki.identity(IS), h.inbox)
        alert = driver.collect_alert(ESME)
        assert client.request("8.13", original_request_id=None, device_gbcs_response=alert).code == "I99"

    class ResponseForAlert(NoDriver):  # a driver handing over a device response where an alert is asked for
        capabilities = frozenset({"local-alert"})

        def collect_alert(self, eui: str) -> bytes:
            return GbcsMessage(0x02, 1, eui, IS, 0x8F84, b"\x00").to_bytes()

    failed = [f.what for f in check_driver(ResponseForAlert(), [ESME]) if not f.ok]
    assert failed == [f"collect_alert({ESME}) gives the device's GBCS Device Alert (CRA flag 02)"]
    assert parse_general_signing(alert).originator == ESME


def test_test_control_is_absent_unless_enabled() -> None:
    h = Harness()
    with ServerThread(make_app(h.dcc)) as server, httpx.Client(base_url=server.url) as http:
        assert http.post("/test-control/reset").status_code == 404
        assert http.get("/health").json()["test_control"] is False


def test_https_with_mutual_tls(tmp_path: Path) -> None:
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1")
    chain, key, ca_file = tmp_path / "chain.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    chain.write_bytes(b"".join(b.bytes() for b in server_cert.cert_chain_pems))
    server_cert.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(ca_file))
    user_cert = tmp_path / "user.pem"
    ca.issue_cert("supplier.example").private_key_and_cert_chain_pem.write_to_path(str(user_cert))
    h = Harness()
    tls = require_client_cert_tls(str(chain), str(key), str(ca_file))
    with ServerThread(make_app(h.dcc), ssl_context=tls) as server:
        context = client_ssl_context(ca_file, user_cert)
        with HttpTransport(server.url, h.judge, ssl_context=context) as transport:
            request = h.build("8.2", **sample_values("8.2"))
            sign(request.root, h.pki.identity(IS))
            assert transport.send(request, request.to_bytes()).code == "I0"
        from pytest_dcc.errors import EndpointUnreachableError

        with HttpTransport(server.url, h.judge, ssl_context=client_ssl_context(ca_file)) as transport:
            request = h.build("8.2", **sample_values("8.2"))
            with pytest.raises(EndpointUnreachableError):
                transport.send(request, request.to_bytes())


@pytest.mark.slow
def test_cli_server_end_to_end_with_response_url_and_sigterm(tmp_path: Path) -> None:
    pki_dir = tmp_path / "pki"
    port = free_port()
    # The suite side: the same PKI folder, a receiver for asynchronous responses.
    build_from_args(_args("--pki", str(pki_dir), "--inventory", str(INVENTORY)))  # creates the PKI
    pki = read_pki(pki_dir)
    judge = ResponseJudge(load_schema(None), pki.dsp_trust())
    with ResponseReceiver(judge, path="/duis") as receiver:
        args = ["--pki", str(pki_dir), "--inventory", str(INVENTORY), "--release", "2021-06"]
        args += ["--response-url", receiver.response_url, "--log-level", "warning"]
        server = ServeProcess(args, tmp_path / "serve.log", port=port)
        with server, HttpTransport(server.url, judge) as transport:
            client = DuisClient.of_user(
                RequestBuilder(IS, schema_version="5.1"), transport, pki.identity(IS), receiver.inbox
            )
            unjoin = client.request("8.8.2", target=ESME, other_device_id=CAD)
            assert unjoin.code == "E080801"  # 2021-06: the SMI join is checked
            join = client.request("8.7.2", target=ESME, other_device_id=CAD)
            assert join.code == "I99"
            delivered = client.wait_for_device_response(join.request, 5)
            assert delivered.response.code == "I0" and delivered.signature.verified
            assert client.request("8.8.2", target=ESME, other_device_id=CAD).code == "I99"
    assert server.process is not None and server.process.returncode == 0, server.output()  # SIGTERM: clean exit

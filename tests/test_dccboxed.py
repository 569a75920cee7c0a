"""DCC Boxed as the target it is: its ZAZ1 keys as it ships them (PKCS#8 DER ``.key``, PEM certificates named by
EUI, its own DSP response-signing key), read in place from ``../shared/dccboxed/pki``. DCC Boxed itself cannot run
here: ``pytest-dcc serve`` configured with those keys stands in for it, without test control, and the suite is
given only the endpoint, that key folder and a statement of the estate, as a DCC Boxed user would give it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import SHARED

PKI = SHARED / "dccboxed" / "pki"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"  # DCC Boxed's test supplier: Import and Gas Supplier both
OTHER_USER = "00-DB-12-34-56-78-00-04"
DEVICES = {"ESME": "00-DB-12-34-56-78-90-A0", "GSME": "00-DB-12-34-56-78-90-A1", "CHF": "00-DB-12-34-56-78-90-A2",
           "GPF": "00-DB-12-34-56-78-90-A3", "CAD": "00-DB-12-34-56-78-90-9A"}  # fmt: skip
UPRN = 100023336956


def _estate() -> dict[str, object]:
    premises = {"uprn": UPRN, "postcode": "M22 0RR", "address_identifier": "Threapwood Road"}
    chf = DEVICES["CHF"]
    meter = {"status": "Commissioned", "chf": chf, "supplier": SUPPLIER, **premises}
    return {
        "version": 1,
        "users": [{"eui": SUPPLIER, "roles": ["IS", "GS"]}, {"eui": OTHER_USER, "role": "OU"}],
        "devices": [
            {"eui": chf, "type": "CHF", "status": "Commissioned", "gpf": DEVICES["GPF"], **premises},
            {"eui": DEVICES["GPF"], "type": "GPF", "status": "Commissioned", "chf": chf, **premises},
            {"eui": DEVICES["ESME"], "type": "ESME", "mpxn": "1234567890123", **meter},
            {"eui": DEVICES["GSME"], "type": "GSME", "mpxn": "9876543210", **meter},
            {"eui": DEVICES["CAD"], "type": "CAD", "status": "Whitelisted", "chf": chf, **premises},
        ],
        "coverage": [
            {**premises, "region": "North", "available": True, "wan_variant": "Standard 420",
             "connectivity_likelihood": "High"},
        ],
    }  # fmt: skip


def test_dcc_boxed_keys_are_read_in_place_and_never_written() -> None:
    from pytest_dcc.duis.pki import ShippedPki, load_or_create_pki
    from pytest_dcc.errors import ConfigError
    from pytest_dcc.spec import DCC_EUI

    before = sorted(p.name for p in PKI.iterdir())
    pki = load_or_create_pki(PKI, [SUPPLIER, OTHER_USER])
    assert isinstance(pki, ShippedPki)
    assert {DCC_EUI, SUPPLIER, OTHER_USER} <= set(pki.identities)
    assert len(pki.extra_trust) >= 2  # the pre-1.4.1 DSP certificate and the access control broker's
    with pytest.raises(ConfigError, match="has no key for 90-B3-D5-1F-30-03-00-00"):
        pki.add("90-B3-D5-1F-30-03-00-00")
    assert sorted(p.name for p in PKI.iterdir()) == before


def test_serve_listens_on_dcc_boxed_s_port_by_default() -> None:
    from pytest_dcc.commands.serve import parser as _parser

    assert _parser().parse_args(["serve"]).port == 8079


@pytest.mark.slow
def test_the_suite_against_a_dcc_boxed_stand_in_over_duis_alone(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """The statement starts as ``dcc-conformance statement-skeleton`` writes it from SR 8.2 of the premises; the
    user declares what DUIS cannot tell (no joins in the SMI, the Other User); then the suite runs green."""
    from pytest_dcc.statement import load_statement
    from pytest_dcc.transport.receiver import free_port
    from qa.serve import ServeProcess

    (tmp_path / "estate.yaml").write_text(yaml.safe_dump(_estate()))
    receiver = free_port()  # DCC Boxed's "Receive Response Service address" points here
    args = [
        "--pki",
        str(PKI),
        "--inventory",
        str(tmp_path / "estate.yaml"),
        "--release",
        "2024-06",
        "--no-test-control",
    ]
    args += ["--response-url", f"http://127.0.0.1:{receiver}/", "--log-level", "warning"]
    keys = sorted(p.name for p in PKI.iterdir())
    with ServeProcess(args, tmp_path / "serve.log") as server:
        script = Path(sys.executable).parent / "dcc-conformance"
        # Twice, as a vendor may: the second's counters start above the first's block, ahead of the clock; the run
        # straight after counts on from there (one state folder), or the endpoint would refuse it as a replay (E1).
        for _ in range(2):
            made = subprocess.run(
                [str(script), "statement-skeleton", "--endpoint", server.url, "--pki", str(PKI), "--user", SUPPLIER,
                 "--uprn", str(UPRN), "--release", "2024-06", "-o", str(tmp_path / "statement.yaml")],
                capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            assert made.returncode == 0, made.stdout + made.stderr
        assert sorted(p.name for p in PKI.iterdir()) == keys  # DCC Boxed's key folder is read, never written
        written = load_statement(tmp_path / "statement.yaml")  # the skeleton lints clean
        assert set(written.devices) == set(DEVICES.values()) and written.users == {"IS": SUPPLIER, "GS": SUPPLIER}
        statement = yaml.safe_load((tmp_path / "statement.yaml").read_text())
        statement["users"].append({"role": "OU", "eui": OTHER_USER})
        statement["joins"] = []
        (tmp_path / "statement.yaml").write_text(yaml.safe_dump(statement))
        pytester.runpytest_subprocess(
            "--pyargs",
            "pytest_dcc.suite",
            f"--dcc-endpoint={server.url}",
            f"--dcc-pki={PKI}",
            f"--dcc-statement={tmp_path / 'statement.yaml'}",
            f"--dcc-receiver-port={receiver}",
            "-p",
            "no:cacheprovider",
        )
    document = json.loads((pytester.path / "reports" / "verdicts.json").read_text())
    bad = [(s["verdict"], s["name"], s["message"][:200]) for s in document["scenarios"] if s["verdict"] != "PASS"]
    assert not [b for b in bad if b[0] in ("FAIL", "ERROR")], bad
    passed = [s for s in document["scenarios"] if s["verdict"] == "PASS"]
    assert len(passed) >= 30, len(passed)
    assert any("E080801" not in s["name"] and "Unjoin" in s["name"] for s in passed)  # MP178 over DUIS alone


@pytest.mark.slow
def test_dcc_s_own_tool_accepts_a_response_signed_with_dcc_boxed_s_dsp_key(tmp_path: Path) -> None:
    """The reference DCC signs with DCC Boxed's DSP key exactly as DCC Boxed does: DCC's signing tool (DUIS 5.1
    build) validates its answer, XSD and signature."""
    jar = Path(__file__).resolve().parent.parent / "node_modules/@smartdcc/duis-sign-wrap/dist/tool.jar"
    java = shutil.which("java")
    if java is None or not jar.exists():
        if os.environ.get("DCC_REQUIRE_INTEROP"):
            pytest.fail(f"DCC's signing tool cannot run here: java {java}, {jar}")
        pytest.skip("DCC's signing tool is not installed (npm ci) or Java is missing")
    from pytest_dcc.duis.build import RequestBuilder
    from pytest_dcc.duis.pki import load_or_create_pki
    from pytest_dcc.duis.signing import sign
    from pytest_dcc.reference.setup import build_reference

    pki = load_or_create_pki(PKI)
    dcc = build_reference(pki, release="2021-06", inventory=_estate())  # answers DUIS 5.1
    request = RequestBuilder(SUPPLIER, schema_version="5.1").request("8.2", device_id=DEVICES["ESME"])
    sign(request.root, pki.identity(SUPPLIER))
    reply = dcc.handle("POST", request.path, {"content-type": "application/xml"}, request.to_bytes())
    assert reply.status == 200 and b"<sr:ResponseCode>I0</sr:ResponseCode>" in reply.body, reply.body[:300]
    done = subprocess.run(
        [java, "-cp", str(jar), "uk.co.smartdcc.boxed.xmldsig.Validate", "-"],
        input=reply.body,
        capture_output=True,
        timeout=120,
        check=False,
    )
    log = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert done.returncode == 0, log
    assert "passed signature check" in log

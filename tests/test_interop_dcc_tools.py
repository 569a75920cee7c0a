"""DCC's own signing tool (DCC Boxed's, shipped by the npm package @smartdcc/duis-sign-wrap as tool.jar) as an
oracle for the suite's broken requests: a request the suite tampers with must pass DCC's XSD step and fail its
signature step, so an endpoint can refuse it only by checking the signature (issue 14: the old tamper reversed a
CredentialType, which DCC's tool reported as an XSD failure).

Signed with DCC Boxed's own test key for the supplier 90-B3-D5-1F-30-01-00-00, as DCC Boxed's clients sign, so the
tool finds the certificate by serial number. The npm build validates against DUIS 5.1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_dcc.duis.build import DuisRequest, RequestBuilder
from pytest_dcc.duis.signing import SigningIdentity, load_certificate, load_private_key, sign
from pytest_dcc.suite.tamper import change_signed_value, flip_signature_bit
from tests.reference_harness import ESME

ROOT = Path(__file__).resolve().parent.parent
JAR = ROOT / "node_modules" / "@smartdcc" / "duis-sign-wrap" / "dist" / "tool.jar"
PKI = ROOT.parent / "shared" / "dccboxed" / "pki"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"

pytestmark = pytest.mark.slow


def _tool() -> str:
    java = shutil.which("java")
    missing = [what for what, ok in (("java", java), (str(JAR), JAR.exists()), (str(PKI), PKI.exists())) if not ok]
    if missing:
        reason = f"DCC's signing tool cannot run here: missing {', '.join(missing)} (npm ci installs the jar)"
        if os.environ.get("DCC_REQUIRE_INTEROP"):
            pytest.fail(reason)
        pytest.skip(reason)
    return str(java)


def _validate(data: bytes) -> tuple[int, str]:
    done = subprocess.run(
        [_tool(), "-cp", str(JAR), "uk.co.smartdcc.boxed.xmldsig.Validate", "-"],
        input=data,
        capture_output=True,
        timeout=120,
        check=False,
    )
    return done.returncode, (done.stdout + done.stderr).decode("utf-8", "replace")


def _signed_request() -> DuisRequest:
    identity = SigningIdentity(
        load_private_key(PKI / "xml-sign-90B3D51F30010000-ds.key"),
        load_certificate(PKI / "xml-sign-90B3D51F30010000-ds.pem"),
    )
    request = RequestBuilder(SUPPLIER, schema_version="5.1").request(
        "6.24.2", cv=4, target=ESME, credential_type="Digital Signature"
    )
    sign(request.root, identity)
    return request


def test_dcc_tool_accepts_the_suite_s_signed_request() -> None:
    code, log = _validate(_signed_request().to_bytes())
    assert code == 0, log
    assert "passed xsd validation" in log and "passed signature check" in log


def test_a_signed_value_changed_afterwards_passes_dcc_xsd_and_fails_its_signature_check() -> None:
    code, log = _validate(change_signed_value(_signed_request().to_bytes()))
    assert code == 10, log
    assert "passed xsd validation" in log and "failed signature check" in log


def test_a_flipped_signature_bit_passes_dcc_xsd_and_fails_its_signature_check() -> None:
    request = _signed_request()
    flip_signature_bit(request.root)
    code, log = _validate(request.to_bytes())
    assert code == 10, log
    assert "passed xsd validation" in log and "failed signature check" in log

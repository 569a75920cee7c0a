from __future__ import annotations

import pytest
from lxml import etree

from pytest_dcc.duis.bodies import gas_thresholds
from pytest_dcc.duis.build import RequestBuilder, build_request
from pytest_dcc.duis.ids import RequestID
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.duis.semantics import request_issues
from pytest_dcc.duis.signing import SignatureStatus, SigningIdentity, TrustStore, sign, verify
from pytest_dcc.duis.xmlsafe import parse
from tests.conftest import SHARED

PKI = SHARED / "dccboxed" / "pki"
RESPONSES = SHARED / "dccboxed" / "responses"
DS = "{http://www.w3.org/2000/09/xmldsig#}"


@pytest.fixture(scope="module")
def supplier() -> SigningIdentity:
    return SigningIdentity.from_files(
        PKI / "xml-sign-90B3D51F30010000-ds.key", PKI / "xml-sign-90B3D51F30010000-ds.pem"
    )


@pytest.fixture(scope="module")
def dsp_trust() -> TrustStore:
    return TrustStore.from_files(
        [PKI / "dsp-xml-sign-90B3D51F30000002-ds.pem", PKI / "dsp-xml-sign-90B3D51F30000002-ds-pre-1.4.1.pem"]
    )


def test_sign_with_dcc_boxed_supplier_key_in_the_profile_and_verify(supplier: SigningIdentity) -> None:
    request = RequestBuilder("90-B3-D5-1F-30-01-00-00").request("8.2", **sample_values("8.2"))
    sign(request.root, supplier)
    root = parse(request.to_bytes()).getroot()
    signature = root[-1]
    assert signature.tag == f"{DS}Signature"
    assert [t.get("Algorithm") for t in signature.iter(f"{DS}Transform")] == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
    ]
    assert [etree.QName(c).localname for c in signature.find(f"{DS}KeyInfo/{DS}X509Data")] == ["X509IssuerSerial"]
    assert signature.findtext(f".//{DS}X509SerialNumber") == str(int("14BE4AD2EA1D0E4EC7F7156BD24624A7", 16))
    assert len(__import__("base64").b64decode(signature.findtext(f"{DS}SignatureValue"))) == 64
    check = verify(root, TrustStore([supplier.certificate]))
    assert check.status is SignatureStatus.VERIFIED and check.signer_eui == "90-B3-D5-1F-30-01-00-00"


def test_tampering_after_signing_is_detected(supplier: SigningIdentity) -> None:
    request = RequestBuilder("90-B3-D5-1F-30-01-00-00").request("8.2", **sample_values("8.2"))
    data = sign(request.root, supplier) is not None and request.to_bytes()
    tampered = parse(data.replace(b"90-A2</sr:DeviceID>", b"90-A3</sr:DeviceID>")).getroot()
    assert verify(tampered, TrustStore([supplier.certificate])).status is SignatureStatus.INVALID


def test_real_dcc_boxed_response_verifies_with_the_dsp_certificate(dsp_trust: TrustStore) -> None:
    root = parse((RESPONSES / "readfw-response.xml").read_bytes()).getroot()
    check = verify(root, dsp_trust)
    assert check.verified, check.summary()
    assert check.signer_eui == "90-B3-D5-1F-30-00-00-02"


def test_bad_signature_unsigned_and_unknown_signer(dsp_trust: TrustStore, supplier: SigningIdentity) -> None:
    bad = verify(parse((RESPONSES / "readfw-response-badsignature.xml").read_bytes()).getroot(), dsp_trust)
    assert bad.status is SignatureStatus.INVALID
    unsigned = verify(parse((RESPONSES / "readfw-response-no-signature.xml").read_bytes()).getroot(), dsp_trust)
    assert unsigned.status is SignatureStatus.UNSIGNED and not unsigned.verified
    stranger = verify(
        parse((RESPONSES / "readfw-response.xml").read_bytes()).getroot(), TrustStore([supplier.certificate])
    )
    assert stranger.status is SignatureStatus.UNKNOWN_SIGNER


def _rules(srv: str, **changes: object) -> list[str]:
    values = sample_values(srv)
    request = RequestBuilder("90-B3-D5-1F-30-01-00-00").request(srv, **values)
    root = request.root
    for tag, text in changes.items():
        root.find(f".//{{*}}{tag}").text = str(text)
    return [i.rule for i in request_issues(root, path=changes.pop("_path", request.path) if False else request.path)]


def test_sound_requests_have_no_issues() -> None:
    for srv in ("8.14.2", "8.7.2", "1.1.1", "12.1"):
        assert _rules(srv) == []


def test_sr_srv_cv_and_body_mismatches_are_found() -> None:
    assert _rules("8.14.2", ServiceReference="8.13") == ["E12"]
    assert _rules("8.7.2", CommandVariant="4") == ["E12", "E13"]
    request = build_request(
        srv="8.8.2",
        cv=1,
        request_id=RequestID("90-B3-D5-1F-30-01-00-00", "00-DB-12-34-56-78-90-A0", 1),
        body=[],
        body_element="JoinServiceNonCritical",
    )
    assert [i.rule for i in request_issues(request.root, path=request.path)] == ["E12"]


def test_wrong_url_for_the_cv_is_e13() -> None:
    request = RequestBuilder("90-B3-D5-1F-30-01-00-00").request("8.2", **sample_values("8.2"))
    assert [i.rule for i in request_issues(request.root, path="/api/v1/serviceS")] == ["E13"]


@pytest.mark.parametrize(
    ("indexes", "problem"), [([1, 1], "not unique"), ([1, 3], "not consecutive"), ([2], "not consecutive")]
)
def test_gas_threshold_indexes_unique_and_consecutive_from_one(indexes: list[int], problem: str) -> None:
    thresholds = gas_thresholds(["1 kWh"] * len(indexes), indexes=indexes)
    request = RequestBuilder("90-B3-D5-1F-30-01-00-00").request(
        "1.1.1", target="00-DB-12-34-56-78-90-A1", thresholds=thresholds
    )
    issues = request_issues(request.root, path=request.path)
    assert len(issues) == 1 and problem in issues[0].message and issues[0].rule == "E010101"


@pytest.mark.parametrize("element", ["SignatureValue", "DigestValue"])
def test_foreign_characters_in_signature_values_make_it_invalid(supplier: SigningIdentity, element: str) -> None:
    """b64decode would skip the junk and the signature would still verify; the profile check refuses it."""
    request = RequestBuilder("90-B3-D5-1F-30-01-00-00").request("8.2", **sample_values("8.2"))
    sign(request.root, supplier)
    node = request.root.find(f".//{DS}{element}")
    node.text = node.text[:8] + "@@@@" + node.text[8:]
    check = verify(request.root, TrustStore([supplier.certificate]))
    assert check.status is SignatureStatus.INVALID and f"ds:{element}" in check.summary()

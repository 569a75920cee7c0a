"""The profile verifier against signxml, the general-purpose XMLDSig verifier, as the oracle.

``verify(engine="profile")`` is this project's own check of the DCC Boxed signature profile (exclusive C14N of
SignedInfo, ECDSA r‖s, enveloped SHA-256 digest). It is security-critical, so every document here is judged by
both engines, which share the profile and certificate checks and differ only in the cryptography and
canonicalisation: they must agree on every document, valid or broken, and neither may change the document.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree
from signxml import XMLSigner
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

from pytest_dcc.duis.build import RequestBuilder
from pytest_dcc.duis.pki import TestPki
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.duis.signing import (
    ENGINES,
    SignatureStatus,
    SigningIdentity,
    TrustStore,
    is_strict_base64,
    issuer_string,
    sign,
    verify,
)
from pytest_dcc.duis.xmlsafe import parse
from tests.conftest import SHARED

DS = "{http://www.w3.org/2000/09/xmldsig#}"
EC = "{http://www.w3.org/2001/10/xml-exc-c14n#}"
USER = "90-B3-D5-1F-30-01-00-00"
PKI = SHARED / "dccboxed" / "pki"
RESPONSES = SHARED / "dccboxed" / "responses"
SRVS = ("8.2", "8.14.2", "1.1.1", "6.15.1", "8.7.2")

IDENTITY = SigningIdentity.from_files(
    PKI / "xml-sign-90B3D51F30010000-ds.key", PKI / "xml-sign-90B3D51F30010000-ds.pem"
)
#: Another key whose certificate carries the same serial number: it is found, and must not verify.
IMPOSTOR = TestPki.generate([USER]).identity(USER)
TRUST = TrustStore([IDENTITY.certificate])


def _request(srv: str) -> etree._Element:
    return RequestBuilder(USER).request(srv, **sample_values(srv)).root


def _ours(root: etree._Element) -> etree._Element:
    return sign(root, IDENTITY)


def _key_info() -> etree._Element:
    key_info = etree.Element(f"{DS}KeyInfo", nsmap={"ds": DS[1:-1]})
    serial = etree.SubElement(etree.SubElement(key_info, f"{DS}X509Data"), f"{DS}X509IssuerSerial")
    etree.SubElement(serial, f"{DS}X509IssuerName").text = issuer_string(IDENTITY.certificate)
    etree.SubElement(serial, f"{DS}X509SerialNumber").text = str(IDENTITY.certificate.serial_number)
    return key_info


def _by_signxml(prefixes: list[str] | None = None) -> Callable[[etree._Element], etree._Element]:
    """signxml's own enveloped signature (it adds an exclusive C14N transform), with the profile's KeyInfo."""

    def signer(root: etree._Element) -> etree._Element:
        signed = XMLSigner(
            signature_algorithm=SignatureMethod.ECDSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        ).sign(root, key=IDENTITY.key, key_info=_key_info(), inclusive_ns_prefixes=prefixes)
        return parse(etree.tostring(signed)).getroot()

    return signer


def _judged(root: etree._Element) -> tuple[SignatureStatus, SignatureStatus]:
    before = etree.tostring(root)
    ours = verify(root, TRUST, engine="profile")
    assert etree.tostring(root) == before, "the profile verifier changed the document"
    theirs = verify(root, TRUST, engine="signxml")
    assert etree.tostring(root) == before
    return ours.status, theirs.status


# -- documents both must accept ----------------------------------------------------------------------------------


def _reparsed(root: etree._Element) -> etree._Element:
    return parse(etree.tostring(root)).getroot()


def _with_root_namespaces(root: etree._Element) -> etree._Element:
    """Unused namespace declarations on the root: inclusive C14N of the document keeps them."""
    text = etree.tostring(root).replace(b"<sr:Request ", b'<sr:Request xmlns:zz="urn:unused" xmlns:aa="urn:a" ', 1)
    return parse(text).getroot()


VALID: dict[str, Callable[[], etree._Element]] = {
    "the profile, signed here": lambda: _reparsed(_ours(_request("8.2"))),
    "signed here, then unused namespaces declared": lambda: _ours(_with_root_namespaces(_request("8.14.2"))),
    "signed here, pretty-printed": lambda: _ours(_reparsed_pretty(_request("1.1.1"))),
    "signxml, exclusive C14N transform": lambda: _by_signxml()(_request("6.15.1")),
    "signxml, unused namespaces on the root": lambda: _by_signxml()(_with_root_namespaces(_request("8.2"))),
}


def _reparsed_pretty(root: etree._Element) -> etree._Element:
    return parse(etree.tostring(root, pretty_print=True)).getroot()


@pytest.mark.parametrize("name", sorted(VALID))
def test_both_engines_verify_valid_documents(name: str) -> None:
    assert _judged(VALID[name]()) == (SignatureStatus.VERIFIED, SignatureStatus.VERIFIED)
    assert verify(VALID[name](), TRUST, engine="both").verified


def test_text_after_the_signature_is_signed_content() -> None:
    """The enveloped-signature transform removes the Signature element only: whitespace added after it changes
    the digested document, so neither engine verifies it."""
    root = _ours(_request("8.2"))
    root[-1].tail = "\n"
    assert _judged(_reparsed(root)) == (SignatureStatus.INVALID, SignatureStatus.INVALID)


def test_inclusive_namespace_prefix_lists_are_outside_the_profile() -> None:
    """DCC Boxed never sends InclusiveNamespaces (and signxml's schema check refuses them anyway)."""
    root = _by_signxml(["sr"])(_request("8.7.2"))
    check = verify(root, TRUST, engine="profile")
    assert check.status is SignatureStatus.INVALID and "not what the profile has" in check.reason
    assert _judged(root) == (SignatureStatus.INVALID, SignatureStatus.INVALID)


def test_real_dcc_boxed_responses_are_judged_alike() -> None:
    trust = TrustStore.from_files(
        [PKI / "dsp-xml-sign-90B3D51F30000002-ds.pem", PKI / "dsp-xml-sign-90B3D51F30000002-ds-pre-1.4.1.pem"]
    )
    good = parse((RESPONSES / "readfw-response.xml").read_bytes()).getroot()
    bad = parse((RESPONSES / "readfw-response-badsignature.xml").read_bytes()).getroot()
    for engine in ENGINES:
        assert verify(good, trust, engine=engine).verified, engine
        assert verify(bad, trust, engine=engine).status is SignatureStatus.INVALID, engine


def test_an_unknown_engine_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="signature engine 'openssl'"):
        verify(_ours(_request("8.2")), TRUST, engine="openssl")


# -- mutations: both must reach the same verdict -----------------------------------------------------------------


def _elements(root: etree._Element, *, in_signature: bool) -> list[etree._Element]:
    signature = next(root.iter(f"{DS}Signature"), None)
    inside = set(signature.iter()) if signature is not None else set()
    return [e for e in root.iter() if isinstance(e.tag, str) and (e in inside) == in_signature]


def _b64_or_empty(text: str | None) -> bytes:
    """The value's bytes, or none when an earlier mutation already broke its base64 (the next one still applies)."""
    try:
        return base64.b64decode(text or "")
    except binascii.Error:
        return b""


def _mutate(root: etree._Element, kind: str, pick: int, data: str) -> None:
    """Change ``root`` in place one way; ``pick`` chooses where, ``data`` what."""
    body = _elements(root, in_signature=False)
    sig = _elements(root, in_signature=True)
    signature = next(root.iter(f"{DS}Signature"))  # the first, wherever a mutation has put it
    target = body[pick % len(body)]
    sig_target = sig[pick % len(sig)]
    if kind == "body-text":
        target.text = (target.text or "") + data
    elif kind == "body-tail":
        if target is not root:  # text after the root is not well-formed
            target.tail = (target.tail or "") + (data if data.strip() else data + " ")
    elif kind == "body-attribute":
        target.set("extra", data)
    elif kind == "body-comment":
        target.append(etree.Comment(data.replace("-", "") or "c"))
    elif kind == "root-namespace":
        clone = parse(
            etree.tostring(root).replace(b"<sr:Request ", f'<sr:Request xmlns:q{pick % 7}="urn:{pick}" '.encode(), 1)
        ).getroot()
        root[:] = clone[:]  # same children, now under a root with one more declaration in scope
        for key, value in clone.nsmap.items():
            assert root.nsmap.get(key, value) == value
    elif kind == "signature-text":
        if sig_target.tag in (f"{DS}DigestValue", f"{DS}SignatureValue"):
            sig_target.text = data + (sig_target.text or "")
        else:
            sig_target.set("Id", data or "x")
    elif kind == "signature-whitespace":
        sig_target.tail = (sig_target.tail or "") + "\n\t "
    elif kind == "value-bit":
        node = signature.find(f".//{DS}{'DigestValue' if pick % 2 else 'SignatureValue'}")
        raw = bytearray(_b64_or_empty(node.text)) or bytearray(1)
        raw[pick % len(raw)] ^= 1 << (pick % 8)
        node.text = base64.b64encode(bytes(raw)).decode()
    elif kind == "value-length":
        node = signature.find(f"{DS}SignatureValue")
        raw = _b64_or_empty(node.text)
        node.text = base64.b64encode(raw[: pick % len(raw)] if pick % 2 and raw else b"\x00" + raw).decode()
    elif kind == "algorithm":
        nodes = [n for n in signature.iter() if n.get("Algorithm")]
        uris = [
            "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
            "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
            "http://www.w3.org/2000/09/xmldsig#sha1",
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "http://www.w3.org/2001/10/xml-exc-c14n#",
            "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        ]
        nodes[pick % len(nodes)].set("Algorithm", uris[pick % len(uris)])
    elif kind == "move-signature":
        signature.getparent().remove(signature)
        body[pick % len(body)].append(signature) if pick % 3 else root.insert(0, signature)
    elif kind == "second-signature":
        target.append(copy.deepcopy(signature))
    elif kind == "extra-element":
        parent = sig[pick % len(sig)]
        parent.insert(pick % (len(parent) + 1), etree.Element(f"{DS}Object"))
    elif kind == "impostor":
        sign(root, IMPOSTOR)
        serial = root.find(f".//{DS}X509SerialNumber")
        serial.text = str(IDENTITY.certificate.serial_number)  # claims the trusted certificate
    elif kind == "resign-after":  # a valid signature over a changed body: must verify under both
        target.text = (target.text or "") + data
        sign(root, IDENTITY)
    else:  # pragma: no cover - the strategy names every kind
        raise AssertionError(kind)


KINDS = (
    "body-text",
    "body-tail",
    "body-attribute",
    "body-comment",
    "root-namespace",
    "signature-text",
    "signature-whitespace",
    "value-bit",
    "value-length",
    "algorithm",
    "move-signature",
    "second-signature",
    "extra-element",
    "impostor",
    "resign-after",
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(sorted(VALID)),
    changes=st.lists(
        st.tuples(st.sampled_from(KINDS), st.integers(0, 10_000), st.text("ab 1=+/\n\t", max_size=6)),
        min_size=1,
        max_size=3,
    ),
)
def test_both_engines_agree_on_mutated_documents(base: str, changes: list[tuple[str, int, str]]) -> None:
    root = VALID[base]()
    for kind, pick, data in changes:
        _mutate(root, kind, pick, data)
    root = parse(etree.tostring(root)).getroot()  # as it would arrive
    ours, theirs = _judged(root)
    event(f"{changes[-1][0]}: {ours.value}")
    assert ours is theirs, f"profile verifier {ours.value}, signxml {theirs.value} after {changes}"


# -- the strict base64 check ---------------------------------------------------------------------------------------

#: XSD 1.1 Part 2, 3.3.16: the lexical space of base64Binary, after whitespace collapse (a single space may
#: follow any character).
_GRAMMAR = re.compile(
    r"((([A-Za-z0-9+/] ?){4})*(([A-Za-z0-9+/] ?){3}[A-Za-z0-9+/]|([A-Za-z0-9+/] ?){2}[AEIMQUYcgkosw048] ?="
    r"|[A-Za-z0-9+/] ?[AQgw] ?= ?=))?"
)


@settings(max_examples=400, deadline=None)
@given(st.text("AQgwEIz09+/= \t\r\n\u00a0", max_size=16))
def test_strict_base64_is_the_xsd_grammar(text: str) -> None:
    spaced = text.translate(str.maketrans("\t\r\n", "   "))
    collapsed = " ".join(part for part in spaced.split(" ") if part)  # XML whitespace only, not U+00A0
    assert is_strict_base64(text) is (_GRAMMAR.fullmatch(collapsed) is not None)


def test_non_xml_whitespace_is_not_whitespace_in_base64() -> None:
    assert is_strict_base64("QUJD\nREVG")
    assert not is_strict_base64("QUJD\u00a0REVG")  # str.split() would have dropped the no-break space


def _edit_signature(edit: Callable[[etree._Element], None]) -> etree._Element:
    root = _ours(_request("8.2"))
    edit(root[-1])
    return _reparsed(root)


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda s: s[0].append(etree.Comment("x")), "a comment inside SignedInfo"),
        (lambda s: s[2][0].set("Id", "k"), "ds:X509Data has attributes"),
        (lambda s: s[2][0][0][0].set("Id", "k"), "ds:X509IssuerName has attributes"),
        (lambda s: s.append(etree.Element(f"{DS}Object")), "ds:Signature holds ['SignedInfo', 'SignatureValue'"),
        (lambda s: s[0][2].append(etree.Element(f"{DS}DigestValue")), "ds:Reference holds"),
        (lambda s: setattr(s[0], "text", "hello"), "text 'hello' inside SignedInfo"),
        (lambda s: setattr(s[1], "text", ""), "ds:SignatureValue is empty or not base64"),
    ],
)
def test_profile_shape_refusals_name_the_problem(edit: Callable[[etree._Element], None], reason: str) -> None:
    check = verify(_edit_signature(edit), TRUST)
    assert check.status is SignatureStatus.INVALID and reason in check.reason, check.reason

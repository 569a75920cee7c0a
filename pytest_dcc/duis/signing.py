"""XML signatures in the DCC Boxed profile, and the trusted certificates that verify them.

The profile (seen on every DCC Boxed message): an enveloped ``ds:Signature``, last child of the root;
``CanonicalizationMethod`` exclusive C14N; ``SignatureMethod`` ecdsa-sha256; one ``Reference URI=""`` whose only
transform is enveloped-signature, so its digest is taken over the inclusive C14N 1.0 of the document (the XMLDSig
default for a node-set); SHA-256 digest; ``SignatureValue`` the raw r‖s; ``KeyInfo`` with only
``X509Data/X509IssuerSerial``. The verifier finds the certificate by serial number among the trusted ones.

Signing is done here with lxml C14N and cryptography, because signxml always adds an explicit C14N transform the
profile does not have. Verification holds the signature to the profile's exact shape, finds the certificate by
serial number, and checks signature and digest here too (:func:`_profile_verify`); signxml's general-purpose
verifier remains available (``engine="signxml"``) and is the oracle the tests compare this one with.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidInput, SignXMLException
from signxml.exceptions import InvalidSignature as XmlInvalidSignature
from signxml.verifier import SignatureConfiguration, XMLVerifier

from pytest_dcc.duis.certificates import (
    certificate_eui,
    issuer_string,
    load_certificate,
    load_private_key,
    subject_common_name,
)
from pytest_dcc.duis.ids import normalise_eui
from pytest_dcc.duis.signature_shape import structure_problem
from pytest_dcc.duis.xmlsafe import parse
from pytest_dcc.errors import ConfigError, SignatureError
from pytest_dcc.spec import NS_DS

EXC_C14N: Final = "http://www.w3.org/2001/10/xml-exc-c14n#"
ECDSA_SHA256: Final = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ENVELOPED: Final = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA256: Final = "http://www.w3.org/2001/04/xmlenc#sha256"
#: Transforms a verifier accepts on the reference: the profile's one, and signxml's extra (equivalent) C14N.
_ACCEPTED_TRANSFORMS: Final = ((ENVELOPED,), (ENVELOPED, EXC_C14N))
_DS: Final = f"{{{NS_DS}}}"
#: The verifiers :func:`verify` can use.
ENGINES: Final = ("profile", "signxml", "both")


#: x500UniqueIdentifier: where DUIS signing certificates carry the signer's EUI-64 (as a BIT STRING).
@dataclass(frozen=True, slots=True)
class SigningIdentity:
    """A private key and the certificate that names it, used to sign DUIS messages."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    def __post_init__(self) -> None:
        public = self.certificate.public_key()
        if not isinstance(public, ec.EllipticCurvePublicKey) or (
            self.key.public_key().public_numbers() != public.public_numbers()
        ):
            raise ConfigError("the signing key does not match the signing certificate")

    @classmethod
    def from_files(cls, key_path: str | Path, cert_path: str | Path) -> SigningIdentity:
        """Load a key and certificate from files; :class:`ConfigError` names the file at fault."""
        return cls(load_private_key(key_path), load_certificate(cert_path))

    @property
    def eui(self) -> str | None:
        """The signer's EUI-64 from the certificate subject."""
        return certificate_eui(self.certificate)


def _c14n(node: etree._Element, *, exclusive: bool) -> bytes:
    return bytes(etree.tostring(node, method="c14n", exclusive=exclusive, with_comments=False))


def _remove_signatures(root: etree._Element) -> None:
    for old in list(root.iter(f"{_DS}Signature")):
        parent = old.getparent()
        if parent is not None:
            parent.remove(old)


def sign(root: etree._Element, identity: SigningIdentity) -> etree._Element:
    """Sign ``root`` in place in the DCC Boxed profile (any earlier signature is removed) and return it."""
    if root.getparent() is not None:
        raise SignatureError("only a document's root element can carry an enveloped DUIS signature")
    _remove_signatures(root)
    digest = base64.b64encode(hashlib.sha256(_c14n(root, exclusive=False)).digest()).decode("ascii")
    signature = etree.SubElement(root, f"{_DS}Signature", nsmap={"ds": NS_DS})
    signed_info = etree.SubElement(signature, f"{_DS}SignedInfo")
    etree.SubElement(signed_info, f"{_DS}CanonicalizationMethod", Algorithm=EXC_C14N)
    etree.SubElement(signed_info, f"{_DS}SignatureMethod", Algorithm=ECDSA_SHA256)
    reference = etree.SubElement(signed_info, f"{_DS}Reference", URI="")
    transforms = etree.SubElement(reference, f"{_DS}Transforms")
    etree.SubElement(transforms, f"{_DS}Transform", Algorithm=ENVELOPED)
    etree.SubElement(reference, f"{_DS}DigestMethod", Algorithm=SHA256)
    etree.SubElement(reference, f"{_DS}DigestValue").text = digest
    der = identity.key.sign(_c14n(signed_info, exclusive=True), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    size = (identity.key.curve.key_size + 7) // 8
    raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    etree.SubElement(signature, f"{_DS}SignatureValue").text = base64.b64encode(raw).decode("ascii")
    issuer_serial = etree.SubElement(
        etree.SubElement(etree.SubElement(signature, f"{_DS}KeyInfo"), f"{_DS}X509Data"), f"{_DS}X509IssuerSerial"
    )
    etree.SubElement(issuer_serial, f"{_DS}X509IssuerName").text = issuer_string(identity.certificate)
    etree.SubElement(issuer_serial, f"{_DS}X509SerialNumber").text = str(identity.certificate.serial_number)
    return root


class TrustStore:
    """Certificates trusted to sign DUIS messages, looked up by serial number as DCC Boxed does."""

    def __init__(self, certificates: Iterable[x509.Certificate] = ()) -> None:
        self._by_serial: dict[int, list[x509.Certificate]] = {}
        for cert in certificates:
            self.add(cert)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> TrustStore:
        """Trust each certificate file in ``paths``."""
        return cls(load_certificate(p) for p in paths)

    def add(self, cert: x509.Certificate) -> None:
        """Trust one more certificate."""
        bucket = self._by_serial.setdefault(cert.serial_number, [])
        if cert not in bucket:
            bucket.append(cert)

    def __iter__(self) -> Iterator[x509.Certificate]:
        for bucket in self._by_serial.values():
            yield from bucket

    def __len__(self) -> int:
        return sum(len(b) for b in self._by_serial.values())

    def find(self, serial: int, issuer: str | None = None) -> x509.Certificate | None:
        """The trusted certificate with ``serial`` (and, when several share it, the matching issuer)."""
        bucket = self._by_serial.get(serial, [])
        if len(bucket) > 1 and issuer is not None:
            wanted = _normalise_dn(issuer)
            bucket = [c for c in bucket if _normalise_dn(issuer_string(c)) == wanted] or bucket
        return bucket[0] if bucket else None

    def for_eui(self, eui: str) -> list[x509.Certificate]:
        """Trusted certificates whose subject names ``eui``."""
        wanted = normalise_eui(eui)
        return [c for c in self if certificate_eui(c) == wanted]


def _normalise_dn(text: str) -> str:
    parts = [p.strip().replace(" ", "") for p in text.replace(";", ",").split(",") if p.strip()]
    return ",".join(sorted(p.upper() for p in parts))


class SignatureStatus(str, Enum):
    """Outcome of checking a document's signature."""

    VERIFIED = "verified"
    UNSIGNED = "unsigned"
    INVALID = "invalid"
    UNKNOWN_SIGNER = "unknown-signer"


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """What the verifier found: the status, why, and who signed (when known). Evidence for reports."""

    status: SignatureStatus
    reason: str
    serial: int | None = None
    issuer: str | None = None
    signer_eui: str | None = None

    @property
    def verified(self) -> bool:
        """True only for a signature that verified against a trusted certificate."""
        return self.status is SignatureStatus.VERIFIED

    def summary(self) -> str:
        """One line for evidence and error messages."""
        who = f" by serial {self.serial}" if self.serial is not None else ""
        eui = f" ({self.signer_eui})" if self.signer_eui else ""
        return f"{self.status.value}{who}{eui}: {self.reason}"


_EXPECT: Final = SignatureConfiguration(
    require_x509=False,
    signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
    default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0,
)


def _profile_problem(signature: etree._Element, root: etree._Element) -> str | None:
    if signature.getparent() is not root:
        return "ds:Signature is not a child of the document root (not an enveloped signature)"
    structure = structure_problem(signature)
    if structure:
        return structure
    # The structure is the profile's, so every element is where it is read from below.
    signed_info, signature_value = signature[0], signature[1]
    c14n, method, reference = signed_info
    transforms, digest_method, digest_value = reference
    if method.get("Algorithm") != ECDSA_SHA256:
        return f"SignatureMethod {method.get('Algorithm')} is not ecdsa-sha256"
    if c14n.get("Algorithm") != EXC_C14N:
        return f"CanonicalizationMethod {c14n.get('Algorithm')} is not exclusive C14N"
    if reference.get("URI") != "":
        return 'the signature must have exactly one Reference with URI=""'
    algorithms = tuple(t.get("Algorithm") for t in transforms)
    if algorithms not in _ACCEPTED_TRANSFORMS:
        return f"Reference transforms {list(algorithms)} are not the enveloped-signature profile"
    if digest_method.get("Algorithm") != SHA256:
        return f"DigestMethod {digest_method.get('Algorithm')} is not SHA-256"
    for name, node in (("DigestValue", digest_value), ("SignatureValue", signature_value)):
        if not (node.text or "").strip() or not is_strict_base64(node.text or ""):
            return f"ds:{name} is empty or not base64"
    return None


#: XML's whitespace (XML 1.0 production S); xs:base64Binary collapses it, and only it.
_XML_WHITESPACE: Final = str.maketrans("", "", " \t\r\n")
#: Whole quads; a padded end leaves zero bits behind its last character (XSD's Base64 grammar, spaces removed).
_BASE64_COMPACT: Final = re.compile(
    r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=|[A-Za-z0-9+/][AQgw]==)?"
)


def is_strict_base64(text: str) -> bool:
    """``text`` is in the lexical space of ``xs:base64Binary`` (XSD 1.1 Part 2 3.3.16): base64 characters with
    XML whitespace anywhere, whole quads, ``=`` padding only at the end and zero bits behind the last character
    (the canonical encoding of what it decodes to).

    Python's ``b64decode`` (as signxml uses it) skips foreign characters, so the signature's own values are held to
    the grammar here.
    """
    return _BASE64_COMPACT.fullmatch(text.translate(_XML_WHITESPACE)) is not None


def _base64_value(text: str | None) -> bytes:
    """The octets of a value :func:`is_strict_base64` accepted."""
    return base64.b64decode((text or "").translate(_XML_WHITESPACE))


def unread_markup(root: etree._Element) -> str | None:
    """Why what is read from ``root`` could differ from what a signature over it covers, or None.

    Canonical XML without comments (what the digest covers) drops comments and joins the text around them, but a
    reader of ``.text`` stops at the first comment: ``<ResponseCode>I9<!---->9</ResponseCode>`` is signed as ``I99``
    and read as ``I9`` (the comment-truncation class, CVE-2017-11427 and siblings). So a document with a comment or
    processing instruction anywhere in its root element is refused as a whole, signed or not: what is verified is
    then exactly what is read."""
    node = next(root.iter(etree.Comment, etree.ProcessingInstruction), None)
    if node is None:
        return None
    kind = "comment" if isinstance(node, etree._Comment) else "processing instruction"
    parent = node.getparent()
    where = etree.QName(parent).localname if parent is not None else "the document"
    return (
        f"a {kind} inside {where} (line {node.sourceline}): signed content must carry none, or what is verified "
        "(canonical XML, without it) is not what is read"
    )


def _issuer_serial(signature: etree._Element) -> tuple[int | None, str | None]:
    node = signature.find(f"{_DS}KeyInfo/{_DS}X509Data/{_DS}X509IssuerSerial")
    if node is None:
        return None, None
    text = (node.findtext(f"{_DS}X509SerialNumber") or "").strip()
    issuer = node.findtext(f"{_DS}X509IssuerName")
    # X.509 serial numbers are at most 20 octets (RFC 5280 4.1.2.2): 49 decimal digits. Longer is no serial (and
    # int() of thousands of digits raises).
    return (int(text) if text.isdigit() and len(text) <= 49 else None), issuer


def verify(
    root: etree._Element, trust: TrustStore, *, at: datetime | None = None, engine: str = "profile"
) -> SignatureCheck:
    """Check the signature of the document rooted at ``root``; never raises for a bad signature.

    :param trust: the certificates that may sign.
    :param at: the moment the certificate must be valid at (default: now). Pass the message's own date-time to
        judge a message as of when it was made.
    :param engine: ``"profile"`` (default): this module's verifier for the fixed DCC Boxed profile, about three
        times faster than a general one; ``"signxml"``: the general-purpose signxml verifier (the tests' oracle);
        ``"both"``: each must verify, and a disagreement is reported.
    """
    if engine not in ENGINES:
        raise ValueError(f"signature engine {engine!r}: choose one of {', '.join(ENGINES)}")
    unread = unread_markup(root)
    if unread is not None:  # before anything else: an unsigned document is read the same way
        return SignatureCheck(SignatureStatus.INVALID, unread)
    signatures = list(root.iter(f"{_DS}Signature"))
    if not signatures:
        return SignatureCheck(SignatureStatus.UNSIGNED, "the document carries no ds:Signature")
    if len(signatures) > 1:
        return SignatureCheck(SignatureStatus.INVALID, f"{len(signatures)} ds:Signature elements; exactly one allowed")
    signature = signatures[0]
    serial, issuer = _issuer_serial(signature)
    problem = _profile_problem(signature, root)
    if problem:
        return SignatureCheck(SignatureStatus.INVALID, problem, serial, issuer)
    if serial is None:
        return SignatureCheck(SignatureStatus.INVALID, "KeyInfo has no X509IssuerSerial with a decimal serial number")
    cert = trust.find(serial, issuer)
    if cert is None:
        return SignatureCheck(
            SignatureStatus.UNKNOWN_SIGNER, f"no trusted certificate has serial {serial}", serial, issuer
        )
    return _verify_with(root, cert, serial, issuer, at, engine)


def _verify_with(
    root: etree._Element,
    cert: x509.Certificate,
    serial: int,
    issuer: str | None,
    at: datetime | None,
    engine: str,
) -> SignatureCheck:
    eui = certificate_eui(cert)
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    if not cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc:
        reason = f"certificate serial {serial} is not valid at {moment.isoformat()}"
        return SignatureCheck(SignatureStatus.INVALID, reason, serial, issuer, eui)
    outcomes = []
    if engine in ("profile", "both"):
        try:
            outcomes.append(("profile verifier", _profile_verify(root, cert)))
        except (etree.LxmlError, ValueError) as exc:  # e.g. C14N of a relative namespace URI: no crash, a refusal
            outcomes.append(("profile verifier", f"cannot be canonicalised: {exc}"))
    if engine in ("signxml", "both"):
        outcomes.append(("signxml", _signxml_verify(root, cert, moment)))
    failures = [(name, problem) for name, problem in outcomes if problem is not None]
    if failures:
        name, problem = failures[0]
        if len(outcomes) > 1 and len(failures) < len(outcomes):
            problem = f"{name} refuses what the other verifier accepts: {problem}"
        return SignatureCheck(SignatureStatus.INVALID, problem, serial, issuer, eui)
    return SignatureCheck(SignatureStatus.VERIFIED, "signature and digest verify", serial, issuer, eui)


def _signxml_verify(root: etree._Element, cert: x509.Certificate, moment: datetime) -> str | None:
    """signxml's verdict on the whole document (None when it verifies): the general-purpose XMLDSig verifier."""
    config = SignatureConfiguration(
        require_x509=_EXPECT.require_x509,
        signature_methods=_EXPECT.signature_methods,
        digest_algorithms=_EXPECT.digest_algorithms,
        default_reference_c14n_method=_EXPECT.default_reference_c14n_method,
        verification_time=moment,
    )
    try:
        XMLVerifier().verify(etree.tostring(root), x509_cert=cert, expect_config=config)
    except (XmlInvalidSignature, InvalidSignature, InvalidInput) as exc:
        return f"does not verify: {exc}".rstrip(": ")
    except (ValueError, TypeError, etree.LxmlError, SignXMLException) as exc:
        return f"cannot be checked: {exc}"
    return None


def _profile_verify(root: etree._Element, cert: x509.Certificate) -> str | None:
    """Verify a signature already held to the profile (:func:`_profile_problem`); None when it verifies.

    1. ECDSA-SHA256, with the certificate's key, over the exclusive C14N of SignedInfo; the SignatureValue must be
       exactly r‖s for the key's curve.
    2. The Reference is read back from the canonical bytes just verified (what was signed, not what the tree
       says), and its DigestValue compared with SHA-256 of the document without the signature, canonicalised as
       the signed transforms say: inclusive C14N 1.0 (the XMLDSig default for a node-set), or exclusive C14N when
       that transform is there.
    """
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return f"the certificate holds a {type(key).__name__}, not an EC key for ecdsa-sha256"
    signature = next(root.iter(f"{_DS}Signature"))
    signed_info, signature_value = signature[0], signature[1]  # the profile's structure
    signed_bytes = bytes(etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False))
    raw = _base64_value(signature_value.text)
    size = (key.curve.key_size + 7) // 8
    if len(raw) != 2 * size:
        return f"does not verify: SignatureValue is {len(raw)} bytes; {2 * size} (r and s) expected"
    try:
        key.verify(
            encode_dss_signature(int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big")),
            signed_bytes,
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature:
        return "does not verify: the SignatureValue is not the signer's signature over SignedInfo"
    signed = parse(signed_bytes, what="canonical SignedInfo").getroot()
    reference = signed.find(f"{_DS}Reference")
    digest_node = None if reference is None else reference.find(f"{_DS}DigestValue")
    if reference is None or digest_node is None or reference.get("URI") != "":
        return 'does not verify: the signed SignedInfo has no Reference with URI="" and a DigestValue'
    algorithms = tuple(t.get("Algorithm") for t in reference.iterfind(f"{_DS}Transforms/{_DS}Transform"))
    if algorithms not in _ACCEPTED_TRANSFORMS:
        return f"Reference transforms {list(algorithms)} are not the enveloped-signature profile"
    document = copy.deepcopy(root)
    _detach_enveloped(next(document.iter(f"{_DS}Signature")))
    exclusive = algorithms[-1] == EXC_C14N
    canonical = etree.tostring(document, method="c14n", exclusive=exclusive, with_comments=False)
    if not hmac.compare_digest(hashlib.sha256(canonical).digest(), _base64_value(digest_node.text)):
        return "does not verify: the digest of the document does not match the signed DigestValue"
    return None


def _detach_enveloped(signature: etree._Element) -> None:
    """The enveloped-signature transform: drop the signature, keeping the text that followed it."""
    parent = signature.getparent()
    assert parent is not None
    if signature.tail:
        previous = signature.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + signature.tail
        else:
            previous.tail = (previous.tail or "") + signature.tail
    parent.remove(signature)


__all__ = [
    "ECDSA_SHA256",
    "ENVELOPED",
    "EXC_C14N",
    "SHA256",
    "SignatureCheck",
    "SignatureStatus",
    "SigningIdentity",
    "TrustStore",
    "certificate_eui",
    "issuer_string",
    "load_certificate",
    "load_private_key",
    "sign",
    "subject_common_name",
    "unread_markup",
    "verify",
]

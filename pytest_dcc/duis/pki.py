"""A throw-away DUIS test PKI, generated at run time: a CA, the DCC's response-signing identity, one per user.

Certificates carry the signer's EUI-64 in the subject's x500UniqueIdentifier (as DUIS XML-signing certificates do)
and keys are EC prime256v1. Nothing here is ever committed; :func:`write_pki` stores a PKI in a folder so the
reference server and the suite can share it (``pytest-dcc serve --pki DIR`` and ``--dcc-pki DIR``).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pytest_dcc.duis.certificates import certificate_eui
from pytest_dcc.duis.ids import eui_hex, normalise_eui
from pytest_dcc.duis.private_files import (
    open_lock,
    private_dir,
    read_private,
    read_private_if_present,
    write_private,
)
from pytest_dcc.duis.signing import SigningIdentity, TrustStore, load_certificate, load_private_key
from pytest_dcc.errors import ConfigError
from pytest_dcc.spec import DCC_EUI

_MANIFEST: Final = "pki.json"
#: Subject OU of DUIS XML-signing certificates: 87 (= 135, XmlSign) for users, 89 (= 137, DspXmlSign) for the DCC.
_OU_USER: Final = "87"
_OU_DCC: Final = "89"
#: Organisational units of the DSP's response-signing certificates: DspXmlSign (89), and 137 as DCC Boxed's
#: certificates before 1.4.1 carry it.
DSP_OUS: Final = frozenset({_OU_DCC, "137"})


def is_dsp_certificate(cert: x509.Certificate, dsp_eui: str) -> bool:
    """Whether ``cert`` is a response-signing certificate of the DSP ``dsp_eui``: it names that EUI-64 under a DSP
    XML-signing organisational unit (:data:`DSP_OUS`). A user's certificate (OU 87) never is."""
    units = {str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)}
    return certificate_eui(cert) == normalise_eui(dsp_eui) and bool(units & DSP_OUS)


def _name(ou: str, eui: str | None, cn: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou)]
    if cn:
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    if eui:
        raw = bytes.fromhex(eui_hex(eui))
        attributes.append(x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, raw, _type=x509.name._ASN1Type.BitString))  # type: ignore[arg-type]
    return x509.Name(attributes)


def _certificate(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    ca: bool,
) -> x509.Certificate:
    now = datetime.now(UTC) - timedelta(days=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    return builder.sign(issuer_key, hashes.SHA256())


def self_signed_certificate(ou: str, eui: str) -> x509.Certificate:
    """A fresh self-signed P-256 certificate naming ``eui`` (x500UniqueIdentifier) under organisational unit
    ``ou``; the reference DCC gives its simulated devices these."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(ou, eui)
    return _certificate(name, key, name, key, ca=False)


@dataclass
class TestPki:
    """A CA plus signing identities keyed by EUI-64: the DCC's and one per user."""

    __test__ = False  # not a pytest test class, despite the name

    ca_key: ec.EllipticCurvePrivateKey
    ca_certificate: x509.Certificate
    identities: dict[str, SigningIdentity] = field(default_factory=dict)

    @classmethod
    def generate(cls, users: Iterable[str] = (), dcc_eui: str = DCC_EUI) -> TestPki:
        """A fresh PKI with the DCC's identity and one for each user EUI-64."""
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name("07", None, "pytest-dcc test CA")
        pki = cls(ca_key, _certificate(ca_name, ca_key, ca_name, ca_key, ca=True))
        pki.add(dcc_eui, dcc=True)
        for user in users:
            pki.add(user)
        return pki

    def add(self, eui: str, *, dcc: bool = False) -> SigningIdentity:
        """Issue (or return the existing) signing identity for ``eui``."""
        key_eui = normalise_eui(eui)
        if key_eui not in self.identities:
            key = ec.generate_private_key(ec.SECP256R1())
            subject = _name(_OU_DCC if dcc else _OU_USER, key_eui)
            cert = _certificate(subject, key, self.ca_certificate.subject, self.ca_key, ca=False)
            self.identities[key_eui] = SigningIdentity(key, cert)
        return self.identities[key_eui]

    def identity(self, eui: str) -> SigningIdentity:
        """The identity for ``eui``; :class:`ConfigError` when the PKI has none."""
        try:
            return self.identities[normalise_eui(eui)]
        except KeyError:
            raise ConfigError(f"the test PKI has no signing identity for {eui}") from None

    def trust(self) -> TrustStore:
        """Every certificate of this PKI, as a trust store."""
        return TrustStore(i.certificate for i in self.identities.values())

    def dsp_trust(self, dsp_eui: str = DCC_EUI) -> TrustStore:
        """The certificates trusted to sign what the DCC answers and delivers: the DSP's response-signing ones
        (:func:`is_dsp_certificate`), never a user's."""
        return TrustStore(c for c in self.trust() if is_dsp_certificate(c, dsp_eui))


def write_pki(pki: TestPki, folder: Path) -> None:
    """Store ``pki`` in ``folder``: ``<EUI>.key`` (PKCS#8 DER), ``<EUI>.pem``, ``ca.key``, ``ca.pem`` and
    ``pki.json``, each mode 0600 and written atomically, never through a link (a link planted in the folder, or the
    folder being one, is a :class:`ConfigError` naming it: :mod:`pytest_dcc.duis.private_files`); the folder is
    held to 0700. Users the folder already holds under the same CA and ``pki`` lacks stay listed (another process,
    a parallel worker, added them): call it under :func:`folder_lock`."""
    private_dir(folder)
    entries = _kept_entries(pki, folder)
    files: dict[str, bytes] = {}
    for eui, identity in pki.identities.items():
        stem = eui_hex(eui).upper()
        files[f"{stem}.key"] = _key_bytes(identity.key)
        files[f"{stem}.pem"] = identity.certificate.public_bytes(serialization.Encoding.PEM)
        entries[eui] = {"key": f"{stem}.key", "certificate": f"{stem}.pem"}
    files["ca.pem"] = pki.ca_certificate.public_bytes(serialization.Encoding.PEM)
    files["ca.key"] = _key_bytes(pki.ca_key)
    files[_MANIFEST] = json.dumps({"identities": entries}, indent=2, sort_keys=True).encode("utf-8")  # last
    paths = [_member(folder, name) for name in files]  # a link in any place: refused before anything is written
    for path, data in zip(paths, files.values(), strict=True):
        write_private(path, data)


def _key_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _kept_entries(pki: TestPki, folder: Path) -> dict[str, dict[str, str]]:
    """The manifest entries of ``folder`` for users ``pki`` lacks, when the folder holds ``pki``'s CA (a link
    in their place is a :class:`ConfigError`)."""
    ca = read_private_if_present(folder / "ca.pem")
    manifest = read_private_if_present(folder / _MANIFEST)
    if ca != pki.ca_certificate.public_bytes(serialization.Encoding.PEM) or manifest is None:
        return {}
    try:
        entries = json.loads(manifest)["identities"]
        kept = {str(e): dict(f) for e, f in entries.items() if normalise_eui(str(e)) not in pki.identities}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}
    for files in kept.values():
        for name in (files.get("key"), files.get("certificate")):
            _member(folder, name)
    return kept


def _member(folder: Path, name: object) -> Path:
    """File ``name`` of PKI folder ``folder``: a plain name in that folder (no path, no link), else a
    :class:`ConfigError` naming it."""
    if not isinstance(name, str) or not name or name in {".", ".."} or "/" in name or "\\" in name:
        raise ConfigError(f"{folder / _MANIFEST} names {name!r}, which is not a file name in {folder}")
    path = folder / name
    if path.is_symlink():
        raise ConfigError(f"{path} is a symbolic link; a test PKI's files must not be links")
    return path


def read_pki(folder: Path) -> TestPki:
    """Load a PKI written by :func:`write_pki`; :class:`ConfigError` names what is missing, and any link (the
    folder, the manifest, a key or certificate) or file name outside the folder that the manifest names."""
    if folder.is_symlink():
        raise ConfigError(f"{folder} is a symbolic link; a test PKI folder must be a real folder")
    manifest = folder / _MANIFEST
    if not os.path.lexists(manifest):
        raise ConfigError(
            f"{folder} is not a pytest-dcc test PKI (no {_MANIFEST}); create it with 'pytest-dcc serve --pki {folder}'"
        )
    try:
        entries = json.loads(read_private(manifest))["identities"]
        listed = [(normalise_eui(str(eui)), files["key"], files["certificate"]) for eui, files in entries.items()]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{manifest} is unreadable: {exc}") from None
    pki = TestPki(load_private_key(_member(folder, "ca.key")), load_certificate(_member(folder, "ca.pem")))
    for eui, key, certificate in listed:
        pki.identities[eui] = SigningIdentity.from_files(_member(folder, key), _member(folder, certificate))
    return pki


@dataclass
class ShippedPki(TestPki):
    """A PKI as DCC Boxed ships it (``xml-sign-<EUI>-ds.key`` PKCS#8 DER beside ``xml-sign-<EUI>-ds.pem``, the DSP's
    ``dsp-xml-sign-<EUI>-ds``), read in place and never written: it issues nothing, so a user it holds no key for
    is a :class:`ConfigError` naming the ones it does hold. Certificates without a key (an older DSP certificate,
    the access control broker's) are trusted to sign responses."""

    __test__ = False
    folder: Path = Path()
    extra_trust: list[x509.Certificate] = field(default_factory=list)

    def add(self, eui: str, *, dcc: bool = False) -> SigningIdentity:
        key_eui = normalise_eui(eui)
        if key_eui not in self.identities:
            held = ", ".join(sorted(self.identities))
            raise ConfigError(
                f"the PKI in {self.folder} (as DCC Boxed ships it) has no key for {key_eui}; it holds {held}"
            )
        return self.identities[key_eui]

    def trust(self) -> TrustStore:
        return TrustStore([*(i.certificate for i in self.identities.values()), *self.extra_trust])


def is_shipped_pki(folder: Path) -> bool:
    """Whether ``folder`` holds keys as DCC Boxed ships them (and is not a pytest-dcc test PKI)."""
    return folder.is_dir() and not (folder / _MANIFEST).is_file() and any(folder.glob("*xml-sign-*.pem"))


def read_shipped_pki(folder: Path) -> ShippedPki:
    """Read DCC Boxed's XML-signing keys and certificates in ``folder`` (the EUI of each comes from its certificate's
    x500UniqueIdentifier)."""
    from pytest_dcc.duis.signing import certificate_eui

    identities: dict[str, SigningIdentity] = {}
    extra: list[x509.Certificate] = []
    for pem in sorted(folder.glob("*xml-sign-*.pem")) + sorted(folder.glob("*XmlSign*.pem")):
        cert = load_certificate(pem)
        eui = certificate_eui(cert)
        key = pem.with_suffix(".key")
        if eui is not None and key.is_file() and eui not in identities:
            identities[eui] = SigningIdentity(load_private_key(key), cert)
        else:
            extra.append(cert)
    if DCC_EUI not in identities:
        raise ConfigError(f"{folder}: no DSP signing key (dsp-xml-sign-*.key) for {DCC_EUI}")
    throwaway = ec.generate_private_key(ec.SECP256R1())  # a ShippedPki issues nothing: its CA is never used
    name = _name("07", None, "unused")
    return ShippedPki(throwaway, _certificate(name, throwaway, name, throwaway, ca=True), identities, folder, extra)


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the lock of PKI folder ``folder`` (a file beside it): ``pytest-dcc serve`` and the suite started at the
    same moment on the same, still empty, state folder must not each create a PKI of their own. The folder is
    created 0700 (missing parents too) and a link in its place or the lock file's is a :class:`ConfigError`."""
    import fcntl  # POSIX only, as the counter store

    private_dir(folder)
    with open_lock(folder.parent / f".{folder.name}.lock") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def load_or_create_pki(folder: Path, users: Iterable[str] = ()) -> TestPki:
    """Reuse the PKI in ``folder``, adding identities for new ``users``, or create one there (under the folder's
    lock: two processes creating it at once end up with the same one). A folder of keys as DCC Boxed ships them is
    read in place and never written (:class:`ShippedPki`). A link planted in a test PKI folder (or the folder
    being one) is a :class:`ConfigError` naming it, and nothing is written through it."""
    if is_shipped_pki(folder):
        shipped = read_shipped_pki(folder)
        for user in users:
            shipped.add(user)
        return shipped
    with folder_lock(folder):
        present = os.path.lexists(folder / _MANIFEST)
        pki = read_pki(folder) if present else TestPki.generate()
        before = set(pki.identities)
        for user in users:
            pki.add(user)
        if set(pki.identities) != before or not present:
            write_pki(pki, folder)
    return pki


__all__ = [
    "DSP_OUS",
    "ShippedPki",
    "is_dsp_certificate",
    "folder_lock",
    "TestPki",
    "is_shipped_pki",
    "load_or_create_pki",
    "read_pki",
    "read_shipped_pki",
    "self_signed_certificate",
    "write_pki",
]

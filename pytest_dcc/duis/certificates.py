"""Certificates and keys as DUIS uses them: the EUI-64 in a subject's x500UniqueIdentifier, the issuer as
``X509IssuerName`` writes it, reading PEM/DER certificates and EC keys with errors that name the file."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pytest_dcc.duis.ids import normalise_eui
from pytest_dcc.errors import ConfigError

_UNIQUE_ID_OID: Final = x509.ObjectIdentifier("2.5.4.45")


@functools.lru_cache(maxsize=256)
def certificate_eui(cert: x509.Certificate) -> str | None:
    """The EUI-64 in the subject's x500UniqueIdentifier (``#030900<8 octets>``), or ``None`` (cached per
    certificate: it is asked for every message)."""
    for attribute in cert.subject.get_attributes_for_oid(_UNIQUE_ID_OID):
        raw = attribute.value
        octets = raw if isinstance(raw, bytes) else raw.encode("latin-1")
        if len(octets) >= 8:
            return normalise_eui(octets[-8:].hex())
    return None


@functools.lru_cache(maxsize=256)
def issuer_string(cert: x509.Certificate) -> str:
    """The issuer in the RFC 2253 form DCC Boxed writes into ``X509IssuerName`` (``CN=Z1,OU=07``)."""
    return cert.issuer.rfc4514_string()


def _read(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from None


def load_certificate(path: str | Path) -> x509.Certificate:
    """Read a PEM or DER certificate, with a :class:`ConfigError` naming the file on failure."""
    data = _read(path, "certificate")
    try:
        return x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise ConfigError(f"{path} is not an X.509 certificate: {exc}") from None


def load_private_key(path: str | Path) -> ec.EllipticCurvePrivateKey:
    """Read a PKCS#8 (DER or PEM) or SEC1 PEM EC private key, unencrypted."""
    data = _read(path, "private key")
    try:
        key = (
            serialization.load_pem_private_key(data, password=None)
            if b"-----BEGIN" in data
            else serialization.load_der_private_key(data, password=None)
        )
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path} is not an unencrypted private key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ConfigError(f"{path} holds a {type(key).__name__}; DUIS signing keys are EC (prime256v1)")
    return key


def subject_common_name(cert: x509.Certificate) -> str:
    """A short label for a certificate: its CN, OU or serial."""
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME):
        values = cert.subject.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)
    return f"serial {cert.serial_number}"


__all__ = ["certificate_eui", "issuer_string", "load_certificate", "load_private_key", "subject_common_name"]

"""Putting a reference DCC together: PKI, inventory, release."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pytest_dcc.duis.pki import TestPki
from pytest_dcc.duis.schema import DuisSchema
from pytest_dcc.duis.signing import SigningIdentity
from pytest_dcc.reference.dcc import ReferenceDcc
from pytest_dcc.reference.inventory import Inventory, User
from pytest_dcc.spec import DCC_EUI
from pytest_dcc.spec.releases import Release


def give_certificate(dcc: ReferenceDcc, user: User, certificate: x509.Certificate) -> None:
    """Register ``certificate`` as ``user``'s XML-signing certificate."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    dcc.inventory.put_user(User(user.eui, user.role, user.status, der))


def attach_user_certificates(dcc: ReferenceDcc, pki: TestPki) -> None:
    """Give every inventory user that has an identity in ``pki`` (and no certificate yet) its XML-signing cert."""
    for user in dcc.inventory.users():
        identity = pki.identities.get(user.eui)
        if user.certificate is None and identity is not None:
            give_certificate(dcc, user, identity.certificate)


def build_reference(
    pki: TestPki | None,
    *,
    release: str | Release = "latest",
    inventory: Mapping[str, Any] | None = None,
    db: str | Path | None = None,
    verify_signatures: bool = True,
    identity: SigningIdentity | None = None,
    schema: DuisSchema | None = None,
) -> ReferenceDcc:
    """The one place a reference DCC is put together: signing with ``identity`` (by default ``pki``'s DCC
    identity), its SMI in ``db`` (memory by default), seeded with ``inventory``, each user given its certificate
    from ``pki`` whenever it is seeded."""
    if identity is None:
        if pki is None:
            raise ValueError("a reference DCC needs a PKI or a signing identity")
        identity = pki.identity(DCC_EUI)
    dcc = ReferenceDcc(
        identity=identity,
        release=release,
        inventory=Inventory(db),
        verify_signatures=verify_signatures,
        schema=schema,
    )
    if pki is not None:
        dcc.on_seed = lambda d: attach_user_certificates(d, pki)
    if inventory:
        dcc.seed(inventory)
    return dcc


__all__ = ["attach_user_certificates", "build_reference", "give_certificate"]

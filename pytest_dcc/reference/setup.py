"""Putting a reference DCC together: PKI, inventory, release."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from pytest_dcc.duis.pki import TestPki
from pytest_dcc.reference.dcc import ReferenceDcc
from pytest_dcc.reference.inventory import Inventory, User
from pytest_dcc.spec import DCC_EUI


def attach_user_certificates(dcc: ReferenceDcc, pki: TestPki) -> None:
    """Give every inventory user that has an identity in ``pki`` (and no certificate yet) its XML-signing cert."""
    for user in dcc.inventory.users():
        identity = pki.identities.get(user.eui)
        if user.certificate is None and identity is not None:
            der = identity.certificate.public_bytes(serialization.Encoding.DER)
            dcc.inventory.put_user(User(user.eui, user.role, user.status, der))


def build_reference(
    pki: TestPki,
    *,
    release: str = "latest",
    inventory: Mapping[str, Any] | None = None,
    db: str | Path | None = None,
    verify_signatures: bool = True,
) -> ReferenceDcc:
    """A reference DCC signing with ``pki``'s DCC identity, seeded with ``inventory``, users' certificates from
    ``pki``."""
    dcc = ReferenceDcc(
        identity=pki.identity(DCC_EUI),
        release=release,
        inventory=Inventory(db),
        verify_signatures=verify_signatures,
    )
    dcc.on_seed = lambda d: attach_user_certificates(d, pki)
    if inventory:
        dcc.seed(inventory)
    return dcc


__all__ = ["attach_user_certificates", "build_reference"]

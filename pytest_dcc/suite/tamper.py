"""Requests broken on purpose, and only where the scenario says: each stays valid against the DUIS schema, so an
endpoint can refuse it only by checking what the scenario is about (the signature)."""

from __future__ import annotations

import base64
from typing import Final

from lxml import etree

from pytest_dcc.errors import HarnessError
from pytest_dcc.spec import NS_DS, NS_SR

_SR: Final = f"{{{NS_SR}}}"
_DS: Final = f"{{{NS_DS}}}"
#: Signed values changed into another value the schema admits.
OTHER_VALUE: Final = {
    "CredentialType": {"Digital Signature": "Key Agreement", "Key Agreement": "Digital Signature"},
}


def change_signed_value(signed: bytes) -> bytes:
    """The signed request ``signed`` with one signed element's value replaced by another schema-valid value (the
    signature no longer matches the content)."""
    root = etree.fromstring(signed)
    for tag, others in OTHER_VALUE.items():
        node = root.find(f".//{_SR}{tag}")
        if node is not None and node.text in others:
            before, after = f">{node.text}<".encode(), f">{others[node.text]}<".encode()
            return signed.replace(before, after, 1)
    raise HarnessError(f"the request carries none of {sorted(OTHER_VALUE)} to change after signing")


def flip_signature_bit(root: etree._Element) -> None:
    """Flip one bit in the middle of ``root``'s SignatureValue (still valid base64 of the same length)."""
    node = root.find(f".//{_DS}SignatureValue")
    if node is None or not node.text:
        raise HarnessError("the signed request has no SignatureValue")
    raw = bytearray(base64.b64decode("".join(node.text.split())))
    raw[len(raw) // 2] ^= 0x01
    node.text = base64.b64encode(bytes(raw)).decode("ascii")


__all__ = ["OTHER_VALUE", "change_signed_value", "flip_signature_bit"]

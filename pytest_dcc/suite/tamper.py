"""Requests broken on purpose, and only where the scenario says: each stays valid against the DUIS schema, so an
endpoint can refuse it only by checking what the scenario is about (the signature)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
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
#: Signed ``xs:dateTime`` values changed by moving them one year later (still a valid dateTime, still in the future
#: where the original was).
LATER: Final = frozenset({"RestrictionDateTime", "ExecutionDateTime"})


def one_year_later(text: str) -> str:
    """``text`` (an ``xs:dateTime`` whose year has four digits) one year later."""
    year = text[:4]
    if not year.isdigit() or text[4:5] != "-":
        raise HarnessError(f"{text!r} is not an xs:dateTime with a four-digit year")
    return f"{int(year) + 1:04d}{text[4:]}"


def change_signed_value(signed: bytes, others: Mapping[str, Mapping[str, str]] = OTHER_VALUE) -> bytes:
    """The signed request ``signed`` with its first body element that ``others`` (tag -> value -> another value) or
    :data:`LATER` covers given another schema-valid value, byte for byte elsewhere (the signature no longer
    matches the content, and nothing else is wrong with the request)."""
    root = etree.fromstring(signed)
    body = root.find(f"{_SR}Body")
    for node in body.iter() if body is not None else ():
        if not isinstance(node.tag, str) or node.text is None:
            continue
        tag = etree.QName(node).localname
        after = others.get(tag, {}).get(node.text)
        if after is None and tag in LATER:
            after = one_year_later(node.text)
        if after is not None:
            before = f">{node.text}<".encode()
            if signed.count(before) != 1:
                continue  # the value also stands elsewhere: changing it there would change more than the body
            return signed.replace(before, f">{after}<".encode(), 1)
    raise HarnessError(f"the request's body carries none of {sorted({*others, *LATER})} to change after signing")


def flip_signature_bit(root: etree._Element) -> None:
    """Flip one bit in the middle of ``root``'s SignatureValue (still valid base64 of the same length)."""
    node = root.find(f".//{_DS}SignatureValue")
    if node is None or not node.text:
        raise HarnessError("the signed request has no SignatureValue")
    raw = bytearray(base64.b64decode("".join(node.text.split())))
    raw[len(raw) // 2] ^= 0x01
    node.text = base64.b64encode(bytes(raw)).decode("ascii")


__all__ = ["LATER", "OTHER_VALUE", "change_signed_value", "flip_signature_bit", "one_year_later"]

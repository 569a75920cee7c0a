"""The exact element structure of a ``ds:Signature`` in the DCC Boxed profile (:mod:`pytest_dcc.duis.signing`):
which children, attributes and text each element may carry, so both verifiers see exactly one shape."""

from __future__ import annotations

from typing import Final

from lxml import etree

from pytest_dcc.spec import NS_DS

_DS: Final = f"{{{NS_DS}}}"

#: The profile's element structure: for each element, the child sequences it may have.
_SHAPE_NAMES: Final[dict[str, list[tuple[str, ...]]]] = {
    "Signature": [("SignedInfo", "SignatureValue"), ("SignedInfo", "SignatureValue", "KeyInfo")],
    "SignedInfo": [("CanonicalizationMethod", "SignatureMethod", "Reference")],
    "CanonicalizationMethod": [()],
    "SignatureMethod": [()],
    "Reference": [("Transforms", "DigestMethod", "DigestValue")],
    "Transforms": [("Transform",), ("Transform", "Transform")],
    "Transform": [()],
    "DigestMethod": [()],
    "DigestValue": [()],
    "SignatureValue": [()],
    "KeyInfo": [("X509Data",)],
    "X509Data": [("X509IssuerSerial",)],
    "X509IssuerSerial": [("X509IssuerName", "X509SerialNumber")],
    "X509IssuerName": [()],
    "X509SerialNumber": [()],
}
_SHAPES: Final = {
    f"{_DS}{name}": frozenset(tuple(f"{_DS}{child}" for child in option) for option in options)
    for name, options in _SHAPE_NAMES.items()
}
#: The attributes the profile's elements carry (no others: DCC Boxed uses no Id, Type or MimeType).
_ATTRIBUTES: Final = {
    f"{_DS}{name}": frozenset(allowed)
    for name, allowed in {
        "CanonicalizationMethod": ["Algorithm"],
        "SignatureMethod": ["Algorithm"],
        "Reference": ["URI"],
        "Transform": ["Algorithm"],
        "DigestMethod": ["Algorithm"],
    }.items()
}
_TEXT_ALLOWED: Final = frozenset(
    f"{_DS}{name}" for name in ("DigestValue", "SignatureValue", "X509IssuerName", "X509SerialNumber")
)


def structure_problem(signature: etree._Element) -> str | None:
    """The profile's element structure, strictly: what the XMLDSig schema allows and the profile does not use
    (objects, manifests, more references, HMAC lengths), comments, processing instructions and stray text are all
    refused, so both verifiers see exactly one shape."""
    if next(signature.iter(etree.Comment, etree.ProcessingInstruction), None) is not None:
        return "ds:Signature contains a comment or processing instruction"
    for node in signature.iter():
        tag = node.tag
        if node.tail and node is not signature and node.tail.strip():
            return f"text {node.tail.strip()[:20]!r} after ds:{etree.QName(node).localname}"
        if node.text and tag not in _TEXT_ALLOWED and node.text.strip():
            return f"text {node.text.strip()[:20]!r} inside {etree.QName(node).localname}"
        if node.attrib and not _ATTRIBUTES.get(tag, frozenset()).issuperset(node.attrib):
            return f"ds:{etree.QName(node).localname} has attributes {sorted(node.attrib)}"
        shapes = _SHAPES.get(tag)
        if shapes is not None:
            children = tuple(child.tag for child in node)
            if children not in shapes:
                found = [etree.QName(c).localname for c in node]
                return f"ds:{etree.QName(node).localname} holds {found}, not what the profile has"
    return None


__all__ = ["structure_problem"]

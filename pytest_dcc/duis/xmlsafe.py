"""Hardened XML parsing: no DTD, no entities, no network, bounded size and depth, UTF-8 only."""

from __future__ import annotations

from typing import Final

from lxml import etree

from pytest_dcc.errors import XmlSecurityError

#: Default ceiling for one DUIS document. DUIS messages are a few kilobytes; 2 MiB leaves room for 17 devices,
#: certificates and GBCS payloads without letting a client exhaust memory.
DEFAULT_MAX_BYTES: Final = 2 * 1024 * 1024


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,  # keeps libxml2's depth (256) and text-node limits
        remove_blank_text=False,
    )


_PARSER: Final = _parser()


def line_of(node: etree._Element) -> int | None:
    """The source line of ``node`` when lxml knows it."""
    line = node.sourceline
    return line if isinstance(line, int) else None


def parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, what: str = "document") -> etree._ElementTree:
    """Parse untrusted XML bytes safely and return the tree.

    :param data: the raw bytes as received.
    :param max_bytes: refuse anything larger, before parsing.
    :param what: a noun for error messages ("request", "response").
    :raises XmlSecurityError: oversize, not well-formed, a DOCTYPE (so any entity declaration), an entity
        reference, or an encoding other than UTF-8.
    """
    if not isinstance(data, bytes | bytearray):
        raise XmlSecurityError(f"{what} must be bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise XmlSecurityError(f"{what} is {len(data)} bytes, over the {max_bytes}-byte limit")
    if not data.strip():
        raise XmlSecurityError(f"{what} is empty")
    try:
        root = etree.fromstring(bytes(data), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise XmlSecurityError(f"{what} is not well-formed XML: {exc}") from None
    tree = root.getroottree()
    info = tree.docinfo
    doctype = info.doctype  # type: ignore[union-attr]  # lxml-stubs lacks DocInfo.doctype
    if doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise XmlSecurityError(f"{what} carries a DOCTYPE; DTDs and entity declarations are refused")
    encoding = (info.encoding or "UTF-8").upper().replace("_", "-")
    if encoding not in {"UTF-8", "UTF8"}:
        raise XmlSecurityError(f"{what} is encoded as {info.encoding}; DUIS documents must be UTF-8")
    for node in root.iter(etree.Entity, etree.ProcessingInstruction):
        kind = "an entity reference" if isinstance(node, etree._Entity) else "a processing instruction"
        raise XmlSecurityError(f"{what} contains {kind} ({node}); refused")
    return tree


def parse_schema_file(path: str) -> etree._ElementTree:
    """Parse a trusted-but-unchecked schema file with the same protections (no network, no entity expansion)."""
    try:
        return etree.parse(path, _parser())
    except (OSError, etree.XMLSyntaxError) as exc:
        raise XmlSecurityError(f"cannot read schema {path}: {exc}") from None


__all__ = ["DEFAULT_MAX_BYTES", "parse", "parse_schema_file"]

"""Hardened XML parsing: no DTD, no entities, no network, bounded size and depth, UTF-8 only, and bounded
structure (namespace declarations, attributes, elements, depth) checked while parsing.

Why the structural limits, and why here: a document of 2 MiB can carry ~150,000 namespace declarations, and
canonicalisation (the signature check's C14N) costs about elements x namespaces in scope, so one such request held
a server for a minute before any key was looked at. Within these limits it costs at most ~0.15 s (measured: about
0.16 us per element per namespace in scope). libxml2's own parse is linear in all of these (measured: 150,000
declarations on one element, 200,000 attributes or 500,000 elements each parse in a fraction of a second), so the
check is made on the parser's events as they come (one linear pass, the document fed in chunks) and the parse is
abandoned at the first limit passed: nothing quadratic (schema, C14N, ``nsmap``) ever sees such a document. Before
that, a count on the bytes (``xmlns``, ``=``, NUL) refuses in a millisecond the floods whose one huge start tag
libxml2 would parse whole while holding the interpreter (other threads, a server's ``/health``, would wait).

The limits are far above any real DUIS document: DCC Boxed's answers and the largest bodies the builder makes
declare at most 4 namespaces (3 on one element), carry 20 attributes (1 on one element), 66 elements and are 10
deep (the size of a body grows with its devices and certificates, its structure barely: a few elements each).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from lxml import etree

from pytest_dcc.errors import XmlSecurityError

#: Default ceiling for one DUIS document. DUIS messages are a few kilobytes; 2 MiB leaves room for 17 devices,
#: certificates and GBCS payloads without letting a client exhaust memory.
DEFAULT_MAX_BYTES: Final = 2 * 1024 * 1024
#: Namespace declarations (``xmlns``, ``xmlns:p``) in the whole document (a serialiser that redeclares the
#: default namespace on every element stays well under it).
MAX_NAMESPACE_DECLARATIONS: Final = 4096
#: Namespace declarations on one element.
MAX_NAMESPACES_PER_ELEMENT: Final = 16
#: Declarations on an element and its ancestors together: what bounds canonicalisation's elements x namespaces.
MAX_NAMESPACES_IN_SCOPE: Final = 32
#: Attributes on one element (namespace declarations not counted).
MAX_ATTRIBUTES_PER_ELEMENT: Final = 32
#: Attributes in the whole document.
MAX_ATTRIBUTES: Final = 20_000
#: Elements in the whole document.
MAX_ELEMENTS: Final = 50_000
#: Element nesting depth (the root is depth 1); libxml2's own limit is 256.
MAX_DEPTH: Final = 64
#: ``=`` signs in the whole document, counted on the bytes before parsing: every attribute and declaration has
#: one, the text of a DUIS document next to none (base64 padding).
MAX_EQUALS_SIGNS: Final = MAX_ATTRIBUTES + MAX_NAMESPACE_DECLARATIONS
#: How much of the document the parser is fed at a time: the granularity at which a limit stops it, and the most
#: the parser works on holding the interpreter (a 4 KiB feed of 1,000 elements: a few milliseconds).
CHUNK_BYTES: Final = 4096

_ABSOLUTE_URI: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")

_OPTIONS: Final[dict[str, Any]] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,  # keeps libxml2's depth (256) and text-node limits
    "remove_blank_text": False,
}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(**_OPTIONS)


def line_of(node: etree._Element) -> int | None:
    """The source line of ``node`` when lxml knows it."""
    line = node.sourceline
    return line if isinstance(line, int) else None


@dataclass(slots=True)
class _Counts:
    """The structure seen so far, checked against the limits after every parser event."""

    what: str
    elements: int = 0
    attributes: int = 0
    namespaces: int = 0
    pending: int = 0  # declarations reported for the next element to start
    scopes: list[int] = field(default_factory=lambda: [0])  # declarations in scope, per open element

    def refuse(self, count: str, limit: int, name: str, element: etree._Element | None = None) -> XmlSecurityError:
        where = f" (at line {line_of(element)})" if element is not None else ""  # built only when refusing
        return XmlSecurityError(
            f"{self.what} has more than {limit} {count}{where} (limit {name}); refused before reading further"
        )

    def namespace(self, uri: str) -> None:
        if uri and _ABSOLUTE_URI.match(uri) is None:
            raise XmlSecurityError(
                f"{self.what} declares the relative namespace URI {uri[:80]!r}; refused (a namespace is an absolute "
                "URI, and canonicalisation, so the signature check, fails on a relative one)"
            )
        self.namespaces += 1
        self.pending += 1
        if self.namespaces > MAX_NAMESPACE_DECLARATIONS:
            raise self.refuse("namespace declarations", MAX_NAMESPACE_DECLARATIONS, "MAX_NAMESPACE_DECLARATIONS")

    def start(self, element: etree._Element) -> None:
        self.elements += 1
        declared, self.pending = self.pending, 0
        self.scopes.append(self.scopes[-1] + declared)
        attributes = len(element.attrib)
        self.attributes += attributes
        if declared > MAX_NAMESPACES_PER_ELEMENT:
            raise self.refuse(
                "namespace declarations on one element",
                MAX_NAMESPACES_PER_ELEMENT,
                "MAX_NAMESPACES_PER_ELEMENT",
                element,
            )
        if self.scopes[-1] > MAX_NAMESPACES_IN_SCOPE:
            raise self.refuse(
                "namespace declarations in scope", MAX_NAMESPACES_IN_SCOPE, "MAX_NAMESPACES_IN_SCOPE", element
            )
        if attributes > MAX_ATTRIBUTES_PER_ELEMENT:
            raise self.refuse(
                "attributes on one element", MAX_ATTRIBUTES_PER_ELEMENT, "MAX_ATTRIBUTES_PER_ELEMENT", element
            )
        if self.attributes > MAX_ATTRIBUTES:
            raise self.refuse("attributes", MAX_ATTRIBUTES, "MAX_ATTRIBUTES")
        if self.elements > MAX_ELEMENTS:
            raise self.refuse("elements", MAX_ELEMENTS, "MAX_ELEMENTS")
        if len(self.scopes) - 1 > MAX_DEPTH:
            raise self.refuse("levels of nesting", MAX_DEPTH, "MAX_DEPTH", element)

    def take(self, events: Iterable[tuple[str, Any]]) -> None:
        for event, item in events:
            if event == "start":
                self.start(item)
            elif event == "end":
                self.scopes.pop()
            else:
                self.namespace(item[1])


def _prescan(data: bytes, what: str) -> None:
    """Refuse, on the bytes (a C-speed count, no parse), what would make one start tag long to parse: libxml2 parses
    a start tag whole, holding the interpreter, so ~150,000 declarations on one element would hold every other
    thread for a tenth of a second before the first event. A declaration has ``xmlns`` in it and an attribute an
    ``=`` in any ASCII-compatible encoding, and a NUL (UTF-16 or UTF-32, never allowed in XML) is refused here."""
    if b"\x00" in data:
        raise XmlSecurityError(f"{what} contains NUL bytes: not UTF-8 (UTF-16 and UTF-32 are refused)")
    if (found := data.count(b"xmlns")) > MAX_NAMESPACE_DECLARATIONS:
        raise XmlSecurityError(
            f"{what} has {found} occurrences of 'xmlns', more than the {MAX_NAMESPACE_DECLARATIONS} namespace "
            "declarations allowed (limit MAX_NAMESPACE_DECLARATIONS); refused before parsing"
        )
    if (found := data.count(b"=")) > MAX_EQUALS_SIGNS:
        raise XmlSecurityError(
            f"{what} has {found} '=' signs, more than its attributes and declarations may have "
            f"({MAX_EQUALS_SIGNS}: limit MAX_EQUALS_SIGNS = MAX_ATTRIBUTES + MAX_NAMESPACE_DECLARATIONS); refused "
            "before parsing"
        )


def _parse_bounded(data: bytes, what: str) -> etree._Element:
    """Parse ``data`` in chunks, counting its structure as the parser reports it; the first limit passed stops
    the parse (:class:`XmlSecurityError`)."""
    parser = etree.XMLPullParser(events=("start", "end", "start-ns"), **_OPTIONS)
    counts = _Counts(what)
    view = memoryview(data)
    for offset in range(0, len(data), CHUNK_BYTES):
        parser.feed(bytes(view[offset : offset + CHUNK_BYTES]))
        counts.take(parser.read_events())
    root = parser.close()
    counts.take(parser.read_events())
    return root


def parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, what: str = "document") -> etree._ElementTree:
    """Parse untrusted XML bytes safely and return the tree.

    :param data: the raw bytes as received.
    :param max_bytes: refuse anything larger, before parsing.
    :param what: a noun for error messages ("request", "response").
    :raises XmlSecurityError: oversize, past a structural limit (``MAX_*``: namespace declarations, attributes,
        elements, depth), not well-formed, a DOCTYPE (so any entity declaration), an entity reference, or an
        encoding other than UTF-8.
    """
    if not isinstance(data, bytes | bytearray):
        raise XmlSecurityError(f"{what} must be bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise XmlSecurityError(f"{what} is {len(data)} bytes, over the {max_bytes}-byte limit")
    if not data.strip():
        raise XmlSecurityError(f"{what} is empty")
    data = bytes(data)
    _prescan(data, what)
    try:
        root = _parse_bounded(data, what)
    except etree.XMLSyntaxError as exc:
        raise XmlSecurityError(f"{what} is not well-formed XML: {exc}") from None
    tree = root.getroottree()
    info = tree.docinfo
    doctype = info.doctype  # type: ignore[attr-defined]  # lxml-stubs lacks DocInfo.doctype
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


__all__ = [
    "CHUNK_BYTES",
    "DEFAULT_MAX_BYTES",
    "MAX_ATTRIBUTES",
    "MAX_ATTRIBUTES_PER_ELEMENT",
    "MAX_DEPTH",
    "MAX_ELEMENTS",
    "MAX_EQUALS_SIGNS",
    "MAX_NAMESPACES_IN_SCOPE",
    "MAX_NAMESPACES_PER_ELEMENT",
    "MAX_NAMESPACE_DECLARATIONS",
    "parse",
    "parse_schema_file",
]

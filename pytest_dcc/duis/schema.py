"""DUIS schema loading and validation with lxml, base64 included (libxml2 alone is lax about it).

Two sources: the project's own schema for the messages in scope (the default, shipped in
``pytest_dcc/spec/xsd/``), or an official DUIS XSD as DCC publishes it (a ``DUIS Schema V5.x.xsd`` file or the
folder holding it). Official files import ``MMC Schema V5.4.xsd`` by a relative name with spaces, which libxml2
cannot turn into a URI; :class:`_LocalResolver` serves every import from the schema's own folder instead, and
nothing is ever fetched from the network.
"""

from __future__ import annotations

import threading
import urllib.parse
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

from lxml import etree

from pytest_dcc.duis.xmlsafe import parse_schema_file
from pytest_dcc.errors import ConfigError, Issue, SchemaViolation, XmlSecurityError
from pytest_dcc.spec import NS_DS

XS: Final = "http://www.w3.org/2001/XMLSchema"
_SCHEME: Final = "pytest-dcc-xsd:"
_IMPORT_TAGS: Final = (f"{{{XS}}}import", f"{{{XS}}}include", f"{{{XS}}}redefine")
#: Name of the embedded schema, as reported in evidence.
EMBEDDED_NAME: Final = "pytest-dcc embedded DUIS schema"


def _rewrite_locations(doc: etree._ElementTree) -> None:
    for node in doc.getroot().iter(*_IMPORT_TAGS):
        location = node.get("schemaLocation")
        if location and "/" not in location and "\\" not in location:
            node.set("schemaLocation", _SCHEME + urllib.parse.quote(location))
        elif location:
            raise ConfigError(f"schema import {location!r} leaves the schema folder; only sibling files are loaded")


class _LocalResolver(etree.Resolver):
    """Serves ``xs:import``/``xs:include`` targets from one folder; anything else (network, other paths) fails."""

    def __init__(self, folder: Path, loaded: list[etree._ElementTree], strict_base64: bool = True) -> None:
        super().__init__()
        self.folder = folder
        self.loaded = loaded
        self.strict_base64 = strict_base64

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]  # lxml-stubs
        if not system_url.startswith(_SCHEME):
            return None
        name = urllib.parse.unquote(system_url[len(_SCHEME) :])
        path = self.folder / name
        if path.parent != self.folder or not path.is_file():
            raise ConfigError(f"schema import {name!r} not found beside the schema in {self.folder}")
        doc = parse_schema_file(str(path))
        _rewrite_locations(doc)
        if self.strict_base64:
            _strict_base64(doc)
        self.loaded.append(doc)
        return self.resolve_string(etree.tostring(doc), context)  # type: ignore[call-arg]  # lxml-stubs


def _schema_parser(folder: Path, loaded: list[etree._ElementTree], strict_base64: bool = True) -> etree.XMLParser:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(_LocalResolver(folder, loaded, strict_base64))
    return parser


#: What libxml2 lacks to check ``xs:base64Binary`` as XML Schema defines it (XSD 1.1 Part 2 3.3.16, the grammar
#: the 1.0 second edition errata also give). libxml2 checks the count and padding of the alphabet characters but
#: skips any other character, so ``@@@`` or ``QUJD@@@`` pass. This facet refuses those; together the two are
#: exactly the XSD grammar (tests/test_schema.py checks it against the grammar on generated strings). A simple
#: character class, because libxml2's regex engine is slow with the full grammar (benchmarks/bench_validation.py).
BASE64_PATTERN: Final = "[A-Za-z0-9+/= ]*"
STRICT_BASE64_TYPE: Final = "PytestDccStrictBase64"
_STRICT_PREFIX: Final = "pytestdccb64"


def _strict_base64(doc: etree._ElementTree) -> etree._ElementTree:
    """Make libxml2 enforce base64: every reference to ``xs:base64Binary`` in ``doc`` (element and attribute types,
    restriction and extension bases) is pointed at a restriction of it carrying :data:`BASE64_PATTERN`.

    The check then runs inside the one lxml validation pass, at C speed, instead of a second walk in Python.
    Schemas without a target namespace are left as they are, and so is XMLDSig: the signature check holds
    ``DigestValue`` and ``SignatureValue`` to the full grammar (:func:`~pytest_dcc.duis.signing.is_strict_base64`),
    and rewriting XMLDSig's extension types would cost a third of a validation (benchmarks/bench_validation.py).
    """
    root = doc.getroot()
    target = root.get("targetNamespace")
    if target == NS_DS:
        return doc
    b64 = f"{{{XS}}}base64Binary"
    uses = [
        (node, attr)
        for node in root.iter(etree.Element)
        for attr in ("type", "base")
        if _qname(node, node.get(attr)) == b64
    ]
    if not uses or not target:
        return doc
    prefix = next((p for p, ns in root.nsmap.items() if ns == target and p), None)
    if prefix is None:  # declare a prefix for the target namespace on a rebuilt root
        prefix = _STRICT_PREFIX
        nsmap = dict(root.nsmap)
        nsmap[prefix] = target
        rebuilt = etree.Element(root.tag, nsmap=nsmap)  # type: ignore[arg-type]  # lxml-stubs: a None key is the default namespace
        for key, value in root.attrib.items():
            rebuilt.set(key, value)
        rebuilt.extend(list(root))
        doc._setroot(rebuilt)
        root = rebuilt
    xs_prefix = next(p for p, ns in root.nsmap.items() if ns == XS)
    xs = f"{xs_prefix}:" if xs_prefix else ""
    for node, attr in uses:
        node.set(attr, f"{prefix}:{STRICT_BASE64_TYPE}")
    strict = etree.SubElement(root, f"{{{XS}}}simpleType", name=STRICT_BASE64_TYPE)
    restriction = etree.SubElement(strict, f"{{{XS}}}restriction", base=f"{xs}base64Binary")
    etree.SubElement(restriction, f"{{{XS}}}pattern", value=BASE64_PATTERN)
    return doc


def _qname(node: etree._Element, value: str | None) -> str | None:
    if not value:
        return None
    prefix, _, local = value.rpartition(":")
    namespace = node.nsmap.get(prefix or None)
    return f"{{{namespace}}}{local}" if namespace else local


def _message(text: str) -> str:
    """libxml2's message, with the base64 pattern replaced by what it means."""
    if BASE64_PATTERN not in text:
        return text
    return text.replace("[facet 'pattern'] ", "").replace(
        f"is not accepted by the pattern '{BASE64_PATTERN}'", "is not valid base64 (characters outside the alphabet)"
    )


@dataclass(frozen=True, slots=True, eq=False)
class DuisSchema:
    """A compiled DUIS schema. Load once (:func:`load_schema` caches per path) and validate many documents."""

    name: str
    xsd: etree.XMLSchema

    def issues(self, root: etree._Element) -> list[Issue]:
        """Every schema problem in ``root`` (empty when valid), each naming its element path and line."""
        if self.xsd.validate(root):
            return []
        return [
            Issue(path=entry.path or "/", message=_message(entry.message), line=entry.line or None, rule="XSD")
            for entry in self.xsd.error_log  # type: ignore[attr-defined]  # lxml-stubs: _ErrorLog is iterable
        ]

    def validate(self, root: etree._Element) -> None:
        """Raise :class:`SchemaViolation` listing every problem, or return ``None`` when ``root`` is valid."""
        __tracebackhide__ = True
        found = self.issues(root)
        if found:
            raise SchemaViolation(f"not valid against {self.name}", found)

    def is_valid(self, root: etree._Element) -> bool:
        """True when ``root`` is valid (base64 included: see :func:`_strict_base64`)."""
        return bool(self.xsd.validate(root))


_CACHE: dict[str, DuisSchema] = {}
_CACHE_LOCK = threading.Lock()


def _find_main_file(path: Path) -> Path:
    if path.is_file():
        return path
    if path.is_dir():
        candidates = sorted(path.glob("DUIS Schema V*.xsd")) or sorted(path.glob("DUIS*.xsd"))
        if len(candidates) == 1:
            return candidates[0]
        raise ConfigError(f"{path} holds {len(candidates)} 'DUIS Schema V*.xsd' files; name the file itself")
    raise ConfigError(f"DUIS schema {path} does not exist")


def _compile(main: Path, name: str, *, strict_base64: bool = True) -> DuisSchema:
    """Compile ``main``; ``strict_base64=False`` gives the schema exactly as published (for comparisons)."""
    loaded: list[etree._ElementTree] = []
    try:
        doc = etree.parse(str(main), _schema_parser(main.parent, loaded, strict_base64))
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ConfigError(f"cannot read DUIS schema {main}: {exc}") from None
    if doc.docinfo.doctype:  # type: ignore[union-attr]  # lxml-stubs lacks DocInfo.doctype
        raise ConfigError(f"DUIS schema {main} carries a DOCTYPE; refused")
    _rewrite_locations(doc)
    if strict_base64:
        _strict_base64(doc)
    loaded.insert(0, doc)
    try:
        xsd = etree.XMLSchema(doc)
    except (etree.XMLSchemaParseError, XmlSecurityError) as exc:
        raise ConfigError(f"{main} is not a usable XML schema: {exc}") from None
    return DuisSchema(name=name, xsd=xsd)


def embedded_schema_path() -> Path:
    """Path of the project's own schema file inside the installed package."""
    return Path(str(resources.files("pytest_dcc.spec") / "xsd" / "pytest-dcc-duis.xsd"))


def load_schema(path: str | Path | None = None) -> DuisSchema:
    """Load (once per process) the embedded schema, or the official DUIS XSD at ``path`` (file or folder).

    :raises ConfigError: the path is missing, ambiguous, or not a loadable schema.
    """
    main = embedded_schema_path() if path is None else _find_main_file(Path(path).expanduser().resolve())
    key = str(main)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = _compile(main, EMBEDDED_NAME if path is None else f"DUIS XSD {main.name}")
        return _CACHE[key]


__all__ = ["EMBEDDED_NAME", "DuisSchema", "embedded_schema_path", "load_schema"]

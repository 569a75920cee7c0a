"""DUIS schema loading and validation: lxml on the hot path, plus the strict base64 check libxml2 does not make.

Two sources: the project's own schema for the messages in scope (the default, shipped in
``pytest_dcc/spec/xsd/``), or an official DUIS XSD as DCC publishes it (a ``DUIS Schema V5.x.xsd`` file or the
folder holding it). Official files import ``MMC Schema V5.4.xsd`` by a relative name with spaces, which libxml2
cannot turn into a URI; :class:`_LocalResolver` serves every import from the schema's own folder instead, and
nothing is ever fetched from the network.
"""

from __future__ import annotations

import base64
import binascii
import threading
import urllib.parse
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

from lxml import etree

from pytest_dcc.duis.xmlsafe import parse_schema_file
from pytest_dcc.errors import ConfigError, Issue, SchemaViolation, XmlSecurityError

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

    def __init__(self, folder: Path, loaded: list[etree._ElementTree]) -> None:
        super().__init__()
        self.folder = folder
        self.loaded = loaded

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        if not system_url.startswith(_SCHEME):
            return None
        name = urllib.parse.unquote(system_url[len(_SCHEME) :])
        path = self.folder / name
        if path.parent != self.folder or not path.is_file():
            raise ConfigError(f"schema import {name!r} not found beside the schema in {self.folder}")
        doc = parse_schema_file(str(path))
        _rewrite_locations(doc)
        self.loaded.append(doc)
        return self.resolve_string(etree.tostring(doc), context)


def _schema_parser(folder: Path, loaded: list[etree._ElementTree]) -> etree.XMLParser:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(_LocalResolver(folder, loaded))
    return parser


def _base64_elements(docs: list[etree._ElementTree]) -> frozenset[str]:
    """Clark names of elements whose type is (derived from) ``xs:base64Binary`` in the loaded schema documents.

    A name used with base64 and non-base64 types in different places is left out, so the check never refuses a
    valid document.
    """
    b64_types = {f"{{{XS}}}base64Binary"}
    changed = True
    while changed:  # follow named derivations to a fixed point
        changed = False
        for doc in docs:
            target = doc.getroot().get("targetNamespace", "")
            for node in doc.getroot():
                name = node.get("name") if isinstance(node.tag, str) else None
                if not name or f"{{{target}}}{name}" in b64_types:
                    continue
                if node.tag in (f"{{{XS}}}simpleType", f"{{{XS}}}complexType") and _derives(node, b64_types):
                    b64_types.add(f"{{{target}}}{name}")
                    changed = True
    yes: set[str] = set()
    no: set[str] = set()
    for doc in docs:
        target = doc.getroot().get("targetNamespace", "")
        for node in doc.getroot().iter(f"{{{XS}}}element"):
            if node.get("name") is None:
                continue
            clark = f"{{{target}}}{node.get('name')}"
            (yes if _element_is_b64(node, b64_types) else no).add(clark)
    return frozenset(yes - no)


def _qname(node: etree._Element, value: str | None) -> str | None:
    if not value:
        return None
    prefix, _, local = value.rpartition(":")
    namespace = node.nsmap.get(prefix or None)
    return f"{{{namespace}}}{local}" if namespace else local


def _derives(node: etree._Element, b64_types: set[str]) -> bool:
    for step in node.iter(f"{{{XS}}}restriction", f"{{{XS}}}extension"):
        if _qname(step, step.get("base")) in b64_types:
            return True
    return False


def _element_is_b64(node: etree._Element, b64_types: set[str]) -> bool:
    declared = _qname(node, node.get("type"))
    if declared is not None:
        return declared in b64_types
    inline = node.find(f"{{{XS}}}simpleType")
    return inline is not None and _derives(inline, b64_types)


@dataclass(frozen=True, slots=True, eq=False)
class DuisSchema:
    """A compiled DUIS schema. Load once (:func:`load_schema` caches per path) and validate many documents."""

    name: str
    xsd: etree.XMLSchema
    base64_elements: frozenset[str]

    def issues(self, root: etree._Element) -> list[Issue]:
        """Every schema problem in ``root`` (empty when valid), each naming its element path and line."""
        if self.xsd.validate(root):
            return self._base64_issues(root)
        return [
            Issue(path=entry.path or "/", message=entry.message, line=entry.line or None, rule="XSD")
            for entry in self.xsd.error_log
        ] + self._base64_issues(root)

    def validate(self, root: etree._Element) -> None:
        """Raise :class:`SchemaViolation` listing every problem, or return ``None`` when ``root`` is valid."""
        __tracebackhide__ = True
        found = self.issues(root)
        if found:
            raise SchemaViolation(f"not valid against {self.name}", found)

    def is_valid(self, root: etree._Element) -> bool:
        """True when ``root`` passes the XSD and the strict base64 check."""
        return bool(self.xsd.validate(root)) and not self._base64_issues(root)

    def _base64_issues(self, root: etree._Element) -> list[Issue]:
        found = []
        for node in root.iter(*self.base64_elements):
            text = "".join((node.text or "").split())
            try:
                base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                path = node.getroottree().getpath(node)
                found.append(Issue(path, "content is not valid base64 (xs:base64Binary)", node.sourceline, "XSD"))
        return found


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


def _compile(main: Path, name: str) -> DuisSchema:
    loaded: list[etree._ElementTree] = []
    try:
        doc = etree.parse(str(main), _schema_parser(main.parent, loaded))
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ConfigError(f"cannot read DUIS schema {main}: {exc}") from None
    if doc.docinfo.doctype:
        raise ConfigError(f"DUIS schema {main} carries a DOCTYPE; refused")
    _rewrite_locations(doc)
    loaded.insert(0, doc)
    try:
        xsd = etree.XMLSchema(doc)
    except (etree.XMLSchemaParseError, XmlSecurityError) as exc:
        raise ConfigError(f"{main} is not a usable XML schema: {exc}") from None
    return DuisSchema(name=name, xsd=xsd, base64_elements=_base64_elements(loaded))


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

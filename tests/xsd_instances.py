"""Instances of an official DUIS body element, generated from the official XSD itself (read with xmlschema):

* ``minimal``: only what the schema requires (the first branch of each choice, each element as often as its
  minOccurs);
* ``maximal``: every optional element and attribute too, repeated elements twice (at most maxOccurs), and
  variant ``k`` takes branch ``k`` of every choice, so the variants together take every branch.

Values come from the simple type's own facets: an enumeration's first value, a string matching its pattern, a
number inside its bounds, each checked with xmlschema's own validator before it is used. This is test data for
the differential between the embedded schema and the official ones (``tests/test_schema_differential.py``).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import xmlschema
from lxml import etree
from xmlschema.validators import XsdAnyElement, XsdElement, XsdGroup

MAX_DEPTH = 14


@cache
def official(folder: Path) -> xmlschema.XMLSchema:
    """The official DUIS XSD in ``folder`` (its imports are read beside it)."""
    (main,) = folder.glob("DUIS Schema V*.xsd")
    return xmlschema.XMLSchema(str(main))


def body_element(schema: xmlschema.XMLSchema, local_name: str) -> XsdElement:
    """The element of the official ``Body`` choice called ``local_name``."""
    request = schema.elements["Request"]
    body = next(e for e in request.type.content.iter_elements() if e.local_name == "Body")
    return next(e for e in body.type.content.iter_elements() if e.local_name == local_name)


def choice_width(element: XsdElement) -> int:
    """The most branches any choice under ``element`` has (how many maximal variants take every branch)."""
    widest, seen = 1, set()

    def walk(group: Any, depth: int) -> None:
        nonlocal widest
        if depth > MAX_DEPTH or not isinstance(group, XsdGroup):
            return
        if group.model == "choice":
            widest = max(widest, len(group))
        for particle in group:
            if isinstance(particle, XsdGroup):
                walk(particle, depth + 1)
            elif isinstance(particle, XsdElement) and particle.type.has_complex_content():
                key = id(particle.type)
                if key not in seen:
                    seen.add(key)
                    walk(particle.type.content, depth + 1)

    if element.type.has_complex_content():
        walk(element.type.content, 0)
    return widest


def instance(element: XsdElement, mode: str, variant: int = 0) -> etree._Element:
    """``element`` as a ``minimal`` or ``maximal`` instance."""
    return _element(element, mode, variant, 0)


def _element(element: XsdElement, mode: str, variant: int, depth: int) -> etree._Element:
    node = etree.Element(element.name)
    kind = element.type
    maximal = mode == "maximal" and depth < MAX_DEPTH
    for name, attribute in getattr(kind, "attributes", {}).items():
        if name is None or getattr(attribute, "use", "optional") == "prohibited":
            continue
        if attribute.use == "required" or maximal:
            node.set(name, attribute.fixed or _value(attribute.type))
    if kind.is_simple() or kind.has_simple_content():
        simple = kind if kind.is_simple() else kind.content
        node.text = element.fixed or _value(simple)
    elif kind.content is not None and kind.has_complex_content():
        _fill(node, kind.content, mode if maximal else "minimal", variant, depth + 1)
    return node


def _occurs(particle: Any, mode: str) -> int:
    least = int(particle.min_occurs)
    if mode == "minimal":
        return least
    most = particle.max_occurs if particle.max_occurs is not None else 2
    return max(1, least, min(2, most))


def _fill(node: etree._Element, group: XsdGroup, mode: str, variant: int, depth: int) -> None:
    for _ in range(max(1, _occurs(group, mode)) if group.min_occurs or mode == "maximal" else 0):
        particles = list(group)
        if group.model == "choice":
            particles = [particles[variant % len(particles)]] if mode == "maximal" else particles[:1]
        for particle in particles:
            if isinstance(particle, XsdAnyElement):
                continue  # a wildcard: nothing to name
            for _ in range(_occurs(particle, mode)):
                if isinstance(particle, XsdGroup):
                    _fill(node, particle, mode, variant, depth + 1)
                else:
                    node.append(_element(particle, mode, variant, depth))


# -- values -------------------------------------------------------------------------------------------------------


def _value(simple: Any) -> str:
    for candidate in _candidates(simple):
        if simple.is_valid(candidate):
            return candidate
    raise AssertionError(f"no value generated for simple type {simple!r}")


def _candidates(simple: Any) -> Iterator[str]:
    if simple.is_list():
        yield from _candidates(simple.item_type)
        return
    if simple.is_union():
        for member in simple.member_types:
            yield from _candidates(member)
        return
    enumeration = getattr(simple, "enumeration", None)
    if enumeration:
        yield from (str(v) for v in enumeration if v is not None)
    patterns = getattr(simple, "patterns", None)
    if patterns is not None:
        for regexp in patterns.regexps:
            yield from _matching(regexp)
    primitive = simple.primitive_type.local_name if simple.primitive_type is not None else "string"
    if primitive in ("decimal", "float", "double"):
        for facet in ("min_value", "max_value"):
            bound = getattr(simple, facet, None)
            if bound is not None:
                yield str(bound)
        yield from ("1", "0", "10", "100", "1000", "-1", "1.5")
    elif primitive == "boolean":
        yield from ("true", "false")
    elif primitive == "dateTime":
        yield from ("2030-01-15T09:00:00Z", "2030-01-15T09:00:00")
    elif primitive == "date":
        yield from ("2030-01-15", "2030-01-15Z")
    elif primitive == "time":
        yield "09:00:00"
    elif primitive == "duration":
        yield "PT1H"
    elif primitive == "gYear":
        yield "2030"
    elif primitive == "hexBinary":
        yield from ("00" * n for n in range(1, 65))
    elif primitive == "base64Binary":
        yield from (base64.b64encode(bytes(range(n))).decode() for n in range(1, 97))
    else:  # string, token, NMTOKEN, anyURI ...
        yield from _DUIS_STRINGS  # the identifiers DUIS types spell with patterns too intricate to invert here
        yield from ("A" * n for n in range(1, 65))
        yield from ("1" * n for n in range(1, 65))


_DUIS_STRINGS = (
    "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1000",
    "00-DB-12-34-56-78-90-A0",
    "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1000:1",
)
_CLASS = re.compile(r"\[((?:\\.|[^\]])+)\]|\\d|\\.|\.|[^\[\]\\(){}*+?|]")
_COUNT = re.compile(r"\{(\d+)(?:,(\d*))?\}|[*+?]")


def _matching(regexp: str) -> Iterator[str]:
    """Strings matching ``regexp`` (the XSD pattern subset DUIS uses: classes, escapes, counts, alternation)."""
    for branch in regexp.split("|") if "(" not in regexp else [regexp]:
        for repeat in (1, 2):
            text, at = [], 0
            while at < len(branch):
                atom = _CLASS.match(branch, at)
                if atom is None:
                    break
                at = atom.end()
                char = _representative(atom.group(0))
                count = _COUNT.match(branch, at)
                n = 1
                if count is not None:
                    at = count.end()
                    token = count.group(0)
                    n = int(count.group(1)) if count.group(1) else {"*": repeat - 1, "+": repeat, "?": 1}[token]
                text.append(char * n)
            yield "".join(text)


def _representative(atom: str) -> str:
    if atom == r"\d":
        return "1"
    if atom in (".", r"\."):
        return "." if atom == r"\." else "A"
    if atom.startswith("[") and atom.endswith("]"):
        inner = atom[1:-1]
        chars: list[str] = []
        at = 0
        while at < len(inner):
            if inner[at] == "\\" and at + 1 < len(inner):
                chars.append({"d": "1", "s": " "}.get(inner[at + 1], inner[at + 1]))
                at += 2
            elif at + 2 < len(inner) and inner[at + 1] == "-":
                low, high = inner[at], inner[at + 2]
                chars.extend(c for c in "A1a" if low <= c <= high)
                chars.append(low)
                at += 3
            else:
                chars.append(inner[at])
                at += 1
        preferred = [c for c in chars if c.isalnum()]
        return (preferred or chars or ["A"])[0]
    return atom

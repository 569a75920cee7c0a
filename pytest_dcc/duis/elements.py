"""The element makers every body builder uses: ``sr:`` elements with text, children and attributes."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime

from lxml import etree

from pytest_dcc.duis.ids import normalise_eui
from pytest_dcc.spec import NS_SR

Children = list[etree._Element | None]


def el(name: str, text: object = None, *children: etree._Element | None, **attrs: object) -> etree._Element:
    """Make an ``sr:`` element with optional text, children (``None`` skipped) and attributes."""
    node = etree.Element(f"{{{NS_SR}}}{name}")
    if text is not None:
        node.text = _text(text)
    for child in children:
        if child is not None:
            node.append(child)
    for key, value in attrs.items():
        node.set(key, _text(value))
    return node


def opt(name: str, value: object) -> etree._Element | None:
    """Make an element only when ``value`` is not ``None`` (an optional XSD element)."""
    return None if value is None else el(name, value)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def eui(name: str, value: str) -> etree._Element:
    """An EUI-typed element, normalised (``00db...`` → ``00-DB-...``)."""
    return el(name, normalise_eui(value))


__all__ = ["Children", "eui", "el", "opt"]

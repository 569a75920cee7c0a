from __future__ import annotations

import pytest

from pytest_dcc.duis.xmlsafe import parse
from tests.conftest import SHARED

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>"""


def test_dcc_boxed_xxe_sample_is_refused_without_resolving() -> None:
    from pytest_dcc.errors import XmlSecurityError

    with pytest.raises(XmlSecurityError, match="DOCTYPE"):
        parse((SHARED / "dccboxed" / "responses" / "duis-xxe.xml").read_bytes())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BILLION_LAUGHS, "DOCTYPE"),
        (b'<!DOCTYPE r SYSTEM "http://example.invalid/r.dtd"><r/>', "DOCTYPE"),
        (b"<r>" * 300 + b"</r>" * 300, "well-formed"),  # libxml2's own depth limit (256), met first in one feed
        (b"<r>" * 100 + b"</r>" * 100, "limit MAX_DEPTH"),
        (b"<r" + b"".join(b' xmlns:p%d="urn:u"' % i for i in range(17)) + b"/>", "limit MAX_NAMESPACES_PER_ELEMENT"),
        ("<r/>".encode("utf-16"), "NUL bytes"),
        (b"<r>unterminated", "well-formed"),
        (b"", "empty"),
        ('<?xml version="1.0" encoding="ISO-8859-1"?><r>\xe9</r>'.encode("latin-1"), "UTF-8"),
        (b"<r>\xff\xfe</r>", "well-formed"),
        (b"<?pi data?><r/>", None),
    ],
)
def test_hostile_or_broken_xml_is_refused(data: bytes, message: str | None) -> None:
    from pytest_dcc.errors import XmlSecurityError

    if message is None:
        assert parse(data).getroot().tag == "r"
        return
    with pytest.raises(XmlSecurityError, match=message):
        parse(data)


def test_oversize_is_refused_before_parsing() -> None:
    from pytest_dcc.errors import XmlSecurityError

    with pytest.raises(XmlSecurityError, match="over the 100-byte limit"):
        parse(b"<r>" + b"x" * 200 + b"</r>", max_bytes=100)

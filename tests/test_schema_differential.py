"""The embedded schema accepts what the official DUIS XSDs accept, and refuses what they refuse, for the body of
every in-scope SRV: instances generated from each official XSD itself (``tests/xsd_instances.py``), the minimal
one and maximal ones (every optional element and attribute, every branch of every choice), in 5.0, 5.1, 5.3a and
5.4; then each broken one way (an element DUIS does not have, a required element missing)."""

from __future__ import annotations

import copy
from functools import cache

import pytest
from lxml import etree

from pytest_dcc.duis.build import RequestBuilder
from pytest_dcc.duis.samples import IN_SCOPE_SRVS, sample_values
from pytest_dcc.duis.schema import DuisSchema, load_schema
from pytest_dcc.duis.xmlsafe import parse
from tests.conftest import SHARED, XSD_VERSIONS
from tests.xsd_instances import body_element, choice_width, instance, official

SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"


@cache
def _schemas(version: str) -> tuple[DuisSchema, DuisSchema]:
    return load_schema(SHARED / "duis-xsd" / version), load_schema(None)


def _requests(version: str, srv: str) -> list[tuple[str, etree._Element]]:
    """(label, request) for the minimal and every maximal variant of ``srv``'s body in ``version``."""
    builder = RequestBuilder("90-B3-D5-1F-30-01-00-00", schema_version=version)  # type: ignore[arg-type]
    template = parse(builder.request(srv, **sample_values(srv)).to_bytes()).getroot()
    body = template.find(f"{SR}Body")
    assert body is not None and len(body) == 1
    element = body_element(official(SHARED / "duis-xsd" / version), etree.QName(body[0]).localname)
    made = []
    for mode, variants in (("minimal", [0]), ("maximal", range(choice_width(element)))):
        for variant in variants:
            request = copy.deepcopy(template)
            holder = request.find(f"{SR}Body")
            assert holder is not None
            holder.replace(holder[0], instance(element, mode, variant))
            made.append((f"{mode}#{variant}", request))
    return made


@pytest.mark.parametrize("version", XSD_VERSIONS)
@pytest.mark.parametrize("srv", IN_SCOPE_SRVS)
def test_the_embedded_schema_accepts_what_the_official_one_accepts(version: str, srv: str) -> None:
    official_schema, embedded = _schemas(version)
    for label, request in _requests(version, srv):
        assert official_schema.issues(request) == [], (label, "the generated instance is not official DUIS")
        assert embedded.issues(request) == [], (label, etree.tostring(request.find(f"{SR}Body"))[:3000])


@pytest.mark.parametrize("version", XSD_VERSIONS)
@pytest.mark.parametrize("srv", IN_SCOPE_SRVS)
def test_the_embedded_schema_refuses_what_the_official_one_refuses(version: str, srv: str) -> None:
    official_schema, embedded = _schemas(version)
    broken: list[tuple[str, etree._Element]] = []
    for label, request in _requests(version, srv):
        extra = copy.deepcopy(request)
        body = extra.find(f"{SR}Body")
        assert body is not None
        etree.SubElement(body[0], f"{SR}NotInDUIS").text = "1"
        broken.append((f"{label} + an element DUIS does not have", extra))
        if label.startswith("minimal") and len(body[0]) > 1:  # every child of a minimal instance is required
            missing = copy.deepcopy(request)
            holder = missing.find(f"{SR}Body")
            assert holder is not None
            holder[0].remove(holder[0][0])
            broken.append((f"{label} without its first required element", missing))
    for label, request in broken:
        assert official_schema.issues(request) != [], label
        assert embedded.issues(request) != [], label


def test_the_generator_reaches_the_example_a_user_reported() -> None:
    """An Update Import Tariff whose body carries ElecTariffElements (5.4) is among the generated instances."""
    labels = [etree.tostring(r) for _, r in _requests("5.4", "1.1.1")]
    assert any(b"ElecTariffElements" in body for body in labels) and any(b"GasTariffElements" in b for b in labels)
    assert any(b"HybridTariff" in body for body in labels)  # every branch of the price choice

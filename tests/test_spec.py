from __future__ import annotations

import pytest
from lxml import etree

from pytest_dcc import spec
from tests.conftest import SHARED, XSD_VERSIONS

XS = "{http://www.w3.org/2001/XMLSchema}"


def _enums(version: str) -> dict[str, list[str]]:
    folder = SHARED / "duis-xsd" / version
    main = next(folder.glob("DUIS Schema V*.xsd"))
    root = etree.parse(str(main), etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)).getroot()
    out = {}
    for name in (
        "ResponseCode",
        "ServiceReference",
        "ServiceReferenceVariant",
        "DeviceType",
        "DeviceStatus",
        "CSPRegion",
    ):
        node = root.find(f"{XS}simpleType[@name='{name}']")
        out[name] = [e.get("value") for e in node.iter(f"{XS}enumeration")]
    body = root.find(f"{XS}complexType[@name='Request']")
    out["bodies"] = [e.get("name") for e in body.findall(f".//{XS}element[@name='Body']//{XS}element")]
    return out


@pytest.mark.parametrize("version", XSD_VERSIONS)
def test_spec_tables_match_each_official_xsd(version: str) -> None:
    enums = _enums(version)
    assert set(enums["ServiceReferenceVariant"]) == set(spec.SRVS)
    assert set(enums["ServiceReference"]) == set(spec.SERVICE_REFERENCES)
    assert enums["ResponseCode"] == list(spec.RESPONSE_CODES[version])
    assert enums["CSPRegion"] == list(spec.CSP_REGIONS[version])
    assert enums["DeviceType"] == list(spec.DEVICE_TYPES)
    assert enums["DeviceStatus"] == list(spec.DEVICE_STATUSES)
    assert {v.body for v in spec.SRVS.values()} | {"SignedPreCommand"} == set(enums["bodies"])


def test_every_srv_maps_to_a_service_reference_and_command_variants() -> None:
    for variant in spec.SRVS.values():
        assert variant.service_reference in spec.SERVICE_REFERENCES
        assert variant.command_variants
    assert spec.SRVS["8.14.2"].command_variants == (8,)
    assert spec.SRVS["8.7.1"].command_variants == (4, 5, 6, 7)
    assert spec.SRVS["8.7.2"].command_variants == (1, 2, 3)
    assert spec.SRVS["8.1.1"].command_variants == (4, 5)
    assert spec.SRVS["8.5"].command_variants == (1,)
    assert spec.SRVS["6.2.10"].service_reference == "6.2"


@pytest.mark.parametrize(
    ("cv", "path"),
    [
        (1, "serviceS"),
        (2, "serviceD"),
        (3, "serviceS"),
        (4, "serviceT"),
        (5, "serviceS"),
        (6, "serviceD"),
        (7, "serviceS"),
        (8, "serviceD"),
    ],
)
def test_url_follows_command_variant(cv: int, path: str) -> None:
    assert spec.path_for_cv(cv) == f"/api/v1/{path}"


def test_unknown_values_are_named() -> None:
    with pytest.raises(KeyError, match=r"9\.9\.9"):
        spec.service_variant("9.9.9")
    with pytest.raises(KeyError, match="9"):
        spec.service_for_cv(9)


def test_clause_registry_matches_the_shared_registry() -> None:
    import re

    from pytest_dcc.spec.clauses import CLAUSES
    from tests.conftest import SHARED

    text = (SHARED / "docs" / "sec-clauses.md").read_text()
    ids = re.findall(r"^\| ((?:MP|DP)\d+-[A-Z0-9.-]+) \|", text, flags=re.MULTILINE)
    assert len(ids) == 13
    assert list(CLAUSES) == ids

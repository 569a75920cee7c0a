from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from lxml import etree

from pytest_dcc.duis.bodies import gas_thresholds
from pytest_dcc.duis.build import RequestBuilder
from pytest_dcc.duis.responses import WanCoverage
from pytest_dcc.duis.samples import IN_SCOPE_SRVS, sample_values
from pytest_dcc.duis.schema import embedded_schema_path, load_schema
from pytest_dcc.duis.xmlsafe import parse
from pytest_dcc.errors import ConfigError, SchemaViolation
from pytest_dcc.spec import SRVS
from tests.conftest import SHARED, XSD_VERSIONS

SCHEMAS = [*XSD_VERSIONS, "embedded"]


def _schema(which: str):  # type: ignore[no-untyped-def]
    return load_schema(None if which == "embedded" else SHARED / "duis-xsd" / which)


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("version", XSD_VERSIONS)
def test_every_request_the_builder_makes_is_valid(schema: str, version: str) -> None:
    builder = RequestBuilder("90-B3-D5-1F-30-01-00-00", schema_version=version)  # type: ignore[arg-type]
    checked = _schema(schema)
    for srv in IN_SCOPE_SRVS:
        for cv in SRVS[srv].command_variants:
            values = sample_values(srv)
            if cv in (5, 6, 7):
                values = {"target": values["target"], "gbcs_payload": b"\x01\x02"}
            request = builder.request(srv, cv=cv, **values)
            root = parse(request.to_bytes()).getroot()
            assert checked.issues(root) == [], (srv, cv)


@pytest.mark.parametrize("schema", SCHEMAS)
def test_signed_pre_command_is_valid(schema: str) -> None:
    builder = RequestBuilder("90-B3-D5-1F-30-01-00-00")
    original = builder.request("8.7.1", **sample_values("8.7.1"))
    follow_up = builder.signed_pre_command(original, b"\x01\x02\x03")
    assert follow_up.request_id == original.request_id and follow_up.path == "/api/v1/serviceS"
    assert _schema(schema).issues(follow_up.root) == []


def _break(xml: bytes, old: bytes, new: bytes) -> etree._Element:
    assert old in xml
    return parse(xml.replace(old, new)).getroot()


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize(
    ("srv", "old", "new", "element"),
    [
        ("8.7.2", b"sr:OtherDeviceID>", b"sr:OtherDevice>", "OtherDevice"),
        ("1.1.1", b'<sr:BlockThreshold index="2"', b'<sr:BlockThreshold Index="2"', "BlockThreshold"),
        ("1.1.1", b">2000000<", b">281474976710656<", "BlockThreshold"),
        ("12.1", b"M22 0RR", b"M22", "PostCode"),
        ("8.14.2", b"<sr:CHFInstallType>CHF Install - no SM WAN", b"<sr:CHFInstallType>Later", "CHFInstallType"),
        ("8.2", b"<sr:CommandVariant>8", b"<sr:CommandVariant>0", "CommandVariant"),
    ],
)
def test_broken_requests_are_refused_naming_the_element(
    schema: str, srv: str, old: bytes, new: bytes, element: str
) -> None:
    xml = RequestBuilder("90-B3-D5-1F-30-01-00-00").request(srv, **sample_values(srv)).to_bytes()
    with pytest.raises(SchemaViolation, match=element) as info:
        _schema(schema).validate(_break(xml, old, new))
    assert info.value.issues and all(i.path.startswith("/") for i in info.value.issues)


@pytest.mark.parametrize("schema", SCHEMAS)
def test_base64_is_checked_strictly(schema: str) -> None:
    xml = RequestBuilder("90-B3-D5-1F-30-01-00-00").request("8.13", **sample_values("8.13")).to_bytes()
    root = parse(xml).getroot()
    root.find(".//{*}DeviceGBCSResponse").text = "@@@"
    with pytest.raises(SchemaViolation, match=r"DeviceGBCSResponse.*base64"):
        _schema(schema).validate(root)


def test_gas_threshold_maximum_is_accepted_everywhere() -> None:
    request = RequestBuilder("90-B3-D5-1F-30-01-00-00").request(
        "1.1.1", target="00-DB-12-34-56-78-90-A1", thresholds=gas_thresholds(["281474976710655 Wh"])
    )
    for schema in SCHEMAS:
        assert _schema(schema).issues(request.root) == []


def test_official_schema_loads_from_a_folder_with_spaces_and_is_cached(tmp_path: Path) -> None:
    copy = tmp_path / "DUIS schemas with spaces"
    shutil.copytree(SHARED / "duis-xsd" / "5.4", copy)
    first = load_schema(copy)
    assert first is load_schema(copy / "DUIS Schema V5.4.xsd")
    assert "DUIS Schema V5.4.xsd" in first.name


def test_bad_schema_paths_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_schema(tmp_path / "missing.xsd")
    bad = tmp_path / "bad.xsd"
    bad.write_text("<notaschema/>")
    with pytest.raises(ConfigError, match="not a usable XML schema"):
        load_schema(bad)
    network = tmp_path / "net.xsd"
    network.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:import namespace="urn:x" schemaLocation="http://example.invalid/x.xsd"/></xs:schema>'
    )
    with pytest.raises(ConfigError, match="leaves the schema folder"):
        load_schema(network)


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize(
    "name", ["readfw-response.xml", "acknowledgement-error.xml", "readfw-response-no-signature.xml"]
)
def test_real_dcc_boxed_responses_are_valid(schema: str, name: str) -> None:
    root = parse((SHARED / "dccboxed" / "responses" / name).read_bytes()).getroot()
    issues = _schema(schema).issues(root)
    if schema == "5.0" and name == "acknowledgement-error.xml":
        # E65 entered the ResponseCode enumeration with DUIS 5.1: a 5.0 schema rightly refuses it.
        assert len(issues) == 1 and "ResponseCode" in issues[0].path
    else:
        assert issues == []


def test_embedded_schema_is_generated_from_the_template() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    import gen_xsd

    assert embedded_schema_path().read_text(encoding="utf-8") == gen_xsd.render(), "run python tools/gen_xsd.py"


def _wan_query() -> etree._Element:
    request = RequestBuilder("90-B3-D5-1F-30-01-00-00").request("12.1", **sample_values("12.1"))
    return request.root.find(".//{http://www.dccinterface.co.uk/ServiceUserGateway}RequestWANMatrix")


@pytest.mark.parametrize("schema", SCHEMAS)
def test_every_response_the_reply_builders_make_is_valid(schema: str) -> None:
    from datetime import date

    from pytest_dcc.duis import replies
    from pytest_dcc.duis.ids import RequestID
    from pytest_dcc.duis.responses import parse_response

    checked = _schema(schema)
    version = "5.4" if schema == "embedded" else schema
    per_region = version in {"5.3a", "5.4"}
    rid = RequestID("90-B3-D5-1F-30-01-00-00", "00-DB-12-34-56-78-90-A2", 42)
    rows = [
        WanCoverage("North", "I0", available=True, wan_technology="Cellular", connectivity_likelihood="High"),
        WanCoverage(
            "South",
            "I0",
            available=False,
            anticipated_date=date(2027, 1, 1),
            wan_technology=" ",
            connectivity_likelihood="Low",
            additional_information="Availability date given, variant unconfirmed",
        ),
        WanCoverage("Central", "E120101"),
    ]
    device = replies.InventoryEntry(
        "00-DB-12-34-56-78-90-A2",
        "ESME",
        "Commissioned",
        "4D 49",
        "0001",
        {"ImportMPxN": "1234567890123", "UPRN": "100023336956", "CSPRegion": "North", "DateCommissioned": "2025-12-28"},
        property_filter=("M22 0RR", "Threapwood Road"),
    )
    payloads = {
        "ack": None,
        "gbcs": replies.gbcs_payload(b"\xdd\x00"),
        "pre": replies.pre_command(b"\x01\x02"),
        "local": replies.local_command(b"\x03"),
        "inventory": replies.dsp_inventory([device]),
        "wan": replies.wan_matrix(_wan_query(), rows if per_region else rows[:1], per_region=per_region),
    }
    for name, payload in payloads.items():
        root = replies.build_response(
            schema_version=version, code="I0", srv="8.2", request_id=rid, response_id=rid.response_id(), payload=payload
        )
        assert checked.issues(root) == [], name
        parsed = parse_response(parse(replies.to_bytes(root)).getroot())
        assert parsed.request_id == rid and parsed.service_reference == "8.2"
    alert = replies.build_device_alert(schema_version=version, alert_code="8F0A", gbcs_payload=b"\x01")
    assert checked.issues(alert) == []
    wan = parse_response(
        parse(
            replies.to_bytes(
                replies.build_response(schema_version=version, code="I0", srv="12.1", payload=payloads["wan"])
            )
        ).getroot()
    ).wan_matrix
    assert wan is not None and wan.flat is not per_region
    assert wan.regions[0].wan_technology == "Cellular"
    if per_region:
        assert wan.regions[1].wan_technology == " " and wan.regions[2].response_code == "E120101"


def test_flat_wan_matrix_holds_one_region() -> None:
    from pytest_dcc.duis import replies

    with pytest.raises(ValueError, match="exactly one region"):
        replies.wan_matrix(_wan_query(), [WanCoverage("North", "I0"), WanCoverage("South", "I0")], per_region=False)


_B64_ALPHABET = "AQgwBRE4+/= \n\t@-é%"


@pytest.mark.slow
@pytest.mark.parametrize("schema", ["embedded", "5.0", "5.4"])
def test_base64_check_is_exactly_the_xsd_grammar(schema: str) -> None:
    """libxml2's own base64 check plus the added facet accept exactly the XSD 1.1 base64Binary grammar."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from pytest_dcc.duis.signing import is_strict_base64

    checked = _schema(schema)
    xml = RequestBuilder("90-B3-D5-1F-30-01-00-00").request("8.13", **sample_values("8.13")).to_bytes()
    root = parse(xml).getroot()
    node = root.find(".//{*}DeviceGBCSResponse")

    @settings(max_examples=3000, deadline=None, derandomize=True)
    @given(st.text(alphabet=_B64_ALPHABET, max_size=12))
    def agrees(text: str) -> None:
        node.text = text
        assert checked.is_valid(root) is is_strict_base64(text), repr(text)

    agrees()


def test_strict_base64_grammar() -> None:
    from pytest_dcc.duis.signing import is_strict_base64

    good = ["", "QUJD", "QUJDRA==", "QUJDREU=", "QU JD", "QUJD\n  REVG", "QUJD&#13; REVG".replace("&#13;", "\r")]
    bad = ["@@@", "QUJD@@@", "QUJDRA=", "QUJDRB==", "QUJ", "QUJD====", "QUJDRA==QUJD", "QUJDé"]
    assert all(is_strict_base64(t) for t in good)
    assert not any(is_strict_base64(t) for t in bad)


def test_strict_base64_rewrite_declares_a_prefix_when_the_target_namespace_has_none(tmp_path: Path) -> None:
    (tmp_path / "DUIS Schema V9.xsd").write_text(
        '<schema xmlns="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x" elementFormDefault="qualified">'
        '<element name="a"><complexType><sequence><element name="b" type="base64Binary"/></sequence>'
        "</complexType></element></schema>"
    )
    checked = load_schema(tmp_path)
    assert checked.is_valid(etree.fromstring(b'<a xmlns="urn:x"><b>QUJD</b></a>'))
    issues = checked.issues(etree.fromstring(b'<a xmlns="urn:x"><b>QUJD@@@</b></a>'))
    assert len(issues) == 1 and "{urn:x}b" in issues[0].message and "outside the alphabet" in issues[0].message

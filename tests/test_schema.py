from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from lxml import etree

from pytest_dcc.duis.bodies import gas_thresholds
from pytest_dcc.duis.build import RequestBuilder
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

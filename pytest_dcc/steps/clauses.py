"""Steps of the clause features. Thin: each goes through the transport, the inbox or the driver, and every Then
asserts on what crossed the wire or on state read back (over DUIS, the SMKI repository or the driver)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lxml import etree
from pytest_bdd import given, parsers, then, when

from pytest_dcc.drivers import require
from pytest_dcc.duis.bodies import InstallDetails, gas_thresholds
from pytest_dcc.duis.ids import RequestID
from pytest_dcc.duis.responses import WanCoverage
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.errors import NotApplicableError
from pytest_dcc.spec import NS_SR
from pytest_dcc.suite.applicability import claims_at_least
from pytest_dcc.suite.context import Scenario, Target
from pytest_dcc.suite.estate import device_entries, standard_estate

_SR = f"{{{NS_SR}}}"

#: CHISM table 3: DCC 2.0 name -> the CSP regions it belongs to ("No Coverage Intended" belongs to none).
CHISM_TABLE_3 = {
    "420": {"North", "4G North"},
    "450": {"North", "4G North"},
    "Cellular": {"Central", "South", "4G Central", "4G South"},
    "Cellular+Mesh": {"Central", "South", "4G Central", "4G South"},
    " ": {"Central", "South", "4G Central", "4G South"},
    "No Coverage Intended": None,
}
#: The DCC 1.3 names, accepted only from endpoints claiming a release before MP081.
CHISM_DCC13 = {"Standard 420": "420", "Variant 450": "450"}


# -- Given -------------------------------------------------------------------------------------------------------


@given("the standard estate", target_fixture="dcc_scenario")
def standard(dcc_target: Target) -> Scenario:
    """Seed the standard estate where the driver can; otherwise use the statement's device pool as it is."""
    driver = dcc_target.driver
    if {"reset", "seed"} <= driver.capabilities:
        from cryptography.hazmat.primitives import serialization

        certificates = {
            eui: identity.certificate.public_bytes(serialization.Encoding.DER)
            for eui, identity in dcc_target.identities.items()
        }
        driver.reset()
        driver.seed(standard_estate(dcc_target.roles, certificates, dcc_target.devices))
        return Scenario(dcc_target)
    if "estate" not in driver.capabilities:
        require(driver, "seed", "arranging the standard estate")
    if not dcc_target.declared_devices:
        raise NotApplicableError(
            f"driver {driver.name} cannot seed the standard estate, and the implementation statement declares no "
            "device pool (devices:) to use instead"
        )
    declared = {name: eui for name, eui in dcc_target.devices.items() if name in dcc_target.declared_devices}
    driver.arrange_estate(declared)
    return Scenario(replace(dcc_target, devices=declared), seeded=False)


@given(parsers.parse('the {device} is in status "{status}"'))
def device_status(dcc_scenario: Scenario, device: str, status: str) -> None:
    target = dcc_scenario.target
    require(target.driver, "set-status", f"putting the {device} in status {status}")
    target.driver.set_status(target.device(device), status)


@given(parsers.parse("the {other} is joined to the {device}"))
def joined(dcc_scenario: Scenario, other: str, device: str) -> None:
    require(dcc_scenario.target.driver, "seed", "recording a join in the inventory and on the device")
    entries = device_entries(dcc_scenario.target.roles["IS"], dcc_scenario.target.devices)
    entry = dict(entries[device])
    entry["joins"] = [dcc_scenario.target.device(other)]
    dcc_scenario.target.driver.seed({"devices": [entry]})


@given(
    parsers.re(
        r'WAN coverage for UPRN (?P<uprn>\d+) in region "(?P<region>[^"]+)" with variant "(?P<variant>[^"]*)" '
        r"(?P<state>available|not available until (?P<when>\d{4}-\d{2}-\d{2}))"
    )
)
def coverage(dcc_scenario: Scenario, uprn: str, region: str, variant: str, state: str, when: str | None) -> None:
    require(dcc_scenario.target.driver, "seed", "arranging WAN coverage")
    dcc_scenario.target.driver.seed(
        {
            "coverage": [
                {
                    "uprn": int(uprn),
                    "region": region,
                    "available": state == "available",
                    "anticipated_date": when,
                    "wan_variant": variant,
                    "connectivity_likelihood": "Medium",
                }
            ]
        }
    )


@given(parsers.parse("the {device} holds new security certificates"))
def renewed(dcc_scenario: Scenario, device: str) -> None:
    require(dcc_scenario.target.driver, "renew-certificates", "giving a device new certificates")
    dcc_scenario.notes["renewed"] = dcc_scenario.target.driver.renew_certificates(dcc_scenario.target.device(device))
    dcc_scenario.notes["before"] = dcc_scenario.target.driver.device_view(dcc_scenario.target.device(device))["smi"][
        "certificates"
    ]


@given(parsers.parse("the {device}'s next response will be lost on its way to the DCC"))
def lose(dcc_scenario: Scenario, device: str) -> None:
    require(dcc_scenario.target.driver, "faults", "losing a device response")
    dcc_scenario.target.driver.set_fault(dcc_scenario.target.device(device), "lose-next-response")


@given(parsers.parse("the {device} rejects a Join it already holds"))
def reject_rejoin(dcc_scenario: Scenario, device: str) -> None:
    require(dcc_scenario.target.driver, "faults", "a meter that rejects a re-sent Join")
    dcc_scenario.target.driver.set_fault(dcc_scenario.target.device(device), "reject-rejoin", 1000)


# -- When --------------------------------------------------------------------------------------------------------


@when(parsers.parse("the user requests the WAN matrix for UPRN {uprn:d}"))
def wan(dcc_scenario: Scenario, uprn: int) -> None:
    dcc_scenario.request("12.1", uprn=uprn)


@when(parsers.parse('the user sends a gas tariff to the GSME with thresholds "{values}"'))
def tariff(dcc_scenario: Scenario, values: str) -> None:
    thresholds = gas_thresholds([v.strip() for v in values.split(",")])
    dcc_scenario.srv("1.1.1", device="GSME", thresholds=thresholds)


@when(parsers.parse('the user asks for a pre-command of a gas tariff with threshold indexes "{indexes}"'))
def tariff_indexes(dcc_scenario: Scenario, indexes: str) -> None:
    idx = [int(i) for i in indexes.split(",")]
    thresholds = gas_thresholds([f"{n} Wh" for n in range(1, len(idx) + 1)], indexes=idx)
    dcc_scenario.request("1.1.1", cv=4, target=dcc_scenario.target.device("GSME"), thresholds=thresholds)


@when(parsers.parse('the user retrieves the "{usage}" credentials of the {device}'))
def credentials(dcc_scenario: Scenario, usage: str, device: str) -> None:
    dcc_scenario.srv("6.24.2", device=device, credential_type=usage)


@when(parsers.re(r"the user notifies the installation of the (?P<device>\w+) without SM WAN(?P<when> in the future)?"))
def install(dcc_scenario: Scenario, device: str, when: str | None) -> None:
    moment = datetime.now(UTC) + (timedelta(days=2) if when else timedelta(minutes=-30))
    details = InstallDetails(
        device_id=dcc_scenario.target.device(device), mpxn="1234567890123", install_datetime=moment
    )
    dcc_scenario.request("8.14.2", details=details)


@when(parsers.parse("the user joins the {other} to the {device}"))
def join(dcc_scenario: Scenario, other: str, device: str) -> None:
    dcc_scenario.srv("8.7.2", device=device, other_device_id=dcc_scenario.target.device(other))


@when(parsers.parse("the user unjoins the {other} from the {device}"))
def unjoin(dcc_scenario: Scenario, other: str, device: str) -> None:
    dcc_scenario.srv("8.8.2", device=device, other_device_id=dcc_scenario.target.device(other))


@when(parsers.parse('the user issues SRV "{srv}" for local delivery'))
def local(dcc_scenario: Scenario, srv: str) -> None:
    exchange = dcc_scenario.srv(srv, local=True)
    assert exchange.code == "I0", f"SRV {srv} for local delivery was answered {exchange.code}"
    assert exchange.judged.response.payload_kind == "LocalCommand", "no LocalCommand in the answer"
    dcc_scenario.local_request_id = str(exchange.request.request_id)
    dcc_scenario.local_srv = srv


@when("the engineer executes the command on the device")
def execute(dcc_scenario: Scenario) -> None:
    require(dcc_scenario.target.driver, "execute-locally", "running a locally delivered command on the device")
    assert dcc_scenario.local_request_id is not None
    dcc_scenario.gbcs_response = dcc_scenario.target.driver.execute_locally(dcc_scenario.local_request_id)


@when("the user returns the device's response with SR 8.13")
def return_local(dcc_scenario: Scenario) -> None:
    assert dcc_scenario.local_request_id is not None and dcc_scenario.gbcs_response is not None
    dcc_scenario.request(
        "8.13",
        original_request_id=RequestID.parse(dcc_scenario.local_request_id),
        device_gbcs_response=dcc_scenario.gbcs_response,
    )


@when("the user returns the device's response with SR 8.13 under another counter")
def return_tampered(dcc_scenario: Scenario) -> None:
    assert dcc_scenario.local_request_id is not None and dcc_scenario.gbcs_response is not None
    data = bytearray(dcc_scenario.gbcs_response)
    data[10] ^= 0x01  # the low byte of the GBCS originator counter
    dcc_scenario.request(
        "8.13", original_request_id=RequestID.parse(dcc_scenario.local_request_id), device_gbcs_response=bytes(data)
    )


# -- Then --------------------------------------------------------------------------------------------------------


@then(parsers.parse("the response code is {code}"))
def response_code(dcc_scenario: Scenario, code: str) -> None:
    got = dcc_scenario.last.code
    assert got == code, f"expected {code}, the endpoint answered {got} to SRV {dcc_scenario.last.request.srv}"


@then(parsers.parse("the device response arrives with code {code}"))
def device_response(dcc_scenario: Scenario, code: str) -> None:
    got = dcc_scenario.wait_device_response().response.code
    assert got == code, f"expected a device response {code}, got {got}"


def _coverage(dcc_scenario: Scenario) -> list[WanCoverage]:
    response = dcc_scenario.last.judged.response
    assert response.wan_matrix is not None, f"the 12.1 answer ({response.code}) carries no DSPWANMatrix"
    return list(response.wan_matrix.regions)


def _region(dcc_scenario: Scenario, region: str) -> WanCoverage:
    rows = [r for r in _coverage(dcc_scenario) if r.region == region]
    assert rows, f"the DSPWANMatrix has no row for CSP region {region}"
    return rows[0]


@then(parsers.parse('the coverage for region "{region}" reports WAN technology "{technology}"'))
def wan_technology(dcc_scenario: Scenario, region: str, technology: str) -> None:
    got = _region(dcc_scenario, region).wan_technology
    assert got == technology, f"region {region}: WAN technology {got!r}, expected {technology!r}"


@then("every reported WAN technology is a CHISM table 3 value of its CSP region")
def chism_values(dcc_scenario: Scenario) -> None:
    rows = [r for r in _coverage(dcc_scenario) if r.wan_technology is not None]
    assert rows, "no region reported a WAN technology"
    for row in rows:
        value = row.wan_technology or ""
        if not claims_at_least(dcc_scenario.target.release.name, "2020-11"):
            value = CHISM_DCC13.get(value, value)
        assert value in CHISM_TABLE_3, f"region {row.region}: {value!r} is not a CHISM table 3 WAN variant"
        regions = CHISM_TABLE_3[value]
        assert regions is None or row.region in regions, f"{value!r} does not belong to CSP region {row.region}"


@then(parsers.parse('the coverage for region "{region}" gives the anticipated coverage date {when}'))
def anticipated(dcc_scenario: Scenario, region: str, when: str) -> None:
    row = _region(dcc_scenario, region)
    assert row.anticipated_date == date.fromisoformat(when), f"anticipated date {row.anticipated_date}"
    assert row.available is False, "coverage with an anticipated date must not be available yet"


@then(parsers.parse('the WAN variant of region "{region}" reads as "{meaning}" from release 2021-06'))
def reads_as(dcc_scenario: Scenario, region: str, meaning: str) -> None:
    value = _region(dcc_scenario, region).wan_technology
    assert value == " ", f"the unconfirmed variant is one space on the wire, got {value!r}"
    reading = meaning if claims_at_least(dcc_scenario.target.release.name, "2021-06") else "unconfirmed"
    dcc_scenario.notes["reading"] = reading  # reported with the verdict


@then(parsers.parse("the request carried BlockThreshold values {values}"))
def carried(dcc_scenario: Scenario, values: str) -> None:
    wanted = [int(v.strip()) for v in values.split(",")]
    first = next(e for e in dcc_scenario.exchanges if e.request.cv == 4)
    root = etree.fromstring(first.request_bytes)
    got = [int((t.text or "").strip()) for t in root.iter(f"{_SR}BlockThreshold")]
    assert got == wanted, f"BlockThreshold on the wire {got}, expected {wanted} (Wh)"


@then(parsers.parse("the meter holds gas block thresholds of {values} Wh"))
def meter_holds(dcc_scenario: Scenario, values: str) -> None:
    require(dcc_scenario.target.driver, "device-view", "reading the meter's tariff")
    wanted = [int(v.strip()) for v in values.split(",")]
    state = dcc_scenario.target.driver.device_view(dcc_scenario.target.device("GSME"))["device"]["state"]
    assert state.get("gas_block_thresholds_wh") == wanted, f"the meter holds {state.get('gas_block_thresholds_wh')}"


def _read_status(dcc_scenario: Scenario, device: str) -> str | None:
    answer = dcc_scenario.request("8.2", device_id=dcc_scenario.target.device(device))
    assert answer.code == "I0", f"8.2 Read Inventory answered {answer.code}"
    found = [d for d in answer.judged.response.inventory if d.device_id == dcc_scenario.target.device(device)]
    assert found, f"8.2 did not return {device}"
    return found[0].status


@then(parsers.parse('the inventory shows the {device} in status "{status}"'))
def inventory_status(dcc_scenario: Scenario, device: str, status: str) -> None:
    got = _read_status(dcc_scenario, device)
    assert got == status, f"8.2 shows the {device} {got}, expected {status}"


@then(parsers.parse('the inventory records the new "{usage}" certificate of the {device}'))
def inventory_certificate(dcc_scenario: Scenario, usage: str, device: str) -> None:
    new = dcc_scenario.notes["renewed"][usage]
    recorded = dcc_scenario.target.driver.device_view(dcc_scenario.target.device(device))["smi"]["certificates"]
    assert recorded.get(usage) == new, f"the inventory records {recorded.get(usage)}, the device uses {new}"


@then(parsers.parse('the inventory keeps the old "{usage}" certificate of the {device}'))
def inventory_old(dcc_scenario: Scenario, usage: str, device: str) -> None:
    recorded = dcc_scenario.target.driver.device_view(dcc_scenario.target.device(device))["smi"]["certificates"]
    assert recorded.get(usage) == dcc_scenario.notes["before"].get(usage), "the inventory changed"


@then(parsers.parse('the SMKI repository holds the new "{usage}" certificate of the {device} as In Use'))
def smki_new(dcc_scenario: Scenario, usage: str, device: str) -> None:
    require(dcc_scenario.target.driver, "smki", "searching the SMKI repository")
    new = dcc_scenario.notes["renewed"][usage]
    entries = {e["serial"]: e for e in dcc_scenario.target.driver.smki(dcc_scenario.target.device(device))}
    assert new in entries, f"the SMKI repository has no certificate {new} for the {device}"
    assert entries[new]["status"] == "In Use" and entries[new]["usage"] == usage


def _view(dcc_scenario: Scenario, device: str) -> dict[str, Any]:
    require(dcc_scenario.target.driver, "device-view", "reading the inventory's joins")
    return dcc_scenario.target.driver.device_view(dcc_scenario.target.device(device))


@then(parsers.parse("the inventory records the {other} joined to the {device}"))
def smi_join(dcc_scenario: Scenario, other: str, device: str) -> None:
    assert dcc_scenario.target.device(other) in _view(dcc_scenario, device)["smi"]["joins"], "the SMI records no join"


@then(parsers.parse("the inventory records no join of the {other} to the {device}"))
def smi_no_join(dcc_scenario: Scenario, other: str, device: str) -> None:
    assert dcc_scenario.target.device(other) not in _view(dcc_scenario, device)["smi"]["joins"], (
        "the SMI records a join"
    )


@then(parsers.parse("the {device} itself holds the join with the {other}"))
def device_join(dcc_scenario: Scenario, device: str, other: str) -> None:
    assert dcc_scenario.target.device(other) in _view(dcc_scenario, device)["device"]["joins"], (
        "the device holds no join"
    )


@then(parsers.parse("the {device} itself no longer holds the join with the {other}"))
def device_no_join(dcc_scenario: Scenario, device: str, other: str) -> None:
    assert dcc_scenario.target.device(other) not in _view(dcc_scenario, device)["device"]["joins"], (
        "the device still holds the join"
    )


@then(parsers.parse("the organisation certificates tracked for the {device} include the new one"))
def org_certs(dcc_scenario: Scenario, device: str) -> None:
    tracked = _view(dcc_scenario, device)["smi"]["organisation_certificates"]
    assert tracked, "the inventory tracks no Organisation Certificate for the device"
    sent = sample_values(dcc_scenario.local_srv or "6.15.1")["digital_signing"]
    assert sent.hex() in tracked.values(), "the tracked certificates do not include the one sent"

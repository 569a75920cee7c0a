"""Every clause behaviour of the reference DCC, through the request pipeline. MP081 changed the SEC text, not the
DCC: the reference DCC processes as MP081 describes under every release; only MP178 (2024-06) differs by release."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pytest_dcc.duis.bodies import gas_thresholds
from pytest_dcc.duis.gbcs import GbcsMessage, parse_general_signing
from pytest_dcc.duis.nondevice_bodies import InstallDetails
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.reference.inventory import FAULT_LOSE_RESPONSE, FAULT_REJECT_REJOIN
from pytest_dcc.spec import SRVS
from tests.reference_harness import CAD, CHF, ESME, GPF, GS, GSME, IS, PPMID, Harness

# -- 12.1 WAN matrix: MP081-CHISM-E3-T3, MP081-CHISM-E3-SPACE -----------------------------------------------------


def _wan(h: Harness, **query: object):  # type: ignore[no-untyped-def]
    exchange = h.request("12.1", **(query or sample_values("12.1")))
    assert exchange.code == "I0", exchange.code
    matrix = exchange.judged.response.wan_matrix
    assert matrix is not None
    return matrix


ALL_RELEASES = ["2020-06", "2020-11", "2021-06", "2024-06", "latest"]


def test_wan_matrix_per_region_answers_what_the_csp_gave_and_the_space_variant() -> None:
    matrix = _wan(Harness("latest"))
    assert not matrix.flat
    rows = {r.region: r for r in matrix.regions}
    assert rows["North"].wan_technology == "Standard 420" and rows["North"].available is True  # as seeded
    south = rows["South"]
    assert south.wan_technology == " " and south.available is False
    assert south.anticipated_date == date(2027, 3, 1)
    assert rows["Central"].wan_technology == "Cellular"


@pytest.mark.parametrize("release", ["2020-06", "2020-11", "2021-06"])
def test_wan_matrix_flat_before_5_3a_names_untranslated_in_every_release(release: str) -> None:
    matrix = _wan(Harness(release))
    assert matrix.flat and [r.wan_technology for r in matrix.regions] == ["Standard 420"]


def test_wan_variants_of_either_table_3_column_are_answered_as_given() -> None:
    h = Harness()
    north = {"uprn": 7, "region": "North", "available": True, "wan_variant": "450"}
    h.dcc.seed({"coverage": [north, {"uprn": 7, "region": "4G North", "available": True, "wan_variant": "LTE-M"}]})
    rows = {r.region: r.wan_technology for r in _wan(h, uprn=7).regions}
    assert rows == {"North": "450", "4G North": "LTE-M"}  # a region outside table 3 is not checked against it


def test_wan_matrix_by_uprn_no_coverage_intended_and_unknown_premises() -> None:
    h = Harness()
    assert len(_wan(h, uprn=100023336956).regions) == 3
    none = _wan(h, postcode="SW1A 1AA", address_identifier="1").regions
    assert [(r.wan_technology, r.available) for r in none] == [("No Coverage Intended", False)]
    assert h.request("12.1", postcode="ZZ9 9ZZ", address_identifier="Nowhere").code == "E120101"


def test_inventory_refuses_a_wan_variant_outside_its_region() -> None:
    from pytest_dcc.reference.inventory import Inventory, InventoryError

    with pytest.raises(InventoryError, match="Cellular"):
        Inventory().add_coverage({"uprn": 1, "region": "North", "available": True, "wan_variant": "Cellular"})
    with pytest.raises(InventoryError, match="CHISM"):
        Inventory().add_coverage({"uprn": 1, "region": "South", "available": True, "wan_variant": "5G"})


# -- 1.1.1 GasThresholdMatrix: MP081-DUIS-3.8.1.2 -----------------------------------------------------------------


@pytest.mark.parametrize(("release", "sent", "held"), [("latest", "1000 kWh", 1_000_000), ("2020-06", 1000, 1000)])
def test_gas_thresholds_reach_the_meter_in_wh_in_every_release(release: str, sent: object, held: int) -> None:
    h = Harness(release)
    _, second = h.critical("1.1.1", user=GS, target=GSME, thresholds=gas_thresholds([sent]))
    assert second.code == "I99"
    assert h.device_responses(second)[0].response.code == "I0"
    assert h.dcc.device_view(GSME)["device"]["state"]["gas_block_thresholds_wh"] == [held]


def test_gas_threshold_maximum_accepted_and_index_rules_enforced() -> None:
    h = Harness()
    top = h.request("1.1.1", user=GS, cv=4, target=GSME, thresholds=gas_thresholds(["281474976710655 Wh"]))
    assert top.code == "I0"
    for indexes in ([1, 1], [1, 3], [2]):
        values = ["1 Wh"] * len(indexes)
        bad = h.request("1.1.1", user=GS, cv=4, target=GSME, thresholds=gas_thresholds(values, indexes=indexes))
        assert bad.code == "E010101", indexes


# -- 6.24.2: MP081-DUIS-3.8.77.3 / 3.8.77.4 -----------------------------------------------------------------------


def test_device_credentials_returned_by_the_device_update_inventory_and_smki() -> None:
    h = Harness("latest")
    before = h.dcc.device_view(ESME)["smi"]["certificates"]
    issued = h.dcc.renew_device_certificates(ESME)
    _, second = h.critical("6.24.2", target=ESME, credential_type="Digital Signature")
    assert h.device_responses(second)[0].response.code == "I0"
    after = h.dcc.device_view(ESME)["smi"]["certificates"]
    assert after["Digital Signature"] == issued["Digital Signature"] != before["Digital Signature"]
    assert after["Key Agreement"] == before["Key Agreement"]  # only the credential type asked for
    smki = {c["serial"]: c["status"] for c in h.dcc.inventory.smki_search(subject=ESME)}
    assert smki[issued["Digital Signature"]] == "In Use" and smki[before["Digital Signature"]] == "Superseded"


@pytest.mark.parametrize("release", ALL_RELEASES)
def test_6_24_2_has_no_specific_validation_and_tracks_certificates_in_every_release(release: str) -> None:
    h = Harness(release)
    assert h.request("6.24.2", cv=4, target=PPMID, credential_type="Key Agreement").code == "I0"
    issued = h.dcc.renew_device_certificates(ESME)
    _, second = h.critical("6.24.2", target=ESME, credential_type="Digital Signature")
    h.device_responses(second)
    assert h.dcc.device_view(ESME)["smi"]["certificates"]["Digital Signature"] == issued["Digital Signature"]


def test_6_24_2_with_the_same_certificate_set_changes_nothing() -> None:
    h = Harness()
    before = h.dcc.device_view(ESME)["smi"]["certificates"]
    smki = sorted(map(str, h.dcc.inventory.smki_search(subject=ESME)))
    _, second = h.critical("6.24.2", target=ESME, credential_type="Digital Signature")
    assert h.device_responses(second)[0].response.code == "I0"
    assert h.dcc.device_view(ESME)["smi"]["certificates"] == before
    assert sorted(map(str, h.dcc.inventory.smki_search(subject=ESME))) == smki


# -- 8.14.2: MP081-DUIS-3.8.106.3 / 3.8.114.4 ---------------------------------------------------------------------


def _install(h: Harness, device: str = CHF, when: datetime | None = None):  # type: ignore[no-untyped-def]
    return h.request("8.14.2", details=InstallDetails(device_id=device, mpxn="1234567890123", install_datetime=when))


def test_chf_no_wan_codes() -> None:
    h = Harness()
    assert _install(h, device=ESME).code == "E081401"
    assert _install(h, when=datetime.now(UTC) + timedelta(days=1)).code == "E081402"
    assert _install(h, when=datetime.now(UTC) - timedelta(hours=1)).code == "W081401"  # Commissioned CHF
    h.dcc.inventory.set_status(CHF, "InstalledNotCommissioned")
    assert _install(h).code == "I99"


def test_pending_chf_and_gpf_become_installed_not_commissioned_with_w081401() -> None:
    h = Harness()
    h.dcc.inventory.set_status(CHF, "Pending")
    h.dcc.inventory.set_status(GPF, "Pending")
    assert _install(h).code == "W081401"
    statuses = {d.device_id: d.status for d in h.request("8.2", uprn=100023336956).judged.response.inventory}
    assert statuses[CHF] == statuses[GPF] == "InstalledNotCommissioned"


def test_no_e5_for_8_14_2_in_any_release() -> None:
    for release in ALL_RELEASES:
        h = Harness(release)
        h.dcc.inventory.set_status(CHF, "Pending")
        assert _install(h).code == "W081401", release
    h = Harness()
    h.dcc.inventory.set_status(CHF, "Suspended")
    assert _install(h).code == "W081401"
    assert h.dcc.inventory.device(CHF).status == "Suspended"  # only Pending moves


# -- 8.13 and Organisation Certificates: MP081-DUIS-3.8.112.2, MP081-ORGCERT-TRACKING -----------------------------


def _local(h: Harness, srv: str, **values: object) -> tuple[str, bytes]:
    """Issue ``srv`` for local delivery, run it on the device via the hand-held terminal; (RequestID, response)."""
    if SRVS[srv].critical:
        _, exchange = h.critical(srv, follow_up_cv=6, **values)
    else:
        exchange = h.request(srv, cv=2, **values)
    assert exchange.code == "I0" and exchange.judged.response.payload_kind == "LocalCommand"
    request_id = str(exchange.request.request_id)
    return request_id, h.dcc.execute_locally(request_id)


def _return(h: Harness, request_id: str, response: bytes) -> str:
    from pytest_dcc.duis.ids import RequestID

    return h.request("8.13", original_request_id=RequestID.parse(request_id), device_gbcs_response=response).code


def test_local_join_response_returned_through_8_13_records_the_join() -> None:
    h = Harness()
    request_id, response = _local(h, "8.7.2", target=ESME, other_device_id=CAD)
    assert h.dcc.device_view(ESME)["device"]["joins"] == [CAD]
    assert h.dcc.device_view(ESME)["smi"]["joins"] == []
    assert _return(h, request_id, response) == "I99"
    assert h.dcc.device_view(ESME)["smi"]["joins"] == [CAD]


@pytest.mark.parametrize("release", ["2020-06", "2020-11"])
def test_organisation_certificates_tracked_from_local_6_15_1_when_returned(release: str) -> None:
    h = Harness(release)
    request_id, response = _local(h, "6.15.1", **sample_values("6.15.1"))
    assert not h.dcc.device_view(ESME)["smi"]["organisation_certificates"]  # not before the response is returned
    assert h.dcc.device_view(ESME)["device"]["organisation_certificates"]
    assert _return(h, request_id, response) == "I99"
    assert h.dcc.device_view(ESME)["smi"]["organisation_certificates"]


def test_6_21_local_handover_accepted_through_8_13_in_every_release() -> None:
    for release in ALL_RELEASES:
        h = Harness(release)
        values = dict(sample_values("6.21"))
        request_id, response = _local(h, "6.21", **values)
        assert _return(h, request_id, response) == "I99", release


def test_8_13_refusals() -> None:
    h = Harness()
    request_id, response = _local(h, "8.7.2", target=ESME, other_device_id=CAD)
    message = parse_general_signing(response)
    from dataclasses import replace

    from pytest_dcc.duis.ids import RequestID

    wrong_counter = replace(message, counter=message.counter + 1).to_bytes()
    assert _return(h, request_id, wrong_counter) == "E081303"
    swapped = replace(message, originator=message.recipient, recipient=message.originator).to_bytes()
    assert _return(h, request_id, swapped) == "E081303"
    assert _return(h, request_id, b"\x01\x02\x03") == "E081303"
    unknown = str(RequestID(IS, ESME, 12345))
    assert _return(h, unknown, response) == "E081301"
    missing = h.request("8.13", original_request_id=None, device_gbcs_response=response)
    assert missing.code == "E081301"
    alert = GbcsMessage(0x03, 1, ESME, IS, 0x8F0A, b"\x00").to_bytes()
    assert h.request("8.13", original_request_id=None, device_gbcs_response=alert).code == "I99"
    assert _return(h, request_id, response) == "I99"


def test_a_device_alert_collected_locally_is_accepted_through_8_13_and_changes_nothing() -> None:
    h = Harness()
    before = h.dcc.device_view(ESME)
    alert = parse_general_signing(h.dcc.collect_alert(ESME))
    assert (alert.cra, alert.originator, len(alert.signature)) == (0x03, ESME, 64)
    assert h.request("8.13", original_request_id=None, device_gbcs_response=alert.to_bytes()).code == "I99"
    assert h.dcc.device_view(ESME) == before
    later = parse_general_signing(h.dcc.collect_alert(ESME))
    assert later.counter > alert.counter  # the device's alert counter only grows
    with pytest.raises(LookupError):
        h.dcc.collect_alert("FF-FF-FF-FF-FF-FF-FF-FE")


def test_8_13_accepts_a_dcc_authored_gbcs_response_header() -> None:
    """The DUIS 8.13 template's DeviceGBCSResponse layout: date-time present, 64-byte signature."""
    h = Harness()
    request_id, _ = _local(h, "11.3", **sample_values("11.3"))
    from pytest_dcc.duis.ids import RequestID

    rid = RequestID.parse(request_id)
    dcc_style = GbcsMessage(
        cra=0x02,
        counter=rid.counter,
        originator=rid.target,
        recipient=rid.originator,
        message_code=0x0012,
        content=b"\x00",
        date_time=bytes.fromhex("07DF0101040000000000FF80"),
        signature=bytes(64),
    ).to_bytes()
    assert _return(h, request_id, dcc_style) == "I99"


# -- 8.7 / 8.8 joins: DP178-SMI-JOIN, DP178-REJOIN, DP178-E080801, MP178-UNJOIN -------------------------------------


def test_remote_join_recorded_from_the_device_response() -> None:
    h = Harness()
    join = h.request("8.7.2", target=ESME, other_device_id=CAD)
    assert join.code == "I99"
    assert h.device_responses(join)[0].response.code == "I0"
    view = h.dcc.device_view(ESME)
    assert view["smi"]["joins"] == view["device"]["joins"] == [CAD]
    unjoin = h.request("8.8.2", target=ESME, other_device_id=CAD)
    assert unjoin.code == "I99" and h.device_responses(unjoin)[0].response.code == "I0"
    assert h.dcc.device_view(ESME)["smi"]["joins"] == []


@pytest.mark.parametrize(("release", "unjoin_code"), [("2021-06", "E080801"), ("2024-06", "I99"), ("latest", "I99")])
def test_dp178_story(release: str, unjoin_code: str) -> None:
    h = Harness(release)
    h.dcc.set_fault(ESME, FAULT_LOSE_RESPONSE)
    h.dcc.set_fault(ESME, FAULT_REJECT_REJOIN, times=99)  # a non-GBCS-compliant meter
    join = h.request("8.7.2", target=ESME, other_device_id=CAD)
    assert join.code == "I99"
    assert h.device_responses(join)[0].response.code == "E21"  # the response never reached the DSP
    view = h.dcc.device_view(ESME)
    assert view["device"]["joins"] == [CAD] and view["smi"]["joins"] == []
    retry = h.request("8.7.2", target=ESME, other_device_id=CAD)
    assert h.device_responses(retry)[0].response.code == "I0"  # delivered, but the meter refused the re-join
    assert h.dcc.device_view(ESME)["smi"]["joins"] == []
    unjoin = h.request("8.8.2", target=ESME, other_device_id=CAD)
    assert unjoin.code == unjoin_code
    if unjoin_code == "I99":
        assert h.device_responses(unjoin)[0].response.code == "I0"
        assert h.dcc.device_view(ESME)["device"]["joins"] == []


def test_critical_unjoin_also_checks_the_smi_join_before_mp178() -> None:
    h = Harness("2021-06")
    assert h.request("8.8.1", cv=4, target=ESME, other_device_id=CAD).code == "E080801"
    h.dcc.inventory.add_join(ESME, CAD, smi=True, device=True)
    assert h.request("8.8.1", cv=4, target=ESME, other_device_id=CAD).code == "I0"


def test_join_to_a_device_unknown_to_the_inventory_is_refused() -> None:
    assert Harness().request("8.7.2", target=ESME, other_device_id="00-DB-12-34-56-78-90-EE").code == "E080702"

"""Steps of the clause features. Thin: each goes through the transport, the inbox or the driver. Every Then judges
the endpoint through :mod:`pytest_dcc.suite.judging` (an EndpointAssertion is a FAIL); the suite's own
preconditions raise HarnessError or ArrangementError (ERROR) and a missing capability NotApplicableError."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pytest_bdd import given, parsers, then, when

from pytest_dcc.drivers import DeviceView, RecordingDriver, SmkiEntry, require
from pytest_dcc.duis.bodies import InstallDetails, Threshold, gas_thresholds
from pytest_dcc.duis.gbcs import GbcsError, parse_general_signing
from pytest_dcc.duis.ids import RequestID
from pytest_dcc.duis.responses import InventoryDevice, WanCoverage
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.errors import ArrangementError, BuildError, HarnessError, NotApplicableError
from pytest_dcc.spec import CSP_REGIONS, chism
from pytest_dcc.spec.releases import MODIFICATIONS, at_least
from pytest_dcc.suite.context import Answer, Scenario, Target
from pytest_dcc.suite.estate import device_entries, standard_estate
from pytest_dcc.suite.judging import check_refused, expect
from pytest_dcc.verdicts import ScenarioRecord

# -- Given -------------------------------------------------------------------------------------------------------


@given("the standard estate", target_fixture="dcc_scenario")
def standard(dcc_target: Target, dcc_record: ScenarioRecord) -> Scenario:
    """Seed the standard estate where the driver can; otherwise use the statement's device pool as it is. The
    scenario sees the driver through a recorder of the capabilities it uses."""
    driver = RecordingDriver(dcc_target.driver, dcc_record.used)
    dcc_record.driver = driver.name
    dcc_target = replace(dcc_target, driver=driver)
    if {"reset", "seed"} <= driver.capabilities:
        from cryptography.hazmat.primitives import serialization

        certificates = {
            eui: identity.certificate.public_bytes(serialization.Encoding.DER)
            for eui, identity in dcc_target.identities.items()
        }
        driver.reset()
        driver.seed(standard_estate(dcc_target.roles, certificates, dcc_target.devices))
        return Scenario(dcc_target, reports=dcc_record.reports)
    if "estate" not in driver.capabilities:
        require(driver, "seed", "arranging the standard estate")
    if not dcc_target.declared_devices:
        raise NotApplicableError(
            f"driver {driver.name} cannot seed the standard estate, and the implementation statement declares no "
            "device pool (devices:) to use instead"
        )
    declared = {name: eui for name, eui in dcc_target.devices.items() if name in dcc_target.declared_devices}
    driver.arrange_estate(declared)
    target = replace(dcc_target, devices=declared)
    return Scenario(target, seeded=False, reports=dcc_record.reports, undo=dcc_record.undo)


@given(parsers.parse('the {device} is in status "{status}"'))
def device_status(dcc_scenario: Scenario, device: str, status: str) -> None:
    target = dcc_scenario.target
    require(target.driver, "set-status", f"putting the {device} in status {status}")
    try:
        target.driver.set_status(target.device(device), status)
    except NotApplicableError:
        if not (device == "CHF" and status == "Pending" and _spare_hub(dcc_scenario)):
            raise


def _spare_hub(dcc_scenario: Scenario) -> bool:
    """A Pending CHF (with its Pending GPF) over DUIS alone: pre-notify (SR 12.2) a spare CHF of the statement,
    with the next spare GPF, and let the scenario use them. Each spare is consumed (used once per run)."""
    spares = dcc_scenario.target.spares
    chf = next((s for s in spares if s[1] == "CHF"), None)
    gpf = next((s for s in spares if s[1] == "GPF"), None)
    if chf is None or gpf is None:
        return False
    spares.remove(chf)
    spares.remove(gpf)
    answer = dcc_scenario.request(
        "12.2", device_id=chf[0], device_type="CHF", associated_gpf_device_id=gpf[0], role="IS"
    )
    dcc_scenario.answers.pop()  # arrangement, not the request the scenario judges
    if answer.code not in ("I0", "I99"):
        _, entry = _inventory_entry(dcc_scenario, chf[0])
        status = entry.status if entry is not None else None
        if status != "Pending":
            raise NotApplicableError(
                f"the spare CHF {chf[0]} of the statement is not spare any more (SR 12.2 answered {answer.code}; "
                f"SR 8.2 shows it {status or 'absent'}): a run consumes its spares, declare fresh ones"
            )
    devices = {**dcc_scenario.target.devices, "CHF": chf[0], "GPF": gpf[0]}
    dcc_scenario.target = replace(dcc_scenario.target, devices=devices)
    dcc_scenario.report(f"spare CHF {chf[0]} and GPF {gpf[0]} pre-notified with SR 12.2 and used (consumed)")
    return True


def _inventory_entry(dcc_scenario: Scenario, eui: str) -> tuple[str, InventoryDevice | None]:
    """SR 8.2 Read Inventory of ``eui``: the answer's code and the device's entry (None when not listed). The read
    is an observation or an arrangement, not the request the scenario judges, so it leaves ``last`` alone."""
    answer = dcc_scenario.request("8.2", device_id=eui)
    dcc_scenario.answers.pop()
    if answer.exchange is None or answer.code != "I0":
        return answer.code, None
    found = [d for d in answer.judged.response.inventory if d.device_id == eui]
    return answer.code, found[0] if found else None


@given(parsers.parse("the {device} is in the inventory"))
def in_inventory(dcc_scenario: Scenario, device: str) -> None:
    eui = dcc_scenario.target.device(device)
    code, entry = _inventory_entry(dcc_scenario, eui)
    if entry is None:
        raise ArrangementError(f"the {device} {eui} of the estate is not in the endpoint's inventory (8.2: {code})")


@given(parsers.parse("the {other} is joined to the {device}"))
def joined(dcc_scenario: Scenario, other: str, device: str) -> None:
    target = dcc_scenario.target
    if "joins" in target.driver.capabilities:
        target.driver.set_join(target.device(device), target.device(other), smi=True, device=True)
        return
    require(target.driver, "seed", "recording a join in the inventory and on the device")
    entry = dict(device_entries(target.roles["IS"], target.devices, target.roles.get("GS"))[device])
    entry["joins"] = [target.device(other)]
    target.driver.seed({"devices": [entry]})


@given(parsers.parse("the {device} itself holds a join with the {other} that the inventory does not record"))
def device_only_join(dcc_scenario: Scenario, device: str, other: str) -> None:
    target = dcc_scenario.target
    require(target.driver, "joins", "a join held by the device but not recorded in the SMI")
    target.driver.set_join(target.device(device), target.device(other), smi=False, device=True)
    target.driver.set_join(target.device(device), target.device(other), smi=True, device=False, remove=True)


@given(parsers.parse("the inventory records no join of the {other} to the {device}"))
def no_join_given(dcc_scenario: Scenario, other: str, device: str) -> None:
    """Checked in the SMI where the driver can read it, else taken from the statement's declaration of joins."""
    target = dcc_scenario.target
    pair = (target.device(device), target.device(other))
    if "device-view" in target.driver.capabilities:
        if pair[1] in _view(dcc_scenario, device).smi.joins:
            raise ArrangementError(f"the estate's inventory already records the {other} joined to the {device}")
        return
    if target.declared_joins is None:
        raise NotApplicableError(
            f"whether the SMI holds a join of the {other} to the {device} needs the 'device-view' capability, or "
            "a 'joins:' declaration in the implementation statement",
            capability="device-view",
        )
    if pair in target.declared_joins or pair[::-1] in target.declared_joins:
        raise NotApplicableError(f"the implementation statement declares the {other} joined to the {device}")
    dcc_scenario.report(f"no join of the {other} to the {device} in the SMI, as the implementation statement declares")


@given(parsers.parse('the endpoint\'s schema has the CSP region "{region}"'))
def schema_region(dcc_scenario: Scenario, region: str) -> None:
    version = dcc_scenario.target.schema_version
    if region not in CSP_REGIONS[version]:
        raise NotApplicableError(f"the DUIS {version} CSPRegion enumeration has no {region!r}")


@given(
    parsers.re(
        r'WAN coverage for UPRN (?P<uprn>\d+) in region "(?P<region>[^"]+)" with variant "(?P<variant>[^"]*)" '
        r"(?P<state>available|not available until (?P<when>\d{4}-\d{2}-\d{2}))"
    )
)
def coverage(dcc_scenario: Scenario, uprn: str, region: str, variant: str, state: str, when: str | None) -> None:
    require(dcc_scenario.target.driver, "seed", "arranging WAN coverage")
    column = dcc_scenario.target.chism_column
    row = chism.variant(variant)
    if column is not None and row is not None:  # the statement's column: arrange what that endpoint would hold
        variant = row.name(column)  # type: ignore[arg-type]
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
    eui = dcc_scenario.target.device(device)
    dcc_scenario.notes["before"] = dict(_view(dcc_scenario, device).smi.certificates)
    dcc_scenario.notes["renewed"] = dcc_scenario.target.driver.renew_certificates(eui)


@given(parsers.parse("the {device} uses the certificates the inventory records"))
def same_certificates(dcc_scenario: Scenario, device: str) -> None:
    view = _view(dcc_scenario, device)
    if dict(view.smi.certificates) != dict(view.device.certificates):
        raise ArrangementError(f"the {device} uses other certificates than the inventory records")
    dcc_scenario.notes["before"] = dict(view.smi.certificates)
    if "smki" in dcc_scenario.target.driver.capabilities:
        dcc_scenario.notes["smki before"] = _smki(dcc_scenario, device)


@given(parsers.parse('the inventory holds no "{usage}" certificate of the {device}'))
def no_certificate(dcc_scenario: Scenario, usage: str, device: str) -> None:
    if usage in _view(dcc_scenario, device).smi.certificates:
        raise ArrangementError(f"the estate's inventory holds a {usage} certificate of the {device}")


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


@when("the user requests the WAN matrix for every coverage address the implementation statement declares")
def wan_declared(dcc_scenario: Scenario) -> None:
    addresses = dcc_scenario.target.coverage_addresses
    if not addresses:
        raise NotApplicableError("the implementation statement declares no coverage_addresses to ask SR 12.1 about")
    for address in addresses:
        answer = dcc_scenario.request("12.1", **dict(address))
        expect(answer.code.startswith(("I0", "E")), f"12.1 for {dict(address)} was answered {answer.code}")
        if answer.code != "I0":
            dcc_scenario.report(f"12.1 for {dict(address)} was answered {answer.code} (no coverage data, not judged)")
    dcc_scenario.notes["declared coverage"] = True


def _threshold_values(values: str, indexes: str, *, checked: bool) -> list[Threshold]:
    texts = [v.strip() for v in values.split(",")]
    idx = [int(i) for i in indexes.split(",")]
    if checked:
        try:
            return gas_thresholds([int(t) for t in texts], indexes=idx)
        except (BuildError, ValueError) as exc:
            raise HarnessError(
                f"the Examples give thresholds the builder refuses ({exc}); mark the step unchecked"
            ) from exc
    if len(texts) != len(idx):
        raise HarnessError(f"{len(idx)} indexes for {len(texts)} thresholds")
    return [Threshold.unchecked(i, t) for i, t in zip(idx, texts, strict=True)]


@when(
    parsers.re(
        r'the user sends the GSME a gas tariff with BlockThreshold values "(?P<values>[^"]+)" and indexes '
        r'"(?P<indexes>[^"]+)"(?P<unchecked>, unchecked)?'
    )
)
def tariff(dcc_scenario: Scenario, values: str, indexes: str, unchecked: str | None) -> None:
    thresholds = _threshold_values(values, indexes, checked=not unchecked)
    dcc_scenario.notes["thresholds sent"] = [t.wh for t in thresholds]
    dcc_scenario.srv("1.1.1", device="GSME", thresholds=thresholds)


@when(parsers.parse('the user retrieves the "{usage}" credentials of the {device}'))
def credentials(dcc_scenario: Scenario, usage: str, device: str) -> None:
    dcc_scenario.srv("6.24.2", device=device, credential_type=usage)


@when(
    parsers.re(
        r"the user notifies the installation of the (?P<device>\w+) without SM WAN, "
        r"(?P<when>installed 30 minutes ago|installed in 2 days|with no install date and time)"
    )
)
def install(dcc_scenario: Scenario, device: str, when: str) -> None:
    moment = {
        "installed 30 minutes ago": datetime.now(UTC) - timedelta(minutes=30),
        "installed in 2 days": datetime.now(UTC) + timedelta(days=2),
        "with no install date and time": None,
    }[when]
    details = InstallDetails(
        device_id=dcc_scenario.target.device(device), mpxn="1234567890123", install_datetime=moment
    )
    dcc_scenario.request("8.14.2", details=details)


@when(parsers.parse("the user joins the {other} to the {device}"))
def join(dcc_scenario: Scenario, other: str, device: str) -> None:
    answer = dcc_scenario.srv("8.7.2", device=device, other_device_id=dcc_scenario.target.device(other))
    if answer.code == "I99":  # on an endpoint that is not reset, the pair is unjoined again after the scenario
        dcc_scenario.on_teardown(lambda: _unjoin_quietly(dcc_scenario, other, device))


def _unjoin_quietly(dcc_scenario: Scenario, other: str, device: str) -> None:
    """Restore the pair (best effort, not judged): Unjoin, and wait for the device response so the SMI is
    updated before the next scenario starts."""
    sent = dcc_scenario.srv("8.8.2", device=device, other_device_id=dcc_scenario.target.device(other))
    if sent.code == "I99":
        dcc_scenario.wait_device_response(sent)


@when(parsers.parse("the user unjoins the {other} from the {device}"))
def unjoin(dcc_scenario: Scenario, other: str, device: str) -> None:
    dcc_scenario.srv("8.8.2", device=device, other_device_id=dcc_scenario.target.device(other))


@when(parsers.parse('the user issues SRV "{srv}" for local delivery'))
def local(dcc_scenario: Scenario, srv: str) -> None:
    answer = dcc_scenario.srv(srv, local=True)
    # Arrangement for the 8.13 rules, not a judgement of SRV srv: an endpoint that will not issue it is not judged.
    if answer.code != "I0" or answer.exchange is None or answer.judged.response.payload_kind != "LocalCommand":
        raise ArrangementError(f"SRV {srv} for local delivery was answered {answer.code} without a LocalCommand")
    dcc_scenario.local_request_id = str(answer.request.request_id)
    dcc_scenario.local_srv = srv
    dcc_scenario.notes["local role"] = dcc_scenario.target.role_for(srv, answer.request.request_id.target)


def _local_state(dcc_scenario: Scenario) -> tuple[str, bytes]:
    if dcc_scenario.local_request_id is None or dcc_scenario.gbcs_response is None:
        raise HarnessError("no locally delivered command was executed in this scenario")
    return dcc_scenario.local_request_id, dcc_scenario.gbcs_response


@when("the engineer executes the command on the device")
def execute(dcc_scenario: Scenario) -> None:
    require(dcc_scenario.target.driver, "execute-locally", "running a locally delivered command on the device")
    if dcc_scenario.local_request_id is None:
        raise HarnessError("no command was issued for local delivery")
    dcc_scenario.gbcs_response = dcc_scenario.target.driver.execute_locally(dcc_scenario.local_request_id)


@when(
    parsers.re(
        r"the user returns the device's response with SR 8\.13"
        r"(?P<how> without the OriginalRequestID| under another originator counter)?$"
    )
)
def return_local(dcc_scenario: Scenario, how: str | None) -> None:
    request_id, response = _local_state(dcc_scenario)
    original: RequestID | None = RequestID.parse(request_id)
    if how == " without the OriginalRequestID":
        original = None
    elif how == " under another originator counter":
        try:
            counter = parse_general_signing(response).counter
        except GbcsError as exc:
            raise HarnessError(f"the device's response is not a GBCS General Signing message: {exc}") from None
        data = bytearray(response)
        position = bytes(data).find(counter.to_bytes(8, "big"))
        if position < 0:
            raise HarnessError("the originator counter is not where GBCS puts it in the device's response")
        data[position + 7] ^= 0x01  # the low byte of the GBCS originator counter
        response = bytes(data)
    # The response goes back as the user the command was issued to (DUIS 3.8.112.2: OriginalRequestID's originator).
    role = dcc_scenario.notes.get("local role")
    dcc_scenario.request("8.13", role=role, original_request_id=original, device_gbcs_response=response)


# -- Then: answers -----------------------------------------------------------------------------------------------


@then(parsers.parse("the response code is {code}"))
def response_code(dcc_scenario: Scenario, code: str) -> None:
    got = dcc_scenario.last.code
    expect(got == code, f"expected {code}, the endpoint answered {got} to SRV {dcc_scenario.last.request.srv}")


@then("the request is accepted")
def accepted(dcc_scenario: Scenario) -> None:
    got = dcc_scenario.last.code
    expect(got in ("I0", "I99"), f"SRV {dcc_scenario.last.request.srv} was not accepted: the endpoint answered {got}")


@then("the request is accepted with W081401")
def accepted_warning(dcc_scenario: Scenario) -> None:
    got = dcc_scenario.last.code
    expect(got == "W081401", f"the CHF is not InstalledNotCommissioned: W081401 is due, the endpoint answered {got}")


@then("the request is accepted without a warning")
def accepted_plain(dcc_scenario: Scenario) -> None:
    got = dcc_scenario.last.code
    expect(
        got in ("I0", "I99"), f"the CHF is InstalledNotCommissioned: expected I0 or I99, the endpoint answered {got}"
    )


@then(parsers.parse('the request is refused as "{case}"'))
def refused(dcc_scenario: Scenario, case: str) -> None:
    check_refused(dcc_scenario, case)


def _device_response(dcc_scenario: Scenario) -> Any:
    answer: Answer = dcc_scenario.last
    expect(answer.code == "I99", f"SRV {answer.request.srv} was answered {answer.code}: no device response is due")
    return dcc_scenario.wait_device_response(answer).response


@then(parsers.parse("the device response arrives with code {code}"))
def device_response(dcc_scenario: Scenario, code: str) -> None:
    got = _device_response(dcc_scenario).code
    expect(got == code, f"expected a device response {code}, got {got}")


@then("the device response arrives")
def device_response_any(dcc_scenario: Scenario) -> None:
    _device_response(dcc_scenario)


# -- Then: WAN coverage ------------------------------------------------------------------------------------------


def _coverage(dcc_scenario: Scenario) -> list[WanCoverage]:
    response = dcc_scenario.last.judged.response
    expect(response.wan_matrix is not None, f"the 12.1 answer ({response.code}) carries no DSPWANMatrix")
    assert response.wan_matrix is not None
    return list(response.wan_matrix.regions)


def _all_coverage(dcc_scenario: Scenario) -> list[WanCoverage]:
    """The region rows of every SR 12.1 answer of the scenario that carries a DSPWANMatrix."""
    rows: list[WanCoverage] = []
    for answer in dcc_scenario.answers:
        if answer.request.srv == "12.1" and answer.code == "I0":
            matrix = answer.judged.response.wan_matrix
            expect(matrix is not None, "an I0 answer to SR 12.1 carries no DSPWANMatrix")
            assert matrix is not None
            rows += list(matrix.regions)
    return rows


def _region(dcc_scenario: Scenario, region: str) -> WanCoverage:
    rows = [r for r in _coverage(dcc_scenario) if r.region == region]
    expect(rows, f"the DSPWANMatrix has no row for CSP region {region}")
    return rows[0]


def _columns(dcc_scenario: Scenario) -> tuple[chism.Column, ...]:
    column = dcc_scenario.target.chism_column
    return (column,) if column is not None else chism.COLUMNS  # type: ignore[return-value]


@then(parsers.parse('the coverage for region "{region}" reports the table 3 variant "{dcc13}" or "{dcc20}"'))
def wan_variant(dcc_scenario: Scenario, region: str, dcc13: str, dcc20: str) -> None:
    got = _region(dcc_scenario, region).wan_technology
    names = {"DCC 1.3": dcc13, "DCC 2.0": dcc20}
    wanted = {names[c] for c in _columns(dcc_scenario)}
    where = (
        f"the {dcc_scenario.target.chism_column} column the statement declares"
        if dcc_scenario.target.chism_column
        else "either CHISM table 3 column"
    )
    expect(
        got in wanted,
        f"region {region}: WAN technology {got!r}; expected {' or '.join(map(repr, sorted(wanted)))} ({where})",
    )


@then("every WAN technology reported for a table 3 region is a table 3 value of that region")
def chism_values(dcc_scenario: Scenario) -> None:
    rows = [r for r in _all_coverage(dcc_scenario) if r.wan_technology is not None]
    judged = [r for r in rows if r.region in chism.TABLE_3_REGIONS]
    if not judged and dcc_scenario.notes.get("declared coverage"):
        raise ArrangementError("no coverage address of the implementation statement was answered with a WAN variant")
    for row in rows:
        if row.region not in chism.TABLE_3_REGIONS:
            dcc_scenario.report(
                f"region {row.region} answered WAN technology {row.wan_technology!r}: CHISM table 3 does not cover "
                "that region, so it is reported, not judged"
            )
    expect(judged, "no CSP region covered by CHISM table 3 reported a WAN technology")
    columns = _columns(dcc_scenario)
    for row in judged:
        value = row.wan_technology or ""
        variant = next((v for c in columns if (v := chism.variant(value, c)) is not None), None)
        expect(
            variant is not None,
            f"region {row.region}: {value!r} is not a CHISM table 3 WAN variant"
            + (f" in the {columns[0]} column the statement declares" if len(columns) == 1 else ""),
        )
        assert variant is not None
        expect(variant.belongs_to(row.region), f"{value!r} does not belong to CSP region {row.region} (CHISM table 3)")


@then('every unconfirmed WAN variant " " comes with an availability date, in South or Central')
def space_rule(dcc_scenario: Scenario) -> None:
    spaces = [r for r in _all_coverage(dcc_scenario) if r.wan_technology == chism.SPACE]
    for row in spaces:
        expect(row.region in chism.SOUTH_AND_CENTRAL, f'region {row.region} answered " ": only South and Central may')
        expect(row.anticipated_date is not None, f'region {row.region} answered " " without an availability date')
        _report_space_reading(dcc_scenario, row.region)
    if not spaces:
        dcc_scenario.report('no region answered the unconfirmed variant " "')


def _report_space_reading(dcc_scenario: Scenario, region: str) -> None:
    mp106 = MODIFICATIONS["MP106"]
    if at_least(dcc_scenario.target.release, mp106.release):
        dcc_scenario.report(
            f'region {region} answered " ": read as "Unknown" ({mp106.id} guidance from {mp106.release})'
        )
    else:
        dcc_scenario.report(
            f'region {region} answered " ": an availability date with the WAN variant unconfirmed (MP081); '
            f'{mp106.id}\'s "Unknown" reading is guidance from {mp106.release}'
        )


@then(parsers.parse('the coverage for region "{region}" gives the anticipated coverage date {when}'))
def anticipated(dcc_scenario: Scenario, region: str, when: str) -> None:
    row = _region(dcc_scenario, region)
    expect(row.anticipated_date == date.fromisoformat(when), f"anticipated date {row.anticipated_date}, not {when}")
    expect(row.available is False, "coverage with an anticipated date must not be available yet")


@then(parsers.parse('the coverage for region "{region}" reports the unconfirmed WAN variant " "'))
def unconfirmed(dcc_scenario: Scenario, region: str) -> None:
    value = _region(dcc_scenario, region).wan_technology
    expect(value == chism.SPACE, f'the unconfirmed variant is " " (one space) on the wire, got {value!r}')
    _report_space_reading(dcc_scenario, region)


# -- Then: the meter and the inventory ---------------------------------------------------------------------------


@then(parsers.parse("the GSME holds gas block thresholds of {values} Wh"))
def meter_holds(dcc_scenario: Scenario, values: str) -> None:
    wanted = [int(v.strip()) for v in values.split(",")]
    got = _view(dcc_scenario, "GSME").device.gas_block_thresholds_wh
    held = list(got) if got is not None else None
    expect(got == tuple(wanted), f"the meter holds {held}, the request carried {wanted} Wh")


def _read_status(dcc_scenario: Scenario, device: str) -> str | None:
    eui = dcc_scenario.target.device(device)
    code, entry = _inventory_entry(dcc_scenario, eui)
    expect(code == "I0", f"8.2 Read Inventory of the {device} answered {code}")
    expect(entry is not None, f"8.2 did not return the {device} {eui}")
    assert entry is not None
    return entry.status


@then(parsers.parse('the inventory shows the {device} in status "{status}"'))
def inventory_status(dcc_scenario: Scenario, device: str, status: str) -> None:
    got = _read_status(dcc_scenario, device)
    expect(got == status, f"8.2 shows the {device} {got}, expected {status}")


def _view(dcc_scenario: Scenario, device: str) -> DeviceView:
    require(dcc_scenario.target.driver, "device-view", f"reading the inventory's and the {device}'s own records")
    return dcc_scenario.target.driver.device_view(dcc_scenario.target.device(device))


def _smki(dcc_scenario: Scenario, device: str) -> list[SmkiEntry]:
    require(dcc_scenario.target.driver, "smki", "searching the SMKI repository")
    entries = dcc_scenario.target.driver.smki(dcc_scenario.target.device(device))
    return sorted(entries, key=lambda e: (e.usage, e.serial))


@then(parsers.parse('the inventory records the {device}\'s new "{usage}" certificate'))
def inventory_certificate(dcc_scenario: Scenario, device: str, usage: str) -> None:
    new = dcc_scenario.notes["renewed"][usage]
    recorded = _view(dcc_scenario, device).smi.certificates
    expect(recorded.get(usage) == new, f"the inventory records {recorded.get(usage)}, the device uses {new}")


@then(parsers.parse('the inventory still records the {device}\'s "{usage}" certificate as before'))
def inventory_old(dcc_scenario: Scenario, device: str, usage: str) -> None:
    recorded = _view(dcc_scenario, device).smi.certificates
    before = dcc_scenario.notes["before"].get(usage)
    expect(recorded.get(usage) == before, f"the {usage} certificate changed from {before} to {recorded.get(usage)}")


@then(parsers.parse('the SMKI repository holds the {device}\'s new "{usage}" certificate as In Use'))
def smki_new(dcc_scenario: Scenario, device: str, usage: str) -> None:
    new = dcc_scenario.notes["renewed"][usage]
    entries = {e.serial: e for e in _smki(dcc_scenario, device)}
    expect(new in entries, f"the SMKI repository has no certificate {new} for the {device}")
    expect(
        entries[new].status == "In Use" and entries[new].usage == usage,
        f"the SMKI repository holds {new} as {entries[new].status} {entries[new].usage}",
    )


@then(parsers.parse("the inventory and the SMKI repository hold the {device}'s certificates as before"))
def certificates_unchanged(dcc_scenario: Scenario, device: str) -> None:
    recorded = dict(_view(dcc_scenario, device).smi.certificates)
    expect(recorded == dcc_scenario.notes["before"], f"the inventory's certificates changed: {recorded}")
    if "smki before" in dcc_scenario.notes:
        now = _smki(dcc_scenario, device)
        expect(now == dcc_scenario.notes["smki before"], f"the SMKI repository changed: {now}")
    else:
        dcc_scenario.report("the SMKI repository was not compared: the driver offers no 'smki' capability")


@then(parsers.parse("the inventory records the {other} joined to the {device}"))
def smi_join(dcc_scenario: Scenario, other: str, device: str) -> None:
    joins = _view(dcc_scenario, device).smi.joins
    expect(dcc_scenario.target.device(other) in joins, f"the SMI records no join of the {other} to the {device}")


@then(parsers.parse("the inventory records no join of the {other} to the {device}"))
def smi_no_join(dcc_scenario: Scenario, other: str, device: str) -> None:
    joins = _view(dcc_scenario, device).smi.joins
    expect(dcc_scenario.target.device(other) not in joins, f"the SMI records the {other} joined to the {device}")


@then(parsers.parse("the {device} itself holds the join with the {other}"))
def device_join(dcc_scenario: Scenario, device: str, other: str) -> None:
    joins = _view(dcc_scenario, device).device.joins
    expect(dcc_scenario.target.device(other) in joins, f"the {device} holds no join with the {other}")


@then(parsers.parse("the {device} itself no longer holds the join with the {other}"))
def device_no_join(dcc_scenario: Scenario, device: str, other: str) -> None:
    joins = _view(dcc_scenario, device).device.joins
    expect(dcc_scenario.target.device(other) not in joins, f"the {device} still holds the join with the {other}")


def _tracked(dcc_scenario: Scenario, device: str) -> tuple[bool, str]:
    tracked = _view(dcc_scenario, device).smi.organisation_certificates
    sent = sample_values(dcc_scenario.local_srv or "6.15.1")["digital_signing"]
    return sent.hex() in tracked.values(), f"tracked for the {device}: {sorted(tracked)}"


@then(parsers.parse("the organisation certificates tracked for the {device} include the one sent"))
def org_certs(dcc_scenario: Scenario, device: str) -> None:
    found, detail = _tracked(dcc_scenario, device)
    expect(found, f"the response was returned through 8.13, yet the certificate sent is not tracked ({detail})")


@then(parsers.parse("the organisation certificates tracked for the {device} lack the one sent"))
def org_certs_not_yet(dcc_scenario: Scenario, device: str) -> None:
    found, detail = _tracked(dcc_scenario, device)
    expect(not found, f"the certificate is tracked before the device's response was returned ({detail})")

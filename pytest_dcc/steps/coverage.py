"""Steps of SR 12.1 Request WAN Matrix (features/clauses/wan-matrix.feature).

Thin, as :mod:`pytest_dcc.steps.common` says of every step module."""

from __future__ import annotations

from datetime import date
from typing import Final

from pytest_bdd import given, parsers, then, when

from pytest_dcc.drivers import require
from pytest_dcc.duis.responses import WanCoverage
from pytest_dcc.errors import ArrangementError, NotApplicableError
from pytest_dcc.spec import CSP_REGIONS, chism
from pytest_dcc.spec.releases import MODIFICATIONS, at_least
from pytest_dcc.suite.context import Scenario
from pytest_dcc.suite.judging import expect

#: The registry clauses these steps judge.
CLAUSES: Final[tuple[str, ...]] = ("MP081-CHISM-E3-T3", "MP081-CHISM-E3-SPACE")


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
                    "uprn": dcc_scenario.target.lane.uprn(int(uprn)),
                    "region": region,
                    "available": state == "available",
                    "anticipated_date": when,
                    "wan_variant": variant,
                    "connectivity_likelihood": "Medium",
                }
            ]
        }
    )


@when(parsers.parse("the user requests the WAN matrix for UPRN {uprn:d}"))
def wan(dcc_scenario: Scenario, uprn: int) -> None:
    dcc_scenario.request("12.1", uprn=dcc_scenario.target.lane.uprn(uprn))


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


@then(
    parsers.parse(
        'where the answer has a row per region, the coverage for region "{region}" reports the table 3 variant '
        '"{dcc13}" or "{dcc20}"'
    )
)
def wan_variant_per_region(dcc_scenario: Scenario, region: str, dcc13: str, dcc20: str) -> None:
    """The second region of a premises covered by two: judged exactly where the schema answers per region (5.3a,
    5.4); the flat 5.0/5.1 answer holds one region only, which is reported."""
    matrix = dcc_scenario.last.judged.response.wan_matrix
    if matrix is not None and matrix.flat:
        dcc_scenario.report(f"the {dcc_scenario.target.schema_version} answer holds one region: {region} not judged")
        return
    wan_variant(dcc_scenario, region, dcc13, dcc20)


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

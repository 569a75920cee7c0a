"""Steps of SR 8.14.2 CH Status Update - Install No SM WAN
(features/clauses/chf-install-no-wan.feature).

Thin, as :mod:`pytest_dcc.steps.common` says of every step module."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from pytest_bdd import parsers, then, when

from pytest_dcc.duis.nondevice_bodies import InstallDetails
from pytest_dcc.suite.context import Scenario
from pytest_dcc.suite.judging import expect

#: The registry clauses these steps judge.
CLAUSES: Final[tuple[str, ...]] = ("MP081-DUIS-3.8.106.3", "MP081-DUIS-3.8.114.4")


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

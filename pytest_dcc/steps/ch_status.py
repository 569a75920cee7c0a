"""Steps of SR 8.14.2 CH Status Update - Install No SM WAN
(features/clauses/chf-install-no-wan.feature).

Thin, as :mod:`pytest_dcc.steps.common` says of every step module."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

from pytest_bdd import parsers, then, when

from pytest_dcc.duis.build import DuisRequest
from pytest_dcc.duis.nondevice_bodies import InstallDetails
from pytest_dcc.errors import HarnessError
from pytest_dcc.spec import NS_SR
from pytest_dcc.suite.context import Scenario
from pytest_dcc.suite.judging import expect

#: The registry clauses these steps judge.
CLAUSES: Final[tuple[str, ...]] = ("MP081-DUIS-3.8.106.3", "MP081-DUIS-3.8.114.4")


#: The install moments the scenarios name: (offset from now, how the time is written: "Z" for UTC, "naive" for no
#: UTC offset at all (the UTC clock reading), or the UTC offset of the clock it is written on), or None for no time.
#: Boundaries: just past and just ahead of now, and times whose clock reading is on the other side of now than the
#: moment they name (an endpoint that ignores the offset reads them wrongly). A time without an offset is read as
#: UTC; those chosen lie on the same side of now whether it is read as UTC or as UK local time (BST, UTC+1).
INSTALL_MOMENTS: Final[dict[str, tuple[timedelta, timedelta | str] | None]] = {
    "installed 30 minutes ago": (timedelta(minutes=-30), "Z"),
    "installed 2 minutes ago": (timedelta(minutes=-2), "Z"),
    "installed in 2 days": (timedelta(days=2), "Z"),
    "installed in 10 minutes": (timedelta(minutes=10), "Z"),
    "installed 30 minutes ago, written at UTC+05:00": (timedelta(minutes=-30), timedelta(hours=5)),
    "installed in 2 hours, written at UTC-05:00": (timedelta(hours=2), timedelta(hours=-5)),
    "installed 90 minutes ago, written without an offset": (timedelta(minutes=-90), "naive"),
    "installed in 2 hours, written without an offset": (timedelta(hours=2), "naive"),
    "with no install date and time": None,
}


def _written(moment: datetime, how: timedelta | str) -> str:
    if how == "naive":
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    if isinstance(how, timedelta):
        return moment.astimezone(timezone(how)).isoformat(timespec="seconds")
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@when(
    parsers.re(
        r"the user notifies the installation of the (?P<device>\w+) without SM WAN, "
        r"(?P<when>" + "|".join(re.escape(k) for k in INSTALL_MOMENTS) + r")$"
    )
)
def install(dcc_scenario: Scenario, device: str, when: str) -> None:
    chosen = INSTALL_MOMENTS[when]
    moment = None if chosen is None else datetime.now(UTC) + chosen[0]
    details = InstallDetails(
        device_id=dcc_scenario.target.device(device), mpxn="1234567890123", install_datetime=moment
    )
    how = "Z" if chosen is None else chosen[1]

    def written(request: DuisRequest) -> None:  # the same instant, written as the row says
        node = request.root.find(f".//{{{NS_SR}}}InstallDateTime")
        if node is None or moment is None:
            raise HarnessError("the SR 8.14.2 built carries no InstallDateTime to write otherwise")
        node.text = _written(moment, how)

    dcc_scenario.request("8.14.2", details=details, edit=None if how == "Z" else written)


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

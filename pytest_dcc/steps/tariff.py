"""Steps of SR 1.1.1 and the GasThresholdMatrix (features/clauses/gas-thresholds.feature).

Thin, as :mod:`pytest_dcc.steps.common` says of every step module."""

from __future__ import annotations

from typing import Final

from pytest_bdd import parsers, then, when

from pytest_dcc.duis.bodies import Threshold, gas_thresholds
from pytest_dcc.errors import BuildError, HarnessError
from pytest_dcc.steps import common
from pytest_dcc.suite.context import Scenario
from pytest_dcc.suite.frame import value_becomes
from pytest_dcc.suite.judging import expect

#: The registry clauses these steps judge.
CLAUSES: Final[tuple[str, ...]] = ("MP081-DUIS-3.8.1.2",)


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
    answer = dcc_scenario.srv("1.1.1", device="GSME", thresholds=thresholds)
    if not unchecked:
        wanted = tuple(int(t.wh) for t in thresholds)
        what = f"the GSME's gas block thresholds {list(wanted)} Wh"
        common.effect_on(dcc_scenario, answer, "GSME", what, lambda v: _holds(v.device.gas_block_thresholds_wh, wanted))


def _holds(held: tuple[int, ...] | None, wanted: tuple[int, ...]) -> bool | None:
    """Whether the meter holds ``wanted``; None where the driver does not know what it holds."""
    return None if held is None else held == wanted


@then(parsers.parse("the GSME holds gas block thresholds of {values} Wh"))
def meter_holds(dcc_scenario: Scenario, values: str) -> None:
    wanted = [int(v.strip()) for v in values.split(",")]
    got = common.view(dcc_scenario, "GSME").device.gas_block_thresholds_wh
    held = list(got) if got is not None else None
    expect(got == tuple(wanted), f"the meter holds {held}, the request carried {wanted} Wh")
    path = (dcc_scenario.target.device("GSME"), "device", "gas_block_thresholds_wh")
    dcc_scenario.frame.allow(value_becomes(path, wanted, "the GSME's gas block thresholds (1.1.1)"))

"""pytest11 entry point of pytest-dcc: options, settings, report header. Wiring only.

The package is the whole pytest wiring, a module per job: ``hookspecs`` (the hook a vendor implements), ``options``
(the ``--dcc-*`` options and ini keys read into :class:`pytest_dcc.settings.DccSettings`), ``fixtures`` (the only
wiring that builds the in-process reference), ``recorder`` (verdicts.json), ``certification`` (the computed test
list), ``xdist_lanes`` (``-n N`` against an endpoint), ``bdd_items`` (what pytest-bdd knows of a test),
``step_lookup`` and ``allure_compat`` (two narrow adaptations of the BDD stack). What is judged is the suite's
(:mod:`pytest_dcc.suite`), each module's imports are held to its own contract (tests/layers.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pytest

from pytest_dcc._version import __version__
from pytest_dcc.plugin import allure_compat, step_lookup
from pytest_dcc.plugin.certification import TestListWriter, check_certification_run, not_applicable_reason
from pytest_dcc.plugin.options import SETTINGS_KEY, load_settings
from pytest_dcc.plugin.options import report_dir as report_dir_of
from pytest_dcc.plugin.recorder import VerdictRecorder, verdict_report
from pytest_dcc.plugin.xdist_lanes import start_lanes
from pytest_dcc.reporting import allure as allure_reports
from pytest_dcc.reporting.verdicts import run_metadata
from pytest_dcc.settings import INI_KEYS, OPTIONS
from pytest_dcc.spec.clauses import CLAUSES
from pytest_dcc.suite import lifecycle
from pytest_dcc.suite.applicability import check_release_tag

LINK_PATTERN_KEY: Final = pytest.StashKey[str]()

pytest_plugins = [
    "pytest_dcc.plugin.fixtures",
    "pytest_dcc.steps.wire",
    "pytest_dcc.steps.common",
    "pytest_dcc.steps.coverage",
    "pytest_dcc.steps.tariff",
    "pytest_dcc.steps.credentials",
    "pytest_dcc.steps.ch_status",
    "pytest_dcc.steps.join",
    "pytest_dcc.steps.local_command",
    "pytest_dcc.steps.envelope",
]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register pytest-dcc's hooks (:mod:`pytest_dcc.plugin.hookspecs`)."""
    from pytest_dcc.plugin import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    """All options in one ``dcc`` group; the main ones also as ini keys."""
    group = parser.getgroup("dcc", "DUIS conformance (pytest-dcc)")
    for option in OPTIONS:
        default = f" (default: {option.default})" if option.default else ""
        choices = f" (one of: {', '.join(option.choices)})" if option.choices else ""
        text = f"{option.help}{choices}{default}" + (" (repeat)" if option.repeat else "")
        if option.repeat:
            group.addoption(option.flag, metavar=option.value, action="append", default=[], help=text)
        else:
            group.addoption(option.flag, metavar=option.value, help=text)
    for key, text in INI_KEYS.items():
        parser.addini(key, text, default="")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Give pytest-bdd its own step lookup back (pytester sessions run in the same process)."""
    step_lookup.uninstall()


def pytest_configure(config: pytest.Config) -> None:
    """Check every setting once and keep them in the stash."""
    allure_compat.install()
    step_lookup.install()
    config.addinivalue_line("markers", "wire: the suite's self-check of what it puts on the wire")
    for kind, text in TAG_MARKERS.items():
        config.addinivalue_line("markers", f"dcc_{kind}(value): {text} (Gherkin tag @{kind}:<value>)")
    config.stash[SETTINGS_KEY] = settings = load_settings(config)
    report_dir = report_dir_of(config)
    if settings.mode == "certification":
        check_certification_run(config, settings)
    pattern = config.getoption("dcc_clause_link_pattern") or allure_reports.DEFAULT_LINK_PATTERN
    try:
        config.stash[LINK_PATTERN_KEY] = allure_reports.check_link_pattern(pattern)
    except ValueError as exc:
        raise pytest.UsageError(f"--dcc-clause-link-pattern {pattern!r}: {exc}") from None
    recorder = VerdictRecorder(
        report_dir,
        run_metadata(settings),
        settings.expected_failures,
        allure_results=Path(config.option.allure_report_dir) if allure_reports.active(config) else None,
    )
    config.pluginmanager.register(recorder, "pytest-dcc-verdicts")
    if allure_reports.active(config):  # what allure takes from an exception itself, scrubbed as pytest's reports are
        config.add_cleanup(allure_reports.scrub_results(settings.redactor))
    config.pluginmanager.register(TestListWriter(report_dir, settings), "pytest-dcc-test-list")
    start_lanes(config, settings)  # -n N against an endpoint: a lane per worker (pytest_dcc.plugin.xdist_lanes)


#: Gherkin tag prefixes that become markers with a value: ``@clause:MP081-DUIS-3.8.1.2`` -> ``dcc_clause(...)``.
TAG_MARKERS: Final = {
    "clause": "the SEC clause a scenario judges",
    "release": "the SEC releases a scenario applies to",
    "srv": "the Service Reference Variant a scenario exercises",
    "level": "the level a scenario works at (envelope, clause, story)",
}


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_apply_tag(tag: str, function: Callable[..., Any]) -> bool | None:
    """Turn ``@kind:value`` tags into ``dcc_<kind>(value)`` markers; an unknown clause ID stops the run."""
    kind, sep, value = tag.partition(":")
    if not sep or kind not in TAG_MARKERS:
        return None
    if not value:
        raise pytest.UsageError(f"Gherkin tag @{tag} has no value")
    if kind == "clause" and value not in CLAUSES:
        raise pytest.UsageError(f"Gherkin tag @{tag} names a clause that is not in the registry: {value}")
    if kind == "release":
        try:
            check_release_tag(value)
        except ValueError as exc:
            raise pytest.UsageError(f"Gherkin tag @{tag}: {exc}") from None
    getattr(pytest.mark, f"dcc_{kind}")(value)(function)
    return True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Allure labels and links of every scenario, from the clause registry and its tags; with ``--dcc-shuffle``
    the order drawn from the seed."""
    settings = config.stash[SETTINGS_KEY]
    if settings.shuffle_seed is not None:
        import random

        random.Random(settings.shuffle_seed).shuffle(items)
    claimed = settings.release
    for item in items:
        allure_reports.label_item(item, config.stash[LINK_PATTERN_KEY], claimed)


@pytest.hookimpl(trylast=True)
def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    """A scenario whose ``@release:`` tags or the statement exclude it is NOT_APPLICABLE (reported as a skip).
    Raised as the scenario starts (after allure-pytest-bdd opened its result), so the report shows it too."""
    reason = not_applicable_reason(request.node, request.config.stash[SETTINGS_KEY])
    if reason:
        pytest.skip(f"NOT_APPLICABLE: {reason}")


def pytest_bdd_before_step(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Any
) -> None:
    """Each step of a suite scenario starts in :func:`pytest_dcc.suite.lifecycle.step_starting`."""
    evidence = lifecycle.scenario_of(request)
    if evidence is not None:
        lifecycle.step_starting(evidence, scenario, step)


def pytest_bdd_after_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    """A suite scenario ends in :func:`pytest_dcc.suite.lifecycle.scenario_finished` (a second, different answer
    to one of its requests is an ERROR)."""
    evidence = lifecycle.scenario_of(request)
    if evidence is not None:
        lifecycle.scenario_finished(evidence)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
    """A scenario's phase that ended in a verdict's exception: its report traced from the step that raised it
    (:func:`pytest_dcc.plugin.recorder.verdict_report`); any other, pytest's."""
    return verdict_report(item, call)


def pytest_report_header(config: pytest.Config) -> str:
    """Say what is being tested, and how."""
    settings = config.stash[SETTINGS_KEY]
    target = settings.target  # never its credentials
    schema = str(settings.xsd) if settings.xsd else "embedded schema"
    return (
        f"pytest-dcc {__version__}: endpoint {target}; SEC release {settings.release}; "
        f"DUIS {settings.schema_version}; {schema}"
    )

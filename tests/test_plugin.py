from __future__ import annotations

import json
import re

import pytest

pytest_plugins = ["pytester"]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--dcc-endpoint", "ftp://x", "--dcc-endpoint must be an http:// or https:// URL, given: ftp://x"),
        ("--dcc-schema-version", "6.0", "--dcc-schema-version must be one of 5.0, 5.1, 5.3a, 5.4, given: 6.0"),
        ("--dcc-user-id", "nope", "--dcc-user-id must be an EUI-64"),
        ("--dcc-timeout", "0", "--dcc-timeout must be a number of seconds"),
        ("--dcc-signature-policy", "maybe", "--dcc-signature-policy must be one of"),
        ("--dcc-header", "NoColon", "--dcc-header must be 'Name: value'"),
        ("--dcc-xsd", "/no/such.xsd", "--dcc-xsd must name an existing file, given: /no/such.xsd"),
        (
            "--dcc-release",
            "2019-01",
            "--dcc-release must be one of 2020-06, 2020-11, 2021-06, 2024-06, 2025-11, latest",
        ),
    ],
)
def test_bad_settings_are_usage_errors_naming_option_and_value(
    pytester: pytest.Pytester, option: str, value: str, message: str
) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(f"{option}={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


def test_report_header_names_the_target(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--dcc-endpoint=https://duis.example:8079", "--dcc-schema-version=5.1")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*pytest-dcc * endpoint https://duis.example:8079; SEC release 2025-11; DUIS 5.1; embedded schema*"]
    )


def test_default_transport_is_the_in_process_reference_dcc(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pytest_dcc.transport.inprocess import InProcessTransport

        def test_reference(dcc_transport, dcc_reference, dcc_builder, dcc_identity, dcc_inbox):
            assert isinstance(dcc_transport, InProcessTransport)
            assert dcc_reference.release.name == "2020-11"
            from pytest_dcc.duis.signing import sign
            request = dcc_builder.request("12.1", postcode="M22 0RR", address_identifier="Threapwood Road")
            sign(request.root, dcc_identity)
            # The run's user is not in the empty inventory: the reference DCC refuses it, signed, with E1.
            exchange = dcc_transport.send(request, request.to_bytes())
            assert exchange.code == "E1" and exchange.judged.signature.verified
        """
    )
    result = pytester.runpytest("--dcc-release=2020-11", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*endpoint in-process reference DCC; SEC release 2020-11*"])


def test_pki_folder_option_shares_the_serve_pki(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_pki(dcc_test_pki, dcc_settings):
            assert (dcc_settings.pki_dir / "pki.json").is_file()
            assert dcc_settings.user_id in dcc_test_pki.identities
        """
    )
    result = pytester.runpytest(f"--dcc-pki={pytester.path / 'pki'}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@pytest.mark.slow
def test_gherkin_tags_become_registered_markers_and_unknown_clauses_stop_the_run(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".feature",
        tagged=(
            "Feature: Tagged\n"
            "  @clause:MP178-UNJOIN @release:from-2024-06 @srv:8.8.2 @level:clause\n"
            "  Scenario: Known clause\n"
            "    Given nothing\n"
        ),
    )
    pytester.makepyfile(
        """
        import pytest
        from pytest_bdd import given, scenarios

        scenarios("tagged.feature")

        @given("nothing")
        def nothing(request):
            marks = {m.name: m.args for m in request.node.iter_markers()}
            assert marks["dcc_clause"] == ("MP178-UNJOIN",)
            assert marks["dcc_release"] == ("from-2024-06",) and marks["dcc_srv"] == ("8.8.2",)
        """
    )
    pytester.makeini("[pytest]\naddopts = --strict-markers -p no:cacheprovider\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    (pytester.path / "tagged.feature").write_text(
        "Feature: Tagged\n  @clause:MP999-NOPE\n  Scenario: Unknown clause\n    Given nothing\n"
    )
    result = pytester.runpytest_subprocess()
    assert result.ret != pytest.ExitCode.OK
    output = result.stdout.str() + result.stderr.str()
    assert "names a clause that is not in the registry: MP999-NOPE" in output


_WRONG_FEATURE = """
Feature: a wrong endpoint
  Scenario: the answer breaks the clause
    Then the endpoint's answer is wrong
"""
_WRONG_STEPS = """
from pytest_bdd import scenarios, then
from pytest_dcc.errors import EndpointAssertion

scenarios("wrong.feature")


def _judge(code):
    raise EndpointAssertion(f"the answer names {code}, the clause says E081402")


@then("the endpoint's answer is wrong")
def _wrong():
    _judge("E081401")
"""


@pytest.mark.parametrize("tb", [None, "long"])
def test_a_verdicts_trace_starts_at_its_step_and_tb_gives_pytests_own(
    pytester: pytest.Pytester, tb: str | None
) -> None:
    """A FAIL (any pytest-dcc exception) is traced as Python prints it, from the step that raised it: no frame of
    pytest, pluggy or pytest-bdd, and no source parsed per frame (a quarter of a second per scenario otherwise);
    ``--tb`` asks for pytest's rendering. The verdict is the same either way."""
    pytester.makefile(".feature", wrong=_WRONG_FEATURE)
    pytester.makepyfile(test_wrong=_WRONG_STEPS)
    result = pytester.runpytest("-p", "no:cacheprovider", *([f"--tb={tb}"] if tb else []))
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    text = result.stdout.str().partition(" FAILURES ")[2]
    assert "the answer names E081401, the clause says E081402" in text
    document = json.loads((pytester.path / "reports" / "verdicts.json").read_text())
    assert [s["verdict"] for s in document["scenarios"]] == ["FAIL"]
    if tb is None:
        assert 'in _wrong\n    _judge("E081401")' in text and "in _judge" in text, text
        assert "pluggy" not in text and "pytest_bdd" not in text and "\nE   " not in text, text
    else:
        assert "\nE   " in text and "def _judge(code):" in text, text  # pytest's long style: source and E lines


def test_showlocals_on_a_verdict_gives_pytests_rendering_with_the_locals(pytester: pytest.Pytester) -> None:
    """``-l`` asks for every frame's locals: a verdict's trace is then pytest's own, which shows them (the plugin's
    Python-style trace has none); the verdict is the same."""
    pytester.makefile(".feature", wrong=_WRONG_FEATURE)
    pytester.makepyfile(test_wrong=_WRONG_STEPS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-l")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    text = result.stdout.str().partition(" FAILURES ")[2]
    assert re.search(r"\ncode +=  ?'E081401'\n", text), text  # _judge's local, as pytest shows locals
    document = json.loads((pytester.path / "reports" / "verdicts.json").read_text())
    assert [s["verdict"] for s in document["scenarios"]] == ["FAIL"]


def test_with_allure_a_fails_summary_line_names_its_exception_and_its_trace_its_clauses(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With allure on, the FAIL's clauses go after its trace (allure sorts FAILs by them) and pytest's one-line
    summary still gives the exception, not "Traceback (most recent call last):"."""
    pytester.makefile(".feature", wrong=_WRONG_FEATURE.replace("  Scenario:", "  @clause:MP178-UNJOIN\n  Scenario:"))
    pytester.makepyfile(test_wrong=_WRONG_STEPS)
    monkeypatch.setenv("COLUMNS", "300")  # the summary line whole
    result = pytester.runpytest("-p", "no:cacheprovider", "--alluredir=allure", "-rf")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["FAILED test_wrong.py::*EndpointAssertion: the answer names E081401*"])
    found = [json.loads(p.read_text()) for p in (pytester.path / "allure").glob("*-result.json")]
    assert [r["status"] for r in found] == ["failed"]
    assert "[dcc clauses: MP178-UNJOIN]" in found[0]["statusDetails"]["trace"]

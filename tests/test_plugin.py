from __future__ import annotations

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

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
    result.stdout.fnmatch_lines(["*pytest-dcc * endpoint https://duis.example:8079; DUIS 5.1; embedded schema*"])

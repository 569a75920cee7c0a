"""pytest11 entry point of pytest-dcc: options, settings, report header. Wiring only."""

from __future__ import annotations

import pytest

from pytest_dcc import __version__
from pytest_dcc._settings import SETTINGS_KEY, load_settings
from pytest_dcc.spec import SCHEMA_VERSIONS

pytest_plugins = ["pytest_dcc.fixtures", "pytest_dcc.steps.wire"]


def pytest_addoption(parser: pytest.Parser) -> None:
    """All options in one ``dcc`` group; the main ones also as ini keys."""
    group = parser.getgroup("dcc", "DUIS conformance (pytest-dcc)")
    group.addoption("--dcc-endpoint", help="base URL of the DUIS endpoint under test; default: in-process reference")
    group.addoption(
        "--dcc-xsd", help="official DUIS XSD (file or folder) to validate against instead of the embedded one"
    )
    group.addoption("--dcc-schema-version", help=f"DUIS schema version of the requests: {', '.join(SCHEMA_VERSIONS)}")
    group.addoption("--dcc-user-id", help="the user's EUI-64 (BusinessOriginatorID)")
    group.addoption("--dcc-signing-key", help="private key signing requests (PKCS#8 DER or PEM)")
    group.addoption("--dcc-signing-cert", help="certificate of the signing key")
    group.addoption(
        "--dcc-trust-cert", action="append", default=[], help="certificate trusted to sign responses (repeat)"
    )
    group.addoption("--dcc-ca-bundle", help="CA bundle for the endpoint's TLS certificate")
    group.addoption("--dcc-client-cert", help="client certificate for mutual TLS (PEM, may include the key)")
    group.addoption("--dcc-client-key", help="client key for mutual TLS")
    group.addoption("--dcc-timeout", help="seconds to wait for an answer (default 10)")
    group.addoption("--dcc-header", action="append", default=[], help="extra HTTP header 'Name: value' (repeat)")
    group.addoption(
        "--dcc-signature-policy", help="require | allow-unsigned-errors (default) | off: which responses must be signed"
    )
    group.addoption("--dcc-state-dir", help="where originator counters persist (default ~/.cache/pytest-dcc)")
    group.addoption("--dcc-release", help="SEC release the endpoint claims (default latest); sets the expectations")
    group.addoption("--dcc-pki", help="test PKI folder shared with 'pytest-dcc serve --pki' (created when absent)")
    group.addoption("--dcc-receiver-host", help="address the asynchronous response receiver listens on (127.0.0.1)")
    group.addoption("--dcc-receiver-port", help="port of the asynchronous response receiver (default: a free one)")
    for key, text in (
        ("dcc_xsd", "official DUIS XSD (file or folder)"),
        ("dcc_endpoint", "base URL of the DUIS endpoint under test"),
        ("dcc_schema_version", "DUIS schema version of the requests"),
        ("dcc_user_id", "the user's EUI-64"),
        ("dcc_timeout", "seconds to wait for an answer"),
        ("dcc_state_dir", "where originator counters persist"),
        ("dcc_release", "SEC release the endpoint claims"),
        ("dcc_pki", "test PKI folder"),
    ):
        parser.addini(key, text, default="")


def pytest_configure(config: pytest.Config) -> None:
    """Check every setting once and keep them in the stash."""
    config.addinivalue_line("markers", "wire: the suite's self-check of what it puts on the wire")
    config.stash[SETTINGS_KEY] = load_settings(config)


def pytest_report_header(config: pytest.Config) -> str:
    """Say what is being tested, and how."""
    settings = config.stash[SETTINGS_KEY]
    target = settings.endpoint or "in-process reference DCC"
    schema = str(settings.xsd) if settings.xsd else "embedded schema"
    return (
        f"pytest-dcc {__version__}: endpoint {target}; SEC release {settings.release}; "
        f"DUIS {settings.schema_version}; {schema}"
    )

"""The run's settings, pure (no pytest): every ``--dcc-*`` option described once (:data:`OPTIONS`, from which the
``dcc`` options group, the ini keys and ``docs/options.md`` derive), the checked :class:`DccSettings` they give,
and the one transport choice (:meth:`DccSettings.http`). ``pytest_dcc.plugin.options`` reads them from pytest."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from pytest_dcc.duis.estates import BOXED_SUPPLIER
from pytest_dcc.reporting.redaction import Redactor, redact_header, redact_url
from pytest_dcc.spec import SCHEMA_VERSIONS, SchemaVersion
from pytest_dcc.spec.releases import RELEASES
from pytest_dcc.statement import ExpectedFailures, Statement
from pytest_dcc.transport.admission import SignaturePolicy

if TYPE_CHECKING:
    import httpx

    from pytest_dcc.transport import ResponseJudge
    from pytest_dcc.transport.http import HttpTransport

#: The test supplier of DCC Boxed: the default BusinessOriginatorID.
DEFAULT_USER: Final = BOXED_SUPPLIER
#: What the report calls the target when no ``--dcc-endpoint`` is given.
IN_PROCESS: Final = "in-process reference DCC"
MODES: Final = ("development", "certification")


@dataclass(frozen=True, slots=True)
class Option:
    """One ``--dcc-*`` option: its name (without ``--``), the value it takes, what it means, its default (what
    the settings use when it is not given; a literal value or a description), whether an ini file may give it,
    the values it admits and whether it may be repeated."""

    name: str
    value: str
    help: str
    default: str = ""
    ini: bool = False
    choices: tuple[str, ...] = ()
    repeat: bool = False

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    @property
    def dest(self) -> str:
        """The option's name in pytest's namespace, and its ini key where an ini file may give it."""
        return self.name.replace("-", "_")


_TRUST = (
    "a response-signing certificate of the DSP (found by serial number), trusted to sign answers and deliveries; "
    "it must name the DSP's EUI-64 under organisational unit 89 or 137 (a user's certificate is a usage error)"
)
_POLICY = (
    "whether an E-code acknowledgement may come unsigned on the synchronous exchange of its request (DCC Boxed "
    "sends them unsigned); everything else, and every delivery to the receiver, must be signed by the DSP and name "
    "the request (docs/security.md)"
)
_STATEMENT = (
    "implementation statement (YAML: release, schema version, users, SRVs with CVs, devices, optionally "
    "chism_column and refusal_codes); linted against DUIS eligibility and the SRs' code sets; scenarios for "
    "undeclared SRVs are NOT_APPLICABLE. Example: fixtures/statements/reference-latest.yaml"
)
_EXPECTED = (
    "expected failures (YAML list of {id, reason, ticket, expires}; id: clause ID, scenario name or node ID): a "
    "listed FAIL becomes KNOWN_FAILURE, a listed PASS is UNEXPECTED_PASS and fails the run, expired entries no "
    "longer apply"
)
_MODE = (
    "certification needs a statement, forbids -k, -m, --deselect, --lf, -x/--maxfail and expected failures, and "
    "fails unless the whole bundled suite is collected"
)

#: Every option of the ``dcc`` group, in the order ``pytest --help`` and ``docs/options.md`` show them.
OPTIONS: Final = (
    Option("dcc-endpoint", "URL", "base URL of the DUIS endpoint under test; requests go to /api/v1/serviceD, "
           "serviceS or serviceT by command variant", f"the {IN_PROCESS}", ini=True),
    Option("dcc-xsd", "PATH", "official DUIS XSD (file or folder, spaces in names fine) to validate against "
           "instead of the embedded one", "the embedded schema", ini=True),
    Option("dcc-schema-version", "V", "DUIS schema version of the requests (the schemaVersion written)", "5.4",
           ini=True, choices=tuple(SCHEMA_VERSIONS)),
    Option("dcc-user-id", "EUI", "the user's EUI-64 (BusinessOriginatorID)", DEFAULT_USER, ini=True),
    Option("dcc-signing-key", "K", "private key signing requests (PKCS#8 DER or PEM); with --dcc-signing-cert",
           "a test PKI"),
    Option("dcc-signing-cert", "C", "certificate of the signing key", "a test PKI"),
    Option("dcc-trust-cert", "C", _TRUST, "the DSP certificates of the test PKI (--dcc-pki)", repeat=True),
    Option("dcc-ca-bundle", "F", "CA bundle for the endpoint's TLS certificate", "the system's roots"),
    Option("dcc-client-cert", "C", "client certificate for mutual TLS (PEM, may include the key)"),
    Option("dcc-client-key", "K", "client key for mutual TLS"),
    Option("dcc-timeout", "S", "seconds to wait for an answer", "10", ini=True),
    Option("dcc-header", "'Name: value'", "extra HTTP header (reverse proxies)", repeat=True),
    Option("dcc-signature-policy", "P", _POLICY, SignaturePolicy.ALLOW_UNSIGNED_ERRORS.value,
           choices=tuple(p.value for p in SignaturePolicy)),
    Option("dcc-state-dir", "D", "where originator counters persist", "~/.cache/pytest-dcc", ini=True),
    Option("dcc-statement", "F", _STATEMENT),
    Option("dcc-expected-failures", "F", _EXPECTED),
    Option("dcc-clause-link-pattern", "P", "URL of a clause in the allure report; {id} and {modification} are "
           "replaced", "the SECAS site's search for the modification"),
    Option("dcc-mode", "M", _MODE, MODES[0], choices=MODES),
    Option("dcc-report-dir", "D", "where verdicts.json, test-list.json and the clause matrix are written",
           "reports"),
    Option("dcc-release", "R", "SEC release the endpoint claims; sets the expectations, and is the release the "
           "in-process reference DCC runs", "latest", ini=True, choices=(*RELEASES, "latest")),
    Option("dcc-pki", "DIR", "test PKI folder shared with 'pytest-dcc serve --pki DIR' (created when absent), or a "
           "folder of keys as DCC Boxed ships them (read in place, never written)",
           "pki/ in the state folder against an endpoint without keys, else one generated per run", ini=True),
    Option("dcc-receiver-host", "H", "address the asynchronous response receiver listens on", "127.0.0.1"),
    Option("dcc-receiver-port", "P", "port of the asynchronous response receiver (0: a free one)", "0"),
    Option("dcc-shuffle", "SEED", "run the scenarios in an order drawn from SEED (a verdict must not depend on the "
           "order)"),
)  # fmt: skip
#: Each option by its name in pytest's namespace (``dcc_timeout``).
OPTION: Final = MappingProxyType({option.dest: option for option in OPTIONS})
#: The settings an ini file may give too (``dcc_xsd = ...``), with their help.
INI_KEYS: Final = MappingProxyType({option.dest: option.help for option in OPTIONS if option.ini})


@dataclass(frozen=True, slots=True)
class HttpEndpoint:
    """How the endpoint under test is reached over HTTP(S): its URL, TLS, timeout and extra headers."""

    url: str
    timeout_s: float
    headers: tuple[tuple[str, str], ...]
    ca_bundle: Path | None
    client_cert: Path | None
    client_key: Path | None

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS client context for an ``https://`` endpoint (CA bundle, mutual TLS), else ``None``."""
        if not self.url.startswith("https://"):
            return None
        from pytest_dcc.transport.http import client_ssl_context

        return client_ssl_context(self.ca_bundle, self.client_cert, self.client_key)

    def client(self) -> httpx.Client:
        """A client for a side channel to the endpoint (health, test control), checking TLS as the transport."""
        import httpx

        context = self.ssl_context()
        return httpx.Client(timeout=self.timeout_s, verify=context if context is not None else True)

    def transport(self, judge: ResponseJudge) -> HttpTransport:
        """The transport sending the suite's requests to the endpoint."""
        from pytest_dcc.transport.http import HttpTransport

        context = self.ssl_context()
        return HttpTransport(self.url, judge, timeout_s=self.timeout_s, ssl_context=context, headers=dict(self.headers))


@dataclass(frozen=True, slots=True, repr=False)
class DccSettings:
    """Everything the options and ini say, checked."""

    endpoint: str | None
    xsd: Path | None
    schema_version: SchemaVersion
    user_id: str
    signing_key: Path | None
    signing_cert: Path | None
    trust_certs: tuple[Path, ...]
    ca_bundle: Path | None
    client_cert: Path | None
    client_key: Path | None
    timeout_s: float
    headers: tuple[tuple[str, str], ...]
    signature_policy: SignaturePolicy
    state_dir: Path
    receiver_host: str
    receiver_port: int
    release: str
    pki_dir: Path | None
    statement: Statement | None = None
    expected_failures: ExpectedFailures = field(default_factory=lambda: ExpectedFailures(None))
    mode: str = MODES[0]
    shuffle_seed: int | None = None  # --dcc-shuffle: run the scenarios in an order drawn from this seed

    @property
    def in_process(self) -> bool:
        """Whether the target is the bundled reference DCC in process (no ``--dcc-endpoint``)."""
        return self.http() is None

    def http(self) -> HttpEndpoint | None:
        """The one transport choice: the endpoint over HTTP(S) (``--dcc-endpoint``), or ``None`` for the bundled
        reference DCC in process."""
        if self.endpoint is None:
            return None
        return HttpEndpoint(
            self.endpoint, self.timeout_s, self.headers, self.ca_bundle, self.client_cert, self.client_key
        )

    @property
    def redactor(self) -> Redactor:
        """What hides this run's credentials (endpoint userinfo, header values) in everything reported."""
        return Redactor.of(self.endpoint, self.headers)

    @property
    def target(self) -> str:
        """The target as a report shows it: the endpoint's URL without its credentials, or the in-process one."""
        return self.redactor.url(self.endpoint) or IN_PROCESS

    def __repr__(self) -> str:
        """The settings as a traceback or a report may show them: credentials hidden."""
        shown = {f: getattr(self, f) for f in self.__dataclass_fields__ if f not in {"endpoint", "headers"}}
        hidden = {"endpoint": redact_url(self.endpoint) if self.endpoint else None}
        headers = tuple(redact_header(name) for name, _ in self.headers)
        fields = ", ".join(f"{k}={v!r}" for k, v in {**hidden, "headers": headers, **shown}.items())
        return f"DccSettings({fields})"


def option_table() -> list[tuple[str, ...]]:
    """The rows of ``docs/options.md``'s table: option, ini key, values, default, meaning."""
    rows: list[tuple[str, ...]] = []
    for option in OPTIONS:
        values = ", ".join(f"`{c}`" for c in option.choices) or f"`{option.value}`"
        if option.repeat:
            values += " (repeat)"
        ini = f"`{option.dest}`" if option.ini else ""
        rows.append((f"`{option.flag}`", ini, values, option.default, option.help))
    return rows


__all__ = [
    "DEFAULT_USER",
    "INI_KEYS",
    "IN_PROCESS",
    "MODES",
    "OPTION",
    "OPTIONS",
    "DccSettings",
    "HttpEndpoint",
    "Option",
    "option_table",
]

"""The settings of a run, checked: what the options, the ini file and the statement say (read by
:mod:`pytest_dcc.plugin.options`). Pure: no pytest, so reports and vendors' drivers can name the type."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pytest_dcc.reporting.redaction import Redactor, redact_header, redact_url
from pytest_dcc.spec import SchemaVersion
from pytest_dcc.statement import ExpectedFailures, Statement
from pytest_dcc.transport.admission import SignaturePolicy


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
    mode: str = "development"
    shuffle_seed: int | None = None  # --dcc-shuffle: run the scenarios in an order drawn from this seed

    @property
    def redactor(self) -> Redactor:
        """What hides this run's credentials (endpoint userinfo, header values) in everything reported."""
        return Redactor.of(self.endpoint, self.headers)

    def __repr__(self) -> str:
        """The settings as a traceback or a report may show them: credentials hidden."""
        shown = {f: getattr(self, f) for f in self.__dataclass_fields__ if f not in {"endpoint", "headers"}}
        hidden = {"endpoint": redact_url(self.endpoint) if self.endpoint else None}
        headers = tuple(redact_header(name) for name, _ in self.headers)
        fields = ", ".join(f"{k}={v!r}" for k, v in {**hidden, "headers": headers, **shown}.items())
        return f"DccSettings({fields})"


__all__ = ["DccSettings"]

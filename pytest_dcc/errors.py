"""Every exception pytest-dcc raises, one tree under :class:`DccError`.

::

    DccError
    ├── ConfigError                    a bad setting or key material (becomes a pytest UsageError)
    │   ├── DocumentLimitError         a YAML file a user gave over a limit (size, alias expansion, depth)
    │   ├── ArchiveLimitError          an archive refused before it was read (counts, sizes, member names)
    │   ├── LaneError                  -n N against an endpoint: no lane for every worker
    │   ├── InventoryError (ValueError) inventory data that cannot be stored (names the entry and field)
    │   └── CorpusError                a hostile-input corpus file that cannot be used
    ├── BuildError (ValueError)        the message builder refused a value (bad EUI-64, fractional Wh, ...)
    ├── MessageError                   a DUIS document that cannot be accepted
    │   ├── XmlSecurityError           DOCTYPE, entity, oversize, non-UTF-8 or unparsable XML
    │   ├── BodyTooLargeError          an HTTP body over its limit, refused while streaming (HTTP 413)
    │   ├── SchemaViolation            fails XSD validation (or strict base64)
    │   └── GbcsError (ValueError)     not a GBCS General Signing message this project can read
    ├── SignatureError                 a signature could not be made or does not verify
    ├── TransportError                 the endpoint under test could not be judged: always an ERROR verdict
    │   ├── EndpointUnreachableError   connection refused, DNS, TLS handshake
    │   ├── SessionCheckError          a check at session start failed: every scenario ERROR, said once
    │   ├── EndpointTimeoutError       no answer within the timeout
    │   ├── HttpStatusError            an HTTP status that carries no DUIS response
    │   ├── ResponseFormatError        not XML, wrong content type, not an sr:Response, hostile XML
    │   ├── ResponseSchemaError        a response that fails the schema
    │   ├── ResponseSignatureError     unsigned where a signature is required, bad or unknown signer
    │   ├── CorrelationError           a response for another request
    │   │   └── DuplicateResponseError a second, different response under one response's identity
    │   └── ResponseTimeoutError       an asynchronous response that did not arrive in time
    ├── ArrangementError               a driver could not arrange state the scenario needs (harness: ERROR)
    ├── NotApplicableError             the scenario cannot be judged on this target: NOT_APPLICABLE
    ├── EndpointAssertion (AssertionError) the endpoint's answer or state breaks the clause: the one FAIL
    ├── HarnessError                   the suite could not carry on (a precondition of its own): ERROR
    ├── NotFoundError (KeyError)       what a test-control call names is not there: HTTP 404
    ├── Refusal                        the reference DCC refuses a request with a DUIS code (rolled back)
    ├── DriverContractError            a driver answered outside its contract: ERROR
    └── HtmlReportError                the HTML report could not be made; the run goes on without it
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class DccError(Exception):
    """Base of every pytest-dcc exception."""


class ConfigError(DccError):
    """A setting, file or key given to pytest-dcc is unusable."""


class DocumentLimitError(ConfigError):
    """A YAML file a user gave (statement, expected failures, inventory) refused before it was constructed: over
    the size, alias-use, alias-expansion or nesting limit; the message (one line) names the file and the limit."""


class ArchiveLimitError(ConfigError):
    """An archive refused before it was read (``verify-bundle``): a member count, a declared or read size over its
    limit, or a member that is not a plain relative file; the message names the archive and the limit."""


class LaneError(ConfigError):
    """``-n N`` against an endpoint: the pool cannot give every worker a lane (the message names what is missing)."""


class BuildError(DccError, ValueError):
    """The request builder refused a value before anything was sent."""


class MessageError(DccError):
    """A DUIS document that cannot be accepted."""


class XmlSecurityError(MessageError):
    """Hostile or unparsable XML: DOCTYPE, entities, oversize, bad encoding or not well-formed."""


class BodyTooLargeError(MessageError):
    """An HTTP body over its limit, refused while streaming (before it was buffered): answer HTTP 413."""

    def __init__(self, limit: int, seen: int) -> None:
        super().__init__(f"body over the {limit}-byte limit (refused after {seen} bytes)")
        self.limit = limit
        self.seen = seen


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in a document: where (element path and line), what, and the rule it breaks."""

    path: str
    message: str
    line: int | None = None
    rule: str = ""

    def __str__(self) -> str:
        where = f"{self.path} (line {self.line})" if self.line else self.path
        rule = f" [{self.rule}]" if self.rule else ""
        return f"{where}: {self.message}{rule}"


class _IssuesError(MessageError):
    def __init__(self, title: str, issues: Sequence[Issue]) -> None:
        self.title = title
        self.issues = tuple(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"{title}:\n{lines}" if lines else title)


class SchemaViolation(_IssuesError):
    """The document is not valid against the DUIS schema in use; ``issues`` name each offending element."""


class SignatureError(DccError):
    """A signature could not be produced, or a required verification failed."""


class TransportError(DccError):
    """The endpoint could not be judged: the scenario's verdict is ERROR, never PASS or FAIL."""

    cause = "transport"


class EndpointUnreachableError(TransportError):
    """Connection refused, name resolution or TLS handshake failure."""

    cause = "unreachable"


class SessionCheckError(TransportError):
    """A check at the start of the session failed: the endpoint cannot be reached, or its asynchronous responses
    cannot reach the suite's receiver. Every scenario that needs the endpoint is an ERROR with this one message,
    reported once, and the run does not wait for anything."""

    cause = "session-check"


class EndpointTimeoutError(TransportError):
    """The endpoint did not answer within the configured timeout."""

    cause = "timeout"


class HttpStatusError(TransportError):
    """The endpoint answered with an HTTP status that carries no DUIS response."""

    cause = "http-status"

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ResponseFormatError(TransportError):
    """The answer is not a DUIS response: not XML, hostile XML, wrong content type or wrong root element."""

    cause = "garbage"


class ResponseSchemaError(TransportError):
    """The answer is XML but not valid against the schema in use."""

    cause = "schema"


class ResponseSignatureError(TransportError):
    """The answer is unsigned where a signature is required, or its signature does not verify."""

    cause = "signature"


class CorrelationError(TransportError):
    """The answer belongs to another request (RequestID/ResponseID mismatch)."""

    cause = "correlation"


class DuplicateResponseError(CorrelationError):
    """The same asynchronous response (RequestID and ResponseID) arrived more than once."""

    cause = "duplicate-response"


class ResponseTimeoutError(TransportError):
    """An asynchronous response or alert did not arrive within the wait budget."""

    cause = "async-timeout"


__all__ = [
    "ArchiveLimitError",
    "ArrangementError",
    "BodyTooLargeError",
    "BuildError",
    "ConfigError",
    "CorrelationError",
    "DccError",
    "DocumentLimitError",
    "DuplicateResponseError",
    "EndpointTimeoutError",
    "EndpointUnreachableError",
    "HttpStatusError",
    "Issue",
    "LaneError",
    "MessageError",
    "NotApplicableError",
    "ResponseFormatError",
    "ResponseSchemaError",
    "ResponseSignatureError",
    "ResponseTimeoutError",
    "SchemaViolation",
    "SessionCheckError",
    "SignatureError",
    "TransportError",
    "XmlSecurityError",
]


class ArrangementError(DccError):
    """A driver could not arrange what a scenario needs although it should have (the declared device pool does not
    match the endpoint, an accepted arrangement did not take effect): an ERROR verdict, the endpoint was not judged
    on the clause."""


class NotApplicableError(DccError):
    """The scenario cannot be judged on this target (release, statement, or no driver for what it needs): the
    verdict is NOT_APPLICABLE with this reason, never a pass. ``capability`` names the driver capability it lacks,
    when that is the reason."""

    def __init__(self, message: str, *, capability: str | None = None) -> None:
        super().__init__(message)
        self.capability = capability


class EndpointAssertion(AssertionError, DccError):
    """The endpoint answered, and its answer or the state it left breaks the clause: the verdict is FAIL. Only this
    exception is a FAIL; any other exception raised while judging a scenario (a plain ``assert`` of the suite's own
    preconditions included) is an ERROR."""


class HarnessError(DccError):
    """The suite itself could not carry on (a precondition of its own does not hold): an ERROR verdict."""


class GbcsError(MessageError, ValueError):
    """The bytes are not a GBCS General Signing message this project can read."""


class InventoryError(ConfigError, ValueError):
    """Inventory data (a file, a seed, a test-control document) that cannot be stored: names the entry and field."""


class NotFoundError(DccError, KeyError):
    """What a test-control call names (a device, a command for local delivery) is not there: HTTP 404."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class Refusal(DccError):
    """The reference DCC refuses a request with a DUIS response code; its transaction is rolled back."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class DriverContractError(DccError):
    """A driver answered something that is not what the contract says (an ERROR: the suite cannot judge with it)."""


class CorpusError(ConfigError):
    """A hostile-input corpus file that cannot be used (names the case and the field)."""


class HtmlReportError(DccError):
    """The HTML report could not be made (no node, no Allure 3, or Allure failed); the run goes on without it."""


__all__ += [
    "CorpusError",
    "DriverContractError",
    "EndpointAssertion",
    "GbcsError",
    "HarnessError",
    "HtmlReportError",
    "InventoryError",
    "NotFoundError",
    "Refusal",
]

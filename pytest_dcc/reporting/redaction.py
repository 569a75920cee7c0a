"""Secrets out of every report: the one place that decides what a credential looks like when it is shown.

What the user gives the suite to reach an endpoint can hold credentials: the userinfo of ``--dcc-endpoint``
(``https://user:password@host/``), the values of ``--dcc-header`` (``Authorization: Bearer ...``), a query string
(``?api_key=...``). The transport sends them; no report, attachment, bundle or log line shows them:

* a URL is shown with its userinfo as ``***`` and every query value as ``***`` (:func:`redact_url`);
* a header is shown by its name, its value as ``<redacted>`` (:func:`redact_header`);
* a command line is shown with those two rules applied to its options (:meth:`Redactor.argv`);
* any other text (an exception message, a traceback, captured output) is scrubbed of URL userinfo, of the values of
  well-known credential headers and of the literal secrets the settings hold (:meth:`Redactor.text`).

Pure: the reporting layer, the wiring and the commands use it alike.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import SplitResult, unquote, urlsplit

HIDDEN: Final = "***"
REDACTED: Final = "<redacted>"
#: Literal secrets shorter than this are redacted only where they are recognisable (userinfo, header options):
#: replacing a one- or two-character string everywhere would mangle the report and protect nothing.
MIN_LITERAL: Final = 3
#: Secrets at least this long are replaced wherever they occur; shorter ones only as a whole word.
ANYWHERE: Final = 8
#: Headers whose value is a credential whatever the settings say (their value is hidden in any text).
CREDENTIAL_HEADERS: Final = (
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "x-auth-token",
    "x-access-token",
)
#: ``scheme://userinfo@``: the userinfo ends at the last ``@`` before the host's end (``/``, ``?``, ``#``, space).
_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]{0,31}://)(?P<userinfo>[^/?#\s@'\"<>]*(?:@[^/?#\s@'\"<>]*)*)@"
)
_HEADER_LINE = re.compile(
    r"(?P<name>\b(?:" + "|".join(re.escape(h) for h in CREDENTIAL_HEADERS) + r"))(?P<sep>\s*[:=]\s*)"
    r"(?P<value>[^\r\n'\",;}\]]+)",
    re.IGNORECASE,
)
_SECRET_QUERY = re.compile(
    r"(?P<key>[?&](?:[A-Za-z0-9_.-]{0,64}(?:token|key|secret|password|passwd|pwd|auth|signature|sig|session)"
    r"[A-Za-z0-9_.-]{0,64})=)(?P<value>[^&#\s'\"<>]+)",
    re.IGNORECASE,
)
#: The options whose value is a URL or a header.
URL_OPTIONS: Final = ("--dcc-endpoint", "--endpoint", "--url", "--upstream")
HEADER_OPTIONS: Final = ("--dcc-header",)


def redact_url(url: str) -> str:
    """``url`` with its userinfo as ``***`` and every query value as ``***`` (anything else unchanged)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if not parts.scheme or not parts.netloc:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{HIDDEN}@{netloc.rpartition('@')[2]}"
    query = "&".join(_hide_value(pair) for pair in parts.query.split("&")) if parts.query else ""
    return SplitResult(parts.scheme, netloc, parts.path, query, parts.fragment).geturl()


def _hide_value(pair: str) -> str:
    name, sep, value = pair.partition("=")
    return f"{name}{sep}{HIDDEN}" if sep and value else pair


def redact_header(name: str, value: str = "") -> str:
    """A header as a report shows it: its name, never its value."""
    return f"{name.strip()}: {REDACTED}"


def redact_text(text: str) -> str:
    """``text`` with URL userinfo, credential-header values and secret-looking query values hidden (the shapes
    that need no knowledge of the secret; :meth:`Redactor.text` adds the settings' own secrets)."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{HIDDEN}@", text)
    text = _HEADER_LINE.sub(lambda m: f"{m['name']}{m['sep']}{REDACTED}", text)
    return _SECRET_QUERY.sub(lambda m: f"{m['key']}{HIDDEN}", text)


def secrets_of(endpoint: str | None, headers: Iterable[tuple[str, str]] = ()) -> tuple[str, ...]:
    """The literal secrets in the settings: the endpoint's password (its user name when it has no password, as a
    token given as user name), the Basic credentials they make, every query value, and every header value (with
    the credential after an auth scheme: ``Bearer <token>``)."""
    found: list[str] = []
    if endpoint:
        try:
            parts = urlsplit(endpoint)
        except ValueError:
            parts = None
        if parts is not None:
            found += _url_secrets(parts)
    for _, value in headers:
        value = value.strip()
        found.append(value)
        scheme, _, credential = value.partition(" ")
        if credential.strip() and scheme.isalpha():
            found.append(credential.strip())
    unique = {s for s in found if len(s) >= MIN_LITERAL}
    return tuple(sorted(unique, key=lambda s: (-len(s), s)))  # the longest first: a secret inside another


def _url_secrets(parts: SplitResult) -> list[str]:
    found: list[str] = []
    if "@" in parts.netloc:
        userinfo = parts.netloc.rpartition("@")[0]
        user, _, password = userinfo.partition(":")
        shown = password or user
        found += [userinfo, shown, unquote(shown), unquote(userinfo)]
        basic = f"{unquote(user)}:{unquote(password)}".encode()
        found.append(base64.b64encode(basic).decode("ascii"))
    for pair in parts.query.split("&") if parts.query else ():
        value = pair.partition("=")[2]
        found += [value, unquote(value)] if value else []
    return found


@dataclass(frozen=True)
class Redactor:
    """Hides the secrets of one run's settings in anything that is about to be reported."""

    secrets: tuple[str, ...] = ()

    @classmethod
    def of(cls, endpoint: str | None, headers: Iterable[tuple[str, str]] = ()) -> Redactor:
        """The redactor of a run against ``endpoint`` with these extra headers."""
        return cls(secrets_of(endpoint, headers))

    def text(self, text: str) -> str:
        """``text`` with every secret hidden: the shapes :func:`redact_text` knows, then the literal secrets."""
        text = redact_text(text)
        for secret in self.secrets:
            if secret in text:
                text = _literal(secret).sub(REDACTED, text)
            if len(secret) >= ANYWHERE and secret[:ANYWHERE] in text:
                text = _truncated(secret, text)
        return text

    def carries(self, text: str) -> bool:
        """Whether ``text`` shows anything :meth:`text` would hide."""
        return self.text(text) != text

    def url(self, url: str | None) -> str | None:
        """:func:`redact_url`, then the literal secrets (a URL can hold a header's token too)."""
        return None if url is None else self.text(redact_url(url))

    def argv(self, argv: Sequence[str]) -> list[str]:
        """A command line as a report shows it: URL options by :func:`redact_url`, header options by name only,
        every argument scrubbed by :meth:`text`."""
        shown: list[str] = []
        pending = ""
        for arg in argv:
            if pending:
                shown.append(self.text(_option_value(pending, arg)))
                pending = ""
                continue
            option, sep, value = arg.partition("=")
            if option in (*URL_OPTIONS, *HEADER_OPTIONS):
                if not sep:
                    pending = option
                    shown.append(arg)
                    continue
                arg = f"{option}={_option_value(option, value)}"
            shown.append(self.text(arg))
        return shown


def _option_value(option: str, value: str) -> str:
    if option in HEADER_OPTIONS:
        name, sep, _ = value.partition(":")
        return redact_header(name) if sep else REDACTED
    return redact_url(value)


def _truncated(secret: str, text: str) -> str:
    """``text`` with every run of at least :data:`ANYWHERE` leading characters of ``secret`` hidden: a preview cut
    before it was scrubbed (an answer body shown to 200 characters) holds a secret's head without its tail."""
    out: list[str] = []
    start = 0
    while (found := text.find(secret[:ANYWHERE], start)) >= 0:
        end = found + ANYWHERE
        while end < len(text) and end - found < len(secret) and text[end] == secret[end - found]:
            end += 1
        out.append(text[start:found] + REDACTED)
        start = end
    return "".join(out) + text[start:]


def _literal(secret: str) -> re.Pattern[str]:
    core = re.escape(secret)
    return re.compile(core if len(secret) >= ANYWHERE else rf"(?<![A-Za-z0-9]){core}(?![A-Za-z0-9])")


__all__ = [
    "CREDENTIAL_HEADERS",
    "HIDDEN",
    "REDACTED",
    "Redactor",
    "redact_header",
    "redact_text",
    "redact_url",
    "secrets_of",
]

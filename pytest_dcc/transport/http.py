"""HTTP(S) transport with httpx: ``/api/v1/serviceD|S|T`` by CV, TLS with a CA bundle, mTLS, timeouts, headers."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from pytest_dcc.duis.build import DuisRequest
from pytest_dcc.errors import ConfigError, EndpointTimeoutError, EndpointUnreachableError, SessionCheckError
from pytest_dcc.transport import ClosingTransport, Exchange, ResponseJudge, clock


def client_ssl_context(
    ca_bundle: Path | None = None, client_cert: Path | None = None, client_key: Path | None = None
) -> ssl.SSLContext:
    """A TLS client context trusting ``ca_bundle`` (system roots when ``None``), optionally with a client cert."""
    try:
        context = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
        if client_cert is not None:
            context.load_cert_chain(str(client_cert), str(client_key) if client_key else None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot set up TLS: {exc}") from None
    return context


class HttpTransport(ClosingTransport):
    """POSTs signed requests to ``base_url`` + the path the CV requires, with ``Content-Type: application/xml``."""

    def __init__(
        self,
        base_url: str,
        judge: ResponseJudge,
        *,
        timeout_s: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        # Credentials in the URL go in the Authorization header (as httpx would send them) and never in the URL the
        # transport shows: not in an Exchange, an exception message or a log line.
        shown, auth = _credentials_apart(base_url.rstrip("/"))
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"endpoint must be an http:// or https:// URL, given: {shown}")
        self.base_url = shown
        self.judge = judge
        self._client = httpx.Client(
            auth=auth,
            timeout=timeout_s,
            # Plain HTTP (no redirect is followed) has no TLS to check: no CA bundle is loaded for it.
            verify=ssl_context if ssl_context is not None else self.base_url.startswith("https://"),
            headers={**(headers or {}), "Content-Type": "application/xml", "Accept": "application/xml"},
            follow_redirects=False,
        )

    def send(self, request: DuisRequest, body: bytes) -> Exchange:
        """POST ``body`` to the path the request's CV requires and judge the answer."""
        return self.send_to(request, body, request.path)

    def send_to(self, request: DuisRequest, body: bytes, path: str) -> Exchange:
        """As :meth:`send`, to an explicit ``path`` (for wrong-URL scenarios)."""
        url = self.base_url + path
        start = clock()
        reply = self._request("POST", url, content=body)
        elapsed = clock() - start
        headers = {k.lower(): v for k, v in reply.headers.items()}
        judged = self.judge.judge_http(request, reply.status_code, headers, reply.content)
        return Exchange(request, body, url, reply.status_code, headers, elapsed, judged)

    def probe(self, grace_s: float = 5.0) -> int:
        """Check that the endpoint answers HTTP at all (any status will do: DUIS defines no GET), before any
        scenario waits on it; :class:`SessionCheckError` names the URL and the cause otherwise. A refused
        connection is tried again for ``grace_s`` (a server started a moment before the suite is still binding
        its port); a timeout or any other failure is final at once."""
        import time

        deadline = time.monotonic() + grace_s
        while True:
            try:
                return self._request("GET", self.base_url + "/").status_code
            except (EndpointUnreachableError, EndpointTimeoutError) as exc:
                starting = isinstance(exc, EndpointUnreachableError) and "refused" in str(exc).lower()
                if not starting or time.monotonic() >= deadline:
                    message = f"the endpoint under test does not answer ({type(exc).__name__}): {exc}"
                    raise SessionCheckError(message) from None
                time.sleep(0.2)

    def _request(self, method: str, url: str, **options: Any) -> httpx.Response:
        try:
            return self._client.request(method, url, **options)
        except httpx.TimeoutException as exc:
            raise EndpointTimeoutError(f"no answer from {url} within the timeout ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise EndpointUnreachableError(f"cannot reach {url}: {_cause(exc)}") from None
        except Exception as exc:
            # httpx maps httpcore's exceptions by class; a second copy of httpcore in the process (pytester's
            # in-process runs re-import modules) slips through that map. Still the endpoint's fault, not a crash.
            kind = type(exc)
            if not kind.__module__.startswith(("httpcore", "httpx", "h11")):
                raise
            if any("Timeout" in base.__name__ for base in kind.__mro__):
                raise EndpointTimeoutError(f"no answer from {url} within the timeout ({kind.__name__})") from None
            raise EndpointUnreachableError(f"cannot reach {url}: {_cause(exc)}") from None

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def _credentials_apart(base_url: str) -> tuple[str, httpx.BasicAuth | None]:
    """``base_url`` without its userinfo, and the Basic credentials it held (``None`` when it held none)."""
    try:
        parsed = httpx.URL(base_url)
    except httpx.InvalidURL:
        raise ConfigError("the endpoint is not a valid URL (not shown: it may hold credentials)") from None
    if not parsed.userinfo:
        return base_url, None
    return str(parsed.copy_with(userinfo=b"")).rstrip("/"), httpx.BasicAuth(parsed.username, parsed.password)


def _cause(exc: BaseException) -> str:
    """``ConnectError: [Errno 111] Connection refused``: the class and the innermost reason, on one line."""
    text = " ".join(str(exc).split()) or "no detail"
    return f"{type(exc).__name__}: {text}"


__all__ = ["HttpTransport", "client_ssl_context"]

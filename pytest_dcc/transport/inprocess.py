"""In-process transport: the request goes to a :class:`DuisEndpoint` object, no sockets, same judge as HTTP."""

from __future__ import annotations

from pytest_dcc.duis.build import DuisRequest
from pytest_dcc.duis.endpoint import DuisEndpoint
from pytest_dcc.errors import EndpointUnreachableError
from pytest_dcc.transport import ClosingTransport, Exchange, ResponseJudge, clock

_HEADERS = {"content-type": "application/xml"}


class InProcessTransport(ClosingTransport):
    """Calls ``endpoint.handle`` directly.

    :param raise_app_exceptions: re-raise an exception from the endpoint (useful while developing it) instead of
        turning it into :class:`EndpointUnreachableError`, which the suite reports as ERROR.
    """

    def __init__(self, endpoint: DuisEndpoint, judge: ResponseJudge, *, raise_app_exceptions: bool = False) -> None:
        self.endpoint = endpoint
        self.judge = judge
        self.raise_app_exceptions = raise_app_exceptions

    def send(self, request: DuisRequest, body: bytes) -> Exchange:
        """Hand ``body`` to the endpoint at the path the request's CV requires, and judge the answer."""
        return self.send_to(request, body, request.path)

    def send_to(self, request: DuisRequest, body: bytes, path: str) -> Exchange:
        """As :meth:`send`, to an explicit ``path`` (for wrong-URL scenarios)."""
        start = clock()
        try:
            reply = self.endpoint.handle("POST", path, dict(_HEADERS), body)
        except Exception as exc:
            if self.raise_app_exceptions:
                raise
            raise EndpointUnreachableError(f"in-process endpoint raised {type(exc).__name__}: {exc}") from exc
        elapsed = clock() - start
        judged = self.judge.judge_http(request, reply.status, reply.headers, reply.body)
        return Exchange(request, body, f"inprocess:{path}", reply.status, dict(reply.headers), elapsed, judged)


__all__ = ["InProcessTransport"]

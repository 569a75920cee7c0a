"""Before any scenario waits for a device response: do the endpoint's asynchronous responses reach the receiver?

With the reference server's test control the suite registers its receiver as the users' Receive Response Service
address (put back at the end of the run) and has the server POST a probe there. Without it, an endpoint whose
``/health`` names its address (``pytest-dcc serve`` does) is probed from here. Either way a mismatch (no address,
another port, a path that answers 404, a receiver of somebody else's) is one :class:`SessionCheckError` naming both
addresses and the options that pair them, before any scenario times out on it; an endpoint with no address at all
makes every wait for a device response an ERROR at once, with that reason. An endpoint that says nothing of
its address (DCC Boxed) cannot be checked in advance; a device response that does not come is then an ERROR of the
scenario waiting for it.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable

import httpx

from pytest_dcc.drivers import Driver
from pytest_dcc.drivers.control_over_http import TestControlDriver
from pytest_dcc.errors import HttpStatusError, SessionCheckError, TransportError
from pytest_dcc.spec import PROBE_HEADER
from pytest_dcc.transport.receiver import ResponseReceiver

#: How long a probe may take to arrive after the endpoint said it was delivered.
PROBE_WAIT_S = 2.0


def check_delivery(
    receiver: ResponseReceiver,
    endpoint: str,
    driver: Driver,
    client: httpx.Client,
    *,
    relayed_by: str | None = None,
) -> Callable[[], None]:
    """Check (and with test control, arrange) that ``endpoint`` delivers to ``receiver``; answers what undoes the
    arrangement. :class:`SessionCheckError` when responses would not arrive. ``relayed_by``: a parallel lane's
    receiver gets its deliveries through the controller's fan-out at that address (which the controller has
    registered with test control), so the check goes through it and nothing is registered here."""
    mine = relayed_by or receiver.response_url
    token = secrets.token_hex(8)
    if isinstance(driver, TestControlDriver) and relayed_by is not None:
        _probe_by_control(driver, receiver, mine, token)
        return lambda: None
    if isinstance(driver, TestControlDriver):
        try:
            previous = driver.register_receiver(mine)
        except HttpStatusError as exc:
            if exc.status != 404:
                raise SessionCheckError(
                    f"the endpoint's test control did not take the receiver {mine}: {exc}"
                ) from None
        except TransportError as exc:
            raise SessionCheckError(f"the endpoint's test control did not take the receiver {mine}: {exc}") from None
        else:
            _probe_by_control(driver, receiver, mine, token)
            return lambda: _quietly(lambda: driver.register_receiver(previous))
    url = _advertised(endpoint, client)
    if url is _UNKNOWN:
        return lambda: None
    if url is None:  # only the scenarios that wait for a device response need one: they ERROR at once
        receiver.inbox.undeliverable = (
            f"the endpoint {endpoint} has no Receive Response Service address (its /health says so), so device "
            f"responses cannot reach the suite's receiver {mine}: serve it with --response-url {mine}, or with test "
            "control"
        )
        return lambda: None
    try:
        reply = client.post(str(url), content=b"", headers={PROBE_HEADER: token})
        status, error = reply.status_code, None
    except httpx.HTTPError as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"
    _judge(receiver, mine, str(url), status, error, token)
    return lambda: None


_UNKNOWN = object()


def _probe_by_control(driver: TestControlDriver, receiver: ResponseReceiver, mine: str, token: str) -> None:
    """Have the endpoint's test control POST a probe to its delivery address; it must reach ``receiver``."""
    try:
        outcome = driver.delivery_check(token)
    except TransportError as exc:
        raise SessionCheckError(f"the endpoint's delivery check failed: {exc}") from None
    _judge(receiver, mine, str(outcome.get("url") or mine), outcome.get("status"), outcome.get("error"), token)


def _advertised(endpoint: str, client: httpx.Client) -> object:
    """The address ``/health`` names (``None`` for none), or ``_UNKNOWN`` when the endpoint does not say."""
    try:
        reply = client.get(endpoint.rstrip("/") + "/health")
        document = reply.json() if reply.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return _UNKNOWN
    if not isinstance(document, dict) or "response_url" not in document:
        return _UNKNOWN
    url = document["response_url"]
    return url if isinstance(url, str) and url else None


def _judge(receiver: ResponseReceiver, mine: str, url: str, status: object, error: object, token: str) -> None:
    if receiver.inbox.wait_for_probe(token, PROBE_WAIT_S if error is None else 0.0):
        return
    if error is not None:
        what = f"cannot be reached ({error})"
    elif isinstance(status, int) and status >= 300:
        what = f"answered HTTP {status}"
    else:
        what = f"answered HTTP {status} but is not this run's receiver"
    raise SessionCheckError(
        f"asynchronous responses cannot reach the suite: the endpoint delivers them to {url}, which {what}; the "
        f"suite's receiver is {mine} (pair them: --dcc-receiver-host/--dcc-receiver-port here, or the endpoint's "
        "Receive Response Service address)"
    )


def _quietly(action: Callable[[], object]) -> None:
    with contextlib.suppress(Exception):  # the run is over; a server already gone has nothing to put back
        action()


__all__ = ["check_delivery"]

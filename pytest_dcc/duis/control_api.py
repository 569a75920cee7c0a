"""The test-control API's routes, the one table both sides read: the reference DCC serves them
(:mod:`pytest_dcc.reference.control_http`) and the suite's test-control driver calls them
(:mod:`pytest_dcc.drivers.control_over_http`).

A route that provides a driver capability is named by that capability (``set-status``, ``joins``, ...: the values of
:class:`pytest_dcc.drivers.Capability`, which this neutral module cannot import; ``tests/test_drivers.py`` holds the
two together), so the driver's capabilities derive from the routes the server offers. A route ``part_of`` a
capability is an optional, batched form of it (``device-views``: many devices' views and SMKI entries in one call,
which a driver may offer beside ``device_view`` and ``smki``; the capability itself stays the one-device route). The
other routes (``response-url``, ``delivery-check``, ``latency``, ``outbox``) are the session's, not a scenario's.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

#: Where the API lives under the server's base URL.
PREFIX: Final = "/test-control"


@dataclass(frozen=True, slots=True)
class ControlRoute:
    """One route: its name (a capability's, where it provides one), HTTP method, path under :data:`PREFIX`
    (with ``{eui}`` or ``{request_id}``), whether it provides a driver capability, and the capability it is an
    optional batched form of (``part_of``), if any."""

    name: str
    method: str
    path: str
    capability: bool = True
    part_of: str | None = None

    @property
    def template(self) -> str:
        """The path the server routes (``/test-control/devices/{eui}/status``)."""
        return PREFIX + self.path

    def url(self, base_url: str, **params: str) -> str:
        """The URL of this route on the server at ``base_url`` with its path parameters filled in."""
        return base_url.rstrip("/") + self.template.format(**params)


#: Every route of the API, in the order the server lists them.
ROUTES: Final = (
    ControlRoute("response-url", "POST", "/response-url", capability=False),
    ControlRoute("delivery-check", "POST", "/delivery-check", capability=False),
    ControlRoute("latency", "POST", "/latency", capability=False),
    ControlRoute("outbox", "GET", "/outbox", capability=False),
    ControlRoute("reset", "POST", "/reset"),
    ControlRoute("seed", "POST", "/inventory"),
    ControlRoute("device-view", "GET", "/devices/{eui}"),
    ControlRoute("device-views", "POST", "/device-views", capability=False, part_of="device-view"),
    ControlRoute("set-status", "POST", "/devices/{eui}/status"),
    ControlRoute("joins", "POST", "/devices/{eui}/joins"),
    ControlRoute("faults", "POST", "/devices/{eui}/faults"),
    ControlRoute("renew-certificates", "POST", "/devices/{eui}/certificates"),
    ControlRoute("execute-locally", "POST", "/local-commands/{request_id}/execute"),
    ControlRoute("local-alert", "POST", "/devices/{eui}/alert"),
)
#: The most devices one ``device-views`` call names (``{"devices": [EUI-64, ...], "smki": bool}``); a driver
#: asking for more splits them into calls of at most this many.
MAX_VIEW_DEVICES: Final = 64
#: Each route by its name.
ROUTE: Final = MappingProxyType({route.name: route for route in ROUTES})
#: Capabilities the API gives through a route of another name: a lane reset is ``reset`` with the lane's scope.
SHARED_ROUTES: Final = MappingProxyType({"reset-lane": "reset"})
#: The capabilities a server with the API provides: one per capability route, and those sharing one.
ROUTE_CAPABILITIES: Final = frozenset({r.name for r in ROUTES if r.capability} | set(SHARED_ROUTES))

__all__ = ["MAX_VIEW_DEVICES", "PREFIX", "ROUTE", "ROUTES", "ROUTE_CAPABILITIES", "SHARED_ROUTES", "ControlRoute"]

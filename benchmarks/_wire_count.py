"""A pytest plugin ``benchmarks/duis_only.py`` loads into the suite's run (``-p _wire_count``): every DUIS request
the run puts on the wire, one JSON line each (the running test's node ID, the SRV, the originator) appended to the
file ``$DCC_WIRE_COUNT`` names. It counts at the HTTP transport, beside the suite's own count (its DUIS client's),
so the benchmark can tell whether every request went through that client; it works on any version of the suite.
"""

from __future__ import annotations

import json
import os
from typing import Any

from pytest_dcc.transport.http import HttpTransport

_running = ["(no test)"]
_send_to = HttpTransport.send_to


def _counted(self: HttpTransport, request: Any, body: bytes, path: str) -> Any:
    line = {"scenario": _running[0], "srv": request.srv, "originator": str(request.request_id.originator)}
    with open(os.environ["DCC_WIRE_COUNT"], "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")
    return _send_to(self, request, body, path)


HttpTransport.send_to = _counted  # type: ignore[method-assign]


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    _running[0] = nodeid

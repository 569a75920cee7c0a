"""The mutating proxy: a correct endpoint made wrong (one behaviour of one registry rule), or correct but
different, from outside, in process or as an HTTP proxy. :mod:`.endpoint` (the proxy and its hooks),
:mod:`.blocks` (the building blocks of a mutation), :mod:`.catalogue` (every mutation), :mod:`.proxy` (the
wiring), :mod:`.http_proxy` (the proxy over HTTP). benchmarks/mutants.py and tests/test_detection.py use it."""

from __future__ import annotations

from typing import Any

from qa.mutants.catalogue import catalogue
from qa.mutants.endpoint import Call, MutatingEndpoint, Mutation
from qa.mutants.proxy import HttpControl, HttpUpstream, attach


def __getattr__(name: str) -> Any:
    if name == "proxy_app":  # the web stack loads with the HTTP proxy only
        from qa.mutants.http_proxy import proxy_app

        return proxy_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Call", "HttpControl", "HttpUpstream", "Mutation", "MutatingEndpoint", "attach", "catalogue", "proxy_app"]

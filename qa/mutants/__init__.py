"""The mutants: a correct endpoint made wrong (one behaviour of one registry rule), or correct but different, in
three families with one type (:mod:`.mutant`), one catalogue each (:mod:`.catalogue`; the white-box patches of the
reference DCC in :mod:`.reference`) and one rule for "caught" (:mod:`.scoring`). The black-box and green families go
through the mutating proxy, in process or over HTTP: :mod:`.endpoint` (the proxy and its hooks), :mod:`.blocks` (the
building blocks of a mutant), :mod:`.proxy` (the wiring), :mod:`.http_proxy` (the proxy over HTTP).
benchmarks/mutants.py and tests/test_detection.py use it."""

from __future__ import annotations

from typing import Any

from qa.mutants.catalogue import black_box, catalogue, green, reference
from qa.mutants.endpoint import Call, MutatingEndpoint
from qa.mutants.mutant import FAMILIES, Mutant
from qa.mutants.proxy import HttpControl, HttpUpstream, attach
from qa.mutants.scoring import Judgement, caught, judge, stays_green


def __getattr__(name: str) -> Any:
    if name == "proxy_app":  # the web stack loads with the HTTP proxy only
        from qa.mutants.http_proxy import proxy_app

        return proxy_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FAMILIES",
    "Call",
    "HttpControl",
    "HttpUpstream",
    "Judgement",
    "MutatingEndpoint",
    "Mutant",
    "attach",
    "black_box",
    "catalogue",
    "caught",
    "green",
    "judge",
    "proxy_app",
    "reference",
    "stays_green",
]

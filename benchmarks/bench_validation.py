"""Validation cost: the project's schema check against raw lxml on the official DUIS 5.4 XSD.

Goal (issue 2): ``DuisSchema.is_valid`` (lxml, with the strict base64 check libxml2 lacks folded into the schema
as a pattern facet) within 1.3x of raw ``lxml.etree.XMLSchema.validate`` against the XSD as published, on the same
parsed, signed documents. xmlschema (which checks base64 by itself) is shown for scale only.

    .venv/bin/python benchmarks/bench_validation.py [--xsd ../shared/duis-xsd/5.4] [--rounds 2000]

Prints per-message times and the ratio measured in this one run (a noisy machine makes absolute times
meaningless; the ratio is what is compared). Exit status 1 when the ratio exceeds the goal.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from lxml import etree

from pytest_dcc.duis.build import RequestBuilder
from pytest_dcc.duis.estates import BOXED_SUPPLIER
from pytest_dcc.duis.pki import TestPki
from pytest_dcc.duis.samples import IN_SCOPE_SRVS, sample_values
from pytest_dcc.duis.schema import _compile, load_schema
from pytest_dcc.duis.signing import sign
from pytest_dcc.duis.xmlsafe import parse
from pytest_dcc.spec import SRVS

GOAL = 1.3
DEFAULT_XSD = Path(__file__).resolve().parents[2] / "shared" / "duis-xsd" / "5.4"


def _documents() -> list[etree._Element]:
    """One signed request per in-scope SRV, as they go on the wire."""
    user = BOXED_SUPPLIER
    identity = TestPki.generate([user]).identity(user)
    builder = RequestBuilder(user)
    docs = []
    for srv in IN_SCOPE_SRVS:
        cv = SRVS[srv].command_variants[0]
        request = builder.request(srv, cv=cv, **sample_values(srv))
        sign(request.root, identity)
        docs.append(parse(request.to_bytes()).getroot())
    return docs


def _per_message(fn, docs: list[etree._Element], rounds: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            for doc in docs:
                fn(doc)
        samples.append((time.perf_counter() - start) / (rounds * len(docs)))
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xsd", type=Path, default=DEFAULT_XSD)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--xmlschema-rounds", type=int, default=2)
    args = parser.parse_args(argv)

    schema = load_schema(args.xsd)
    docs = _documents()
    assert all(schema.is_valid(d) for d in docs), "benchmark documents must be valid"
    main_file = next(args.xsd.glob("DUIS Schema V*.xsd")) if args.xsd.is_dir() else args.xsd
    # The published schema compiled by lxml as it is (imports served from the folder, nothing added).
    raw = _compile(main_file, "as published", strict_base64=False).xsd
    lax = [d for d in docs if raw.validate(d)]
    assert len(lax) == len(docs)

    # Interleave to share the machine's noise between the two measurements.
    lxml_times, ours_times = [], []
    for _ in range(3):
        lxml_times.append(_per_message(raw.validate, docs, args.rounds))
        ours_times.append(_per_message(schema.is_valid, docs, args.rounds))
    lxml_s, ours_s = min(lxml_times), min(ours_times)
    ratio = ours_s / lxml_s

    import xmlschema

    xs = xmlschema.XMLSchema(str(main_file))
    xs_s = _per_message(xs.is_valid, docs, args.xmlschema_rounds)

    print(f"documents: {len(docs)} signed requests (one per in-scope SRV), schema: {schema.name}")
    print(f"raw lxml XMLSchema.validate : {lxml_s * 1e6:8.1f} us/message")
    print(f"pytest-dcc DuisSchema.is_valid: {ours_s * 1e6:8.1f} us/message")
    print(f"xmlschema is_valid (scale)  : {xs_s * 1e6:8.1f} us/message")
    print(f"ratio pytest-dcc / lxml     : {ratio:.2f}x (goal <= {GOAL}x) -> {'OK' if ratio <= GOAL else 'OVER'}")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())

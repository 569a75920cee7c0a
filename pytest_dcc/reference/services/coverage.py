"""SR 12.1 Request WAN Matrix: the coverage the CSPs hold for a premises.

Clauses: MP081-CHISM-E3-T3 (the WAN variant of each region as the CSP gave it, in either CHISM table 3 column; no
name is translated) and MP081-CHISM-E3-SPACE (South and Central may answer an availability date with the
unconfirmed variant " ", passed on as one space).
"""

from __future__ import annotations

from datetime import date
from typing import Final

from lxml import etree

from pytest_dcc.duis import replies
from pytest_dcc.duis.responses import WanCoverage
from pytest_dcc.errors import Refusal
from pytest_dcc.reference.services.base import SR, RequestContext, text
from pytest_dcc.spec import CSP_REGIONS

CLAUSES: Final = ("MP081-CHISM-E3-T3", "MP081-CHISM-E3-SPACE")
SRVS: Final = frozenset({"12.1"})
#: Schema versions whose response carries one entry per CSP region (before them: the first usable region).
PER_REGION_VERSIONS: Final = frozenset({"5.3a", "5.4"})


def handle(ctx: RequestContext) -> etree._Element:
    version = ctx.release.schema_version
    rows = [r for r in _held(ctx) if r["region"] in CSP_REGIONS[version]]
    if not rows:
        raise Refusal("E120101", "no WAN coverage data is held for this UPRN or address")
    coverage = [coverage_row(r) for r in rows]
    per_region = version in PER_REGION_VERSIONS
    if not per_region:
        usable = [c for c in coverage if c.response_code == "I0"]
        if not usable:
            raise Refusal("E120102", "no CSP region holds coverage data for this premises")
        coverage = usable[:1]
    return ctx.reply("I0", replies.wan_matrix(ctx.body, coverage, per_region=per_region))


def _held(ctx: RequestContext) -> list[dict[str, object]]:
    uprn = ctx.text("UPRN")
    if uprn is not None:
        return ctx.inventory.coverage(uprn=int(uprn))
    address = ctx.body.find(f"{SR}PartialAddress")
    assert address is not None  # schema-valid
    return ctx.inventory.coverage(
        postcode=text(address, "PostCode"), address_identifier=text(address, "AddressIdentifier")
    )


def coverage_row(row: dict[str, object]) -> WanCoverage:
    """A region's answer: the WAN variant as the CSP gave it (either CHISM table 3 column); no name is translated."""
    code = str(row["response_code"])
    if code != "I0" or row["available"] is None:
        return WanCoverage(str(row["region"]), response_code=code)
    name = row["wan_variant"]
    anticipated = row["anticipated_date"]
    return WanCoverage(
        region=str(row["region"]),
        response_code=code,
        available=bool(row["available"]),
        anticipated_date=date.fromisoformat(str(anticipated)) if anticipated else None,
        wan_technology=str(name) if name is not None else "",
        connectivity_likelihood=str(row["connectivity_likelihood"] or "Low"),
        auxiliary_equipment=str(row["auxiliary_equipment"]) if row["auxiliary_equipment"] else None,
        additional_information=str(row["additional_information"]) if row["additional_information"] else None,
    )


__all__ = ["CLAUSES", "PER_REGION_VERSIONS", "SRVS", "coverage_row", "handle"]

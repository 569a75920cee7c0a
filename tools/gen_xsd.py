"""Write pytest_dcc/spec/xsd/pytest-dcc-duis.xsd from tools/xsd_template.xml and the enumerations in pytest_dcc.spec.

Run after changing either: ``python tools/gen_xsd.py``. tests/test_schema.py fails when the output is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path
from xml.sax.saxutils import quoteattr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_dcc import spec  # noqa: E402
from pytest_dcc.spec._codes import RESPONSE_CODES_5_4  # noqa: E402

_EUI = "[A-Fa-f0-9]{2}(-[A-Fa-f0-9]{2}){7}"
_COUNTER = (
    "(0|[1-9][0-9]{0,18}|1[0-7][0-9]{18}|18[0-3][0-9]{17}|184[0-3][0-9]{16}|1844[0-5][0-9]{15}"
    "|18446[0-6][0-9]{14}|184467[0-3][0-9]{13}|1844674[0-3][0-9]{12}|184467440[0-6][0-9]{10}"
    "|1844674407[0-2][0-9]{9}|18446744073[0-6][0-9]{8}|1844674407370[0-8][0-9]{6}|18446744073709[0-4][0-9]{5}"
    "|184467440737095[0-4][0-9]{4}|18446744073709550[0-9]{3}|18446744073709551[0-5][0-9]{2}"
    "|1844674407370955160[0-9]|1844674407370955161[0-5])"
)


def _enum(values: tuple[str, ...] | list[str], indent: int = 6) -> str:
    pad = " " * indent
    return "".join(f"\n{pad}<xs:enumeration value={quoteattr(v)}/>" for v in values)


def render() -> str:
    """The schema text."""
    regions: list[str] = []
    for version in spec.SCHEMA_VERSIONS:
        regions += [r for r in spec.CSP_REGIONS[version] if r not in regions]
    values = {
        "REQUEST_ID_PATTERN": f"{_EUI}:{_EUI}:{_COUNTER}",
        "SERVICE_REFERENCES": _enum(spec.SERVICE_REFERENCES),
        "SERVICE_REFERENCE_VARIANTS": _enum(list(spec.SRVS)),
        "RESPONSE_CODES": _enum(RESPONSE_CODES_5_4),
        "DEVICE_TYPES": _enum(spec.DEVICE_TYPES),
        "DEVICE_STATUSES": _enum(spec.DEVICE_STATUSES),
        "CSP_REGIONS": _enum(regions),
        "ESME_VARIANTS": _enum(spec.ESME_VARIANTS),
        "PERIODICITIES": _enum(spec.PERIODICITIES, 18),
        "REMOTE_PARTY_ROLES": _enum(spec.REMOTE_PARTY_ROLES),
        "CHF_INSTALL_TYPES": _enum(spec.CHF_INSTALL_TYPES),
        "CHF_LOCATIONS": _enum(spec.CHF_LOCATIONS),
        "PREMISE_TYPES": _enum(spec.PREMISE_TYPES, 12),
        "FAULT_RETURN_TYPES": _enum(spec.FAULT_RETURN_TYPES, 10),
        "CONNECTION_METHODS": _enum(spec.CONNECTION_METHODS, 10),
        "FAULT_REASONS": _enum(spec.FAULT_REASONS, 10),
        "NO_FAULT_RETURN_TYPES": _enum(spec.NO_FAULT_RETURN_TYPES, 10),
    }
    text = (ROOT / "tools" / "xsd_template.xml").read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    if "@" in text.replace("@@", ""):
        raise SystemExit("unfilled placeholder left in the template")
    return text


OUTPUT = ROOT / "pytest_dcc" / "spec" / "xsd" / "pytest-dcc-duis.xsd"

if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")

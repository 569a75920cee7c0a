"""How much the suite judges over DUIS alone (issue 15): the bundled suite against an endpoint with no test-control
back door, on an estate the suite has never seen, claiming 2021-06 and 2024-06.

The estate (devices, users, coverage) is generated here with EUIs of its own, served by ``pytest-dcc serve``
without ``--test-control``; the suite gets only ``--dcc-endpoint``, ``--dcc-pki`` and an implementation statement
listing that estate (users, device pool, coverage addresses, the SMI joins). Prints, per clause, how it was
assessed in each release run (the clause matrix's words), the clauses assessed over DUIS alone, and the FAIL and
ERROR counts; exit 1 below the target (9 of the 13 clauses, no FAIL, no ERROR).

    .venv/bin/python benchmarks/duis_only.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
RELEASES = ("2021-06", "2024-06")
TARGET = 9
#: The users and devices of an estate no fixture holds (EUIs of its own; the gas meter has its own supplier).
USERS = {"IS": "90-B3-D5-1F-30-0A-00-00", "GS": "90-B3-D5-1F-30-0B-00-00", "OU": "90-B3-D5-1F-30-0C-00-00"}
DEVICES = {
    "ESME": "00-AA-BB-CC-DD-00-01-01",
    "GSME": "00-AA-BB-CC-DD-00-01-02",
    "CHF": "00-AA-BB-CC-DD-00-01-03",
    "GPF": "00-AA-BB-CC-DD-00-01-04",
    "PPMID": "00-AA-BB-CC-DD-00-01-05",
    "CAD": "00-AA-BB-CC-DD-00-01-06",
}
UPRN = 987654321012
POSTCODE, ADDRESS = "LS1 4AP", "7 Park Row"


def estate() -> dict[str, Any]:
    """The inventory document the endpoint is started with."""
    premises = {"uprn": UPRN, "postcode": POSTCODE, "address_identifier": ADDRESS}
    chf = DEVICES["CHF"]
    meter = {"status": "Commissioned", "manufacturer": "ELSEWHERE", "chf": chf, **premises}
    devices = [
        {"eui": chf, "type": "CHF", "status": "Commissioned", "gpf": DEVICES["GPF"], "csp_region": "Central",
         **premises},
        {"eui": DEVICES["GPF"], "type": "GPF", "status": "Commissioned", "chf": chf, **premises},
        {"eui": DEVICES["ESME"], "type": "ESME", "mpxn": "1900000000001", "esme_variant": "A",
         "supplier": USERS["IS"], **meter},
        {"eui": DEVICES["GSME"], "type": "GSME", "mpxn": "7700000001", "supplier": USERS["GS"], **meter},
        {"eui": DEVICES["PPMID"], "type": "PPMID", "status": "Commissioned", "chf": chf, "supplier": USERS["IS"]},
        {"eui": DEVICES["CAD"], "type": "CAD", "status": "Whitelisted", "chf": chf},
    ]  # fmt: skip
    coverage = [
        {**premises, "region": "North", "available": True, "wan_variant": "450", "connectivity_likelihood": "Low"},
        {**premises, "region": "Central", "available": True, "wan_variant": "Cellular+Mesh",
         "connectivity_likelihood": "High"},
        {**premises, "region": "South", "available": False, "anticipated_date": "2028-01-01", "wan_variant": " ",
         "connectivity_likelihood": "Medium"},
    ]  # fmt: skip
    users = [{"eui": eui, "role": role} for role, eui in USERS.items()]
    return {"version": 1, "users": users, "devices": devices, "coverage": coverage}


#: Devices the endpoint does not know, for the suite to pre-notify once each (a Pending hub over DUIS alone).
SPARES = [{"eui": f"00-AA-BB-CC-DD-00-02-{n:02X}", "type": kind} for n, kind in enumerate(["CHF", "GPF"] * 4, start=1)]


def statement(release: str, spares: bool = True) -> dict[str, Any]:
    """What the vendor of that endpoint declares: the bundled example's SRVs, and this estate."""
    base = yaml.safe_load((HERE.parent / "fixtures" / "statements" / "reference-latest.yaml").read_text())
    base.update(
        release=release,
        users=[{"role": role, "eui": eui} for role, eui in USERS.items()],
        devices=[{"eui": eui, "type": kind} for kind, eui in DEVICES.items()],
        coverage_addresses=[{"uprn": UPRN}, {"postcode": POSTCODE, "address_identifier": ADDRESS}],
        joins=[],
    )
    if spares:
        base["spare_devices"] = SPARES
    return base


def prepare(folder: Path, release: str, spares: bool = True) -> tuple[Path, Path, Path]:
    """The PKI, the estate file and the statement for one release run in ``folder`` (``spares``: with spare
    devices, which one run consumes)."""
    from pytest_dcc.duis.pki import load_or_create_pki

    folder.mkdir(parents=True, exist_ok=True)
    pki = folder / "pki"
    load_or_create_pki(pki, USERS.values())
    (folder / "estate.yaml").write_text(yaml.safe_dump(estate()))
    (folder / "statement.yaml").write_text(yaml.safe_dump(statement(release, spares)))
    return pki, folder / "estate.yaml", folder / "statement.yaml"


def suite(folder: Path, url: str, receiver: int, report_dir: Path, *extra: str) -> dict[str, Any]:
    """One run of the bundled suite against ``url`` with the statement of ``folder``; its verdicts.json."""
    command = [sys.executable, "-m", "pytest", "--pyargs", "pytest_dcc.suite", f"--dcc-endpoint={url}"]
    command += [f"--dcc-pki={folder / 'pki'}", f"--dcc-statement={folder / 'statement.yaml'}"]
    command += [f"--dcc-receiver-port={receiver}", f"--dcc-report-dir={report_dir}", "-q", *extra]
    command += ["-p", "no:cacheprovider", "-p", "no:randomly", f"--dcc-state-dir={folder / 'state'}"]
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    subprocess.run(command, cwd=folder, env=env, capture_output=True, check=False, timeout=600)
    return dict(json.loads((report_dir / "verdicts.json").read_text()))


def serve_args(folder: Path, release: str, receiver: int) -> list[str]:
    args = ["--pki", str(folder / "pki"), "--inventory", str(folder / "estate.yaml"), "--release", release]
    return [*args, "--no-test-control", "--response-url", f"http://127.0.0.1:{receiver}/", "--log-level", "warning"]


def run(workdir: Path) -> dict[str, dict[str, Any]]:
    """The suite at each release against ``pytest-dcc serve`` on the estate, without test control; the
    verdicts.json of each run."""
    from pytest_dcc.stress.serve import ServeProcess
    from pytest_dcc.transport.receiver import free_port

    documents = {}
    for release in RELEASES:
        folder = workdir / release
        prepare(folder, release)
        receiver = free_port()
        with ServeProcess(serve_args(folder, release, receiver), folder / "serve.log") as server:
            documents[release] = suite(folder, server.url, receiver, folder / "reports")
    return documents


def summary(documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per clause, how each run assessed it; the clauses assessed over DUIS alone in some run; FAIL/ERROR."""
    from pytest_dcc.reporting import matrix
    from pytest_dcc.spec.clauses import CLAUSES

    table = matrix.build(list(documents.values()))
    how = {
        clause: {column: cells[column].summary() for column in table.columns} for clause, cells in table.rows.items()
    }
    over_duis = sorted(
        clause
        for clause, cells in table.rows.items()
        if any(c.status not in (matrix.NOT_ASSESSED,) and c.how == "assessed over DUIS" for c in cells.values())
    )
    bad = [
        (release, s["verdict"], s["name"], s["message"][:200])
        for release, doc in documents.items()
        for s in doc["scenarios"]
        if s["verdict"] in ("FAIL", "ERROR")
    ]
    judged = sum(1 for doc in documents.values() for s in doc["scenarios"] if s["verdict"] != "NOT_APPLICABLE")
    total = sum(len(doc["scenarios"]) for doc in documents.values())
    return {"how": how, "over_duis": over_duis, "bad": bad, "clauses": len(CLAUSES), "judged": judged, "total": total}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="dcc-duis-only-") as scratch:
        result = summary(run(Path(scratch)))
    for clause, cells in result["how"].items():
        print(f"{clause:24} " + " | ".join(f"{release}: {text}" for release, text in cells.items()))
    over = result["over_duis"]
    print(f"clauses assessed over DUIS alone across {' and '.join(RELEASES)}: {len(over)} of {result['clauses']}")
    print("  " + ", ".join(over))
    print(f"scenarios judged: {result['judged']} of {result['total']}; FAIL or ERROR: {len(result['bad'])}")
    for row in result["bad"]:
        print("  ", *row)
    met = len(over) >= TARGET and not result["bad"]
    print(f"target: at least {TARGET} clauses, no FAIL, no ERROR: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

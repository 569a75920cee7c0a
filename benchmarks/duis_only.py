"""How much the suite judges over DUIS alone (issue 15): the bundled suite against an endpoint with no test-control
back door, on an estate the suite has never seen, claiming 2021-06 and 2024-06.

The estate (devices, users, coverage) is generated here with EUIs of its own, served by ``pytest-dcc serve``
without ``--test-control``; the suite gets only ``--dcc-endpoint``, ``--dcc-pki`` and an implementation statement
listing that estate (users, device pool, coverage addresses, the SMI joins, spare devices). Prints, per clause, how
it was assessed in each release run (the clause matrix's words), the clauses assessed over DUIS alone, and the FAIL
and ERROR counts. The endpoint is never reset: at 2021-06 the suite runs three times in a row on the same server, in
three shuffled orders (``--dcc-shuffle``), and the benchmark prints whether each run assessed the same scenarios
(every scenario PASS or NOT_APPLICABLE alike in all three). Then the DUIS requests each run sent (counted on the
wire by ``_wire_count``, and by the suite's DUIS client by purpose): per scenario, in total, by SRV, and the share
that were observation reads (issue 27). Exit 1 below the target (9 of the 13 clauses, no FAIL, no ERROR, the same
scenarios assessed in every order) or when the requests miss theirs: every request arrangement, the request under
test or a read a Then step judges (none "other read", the client's count equal to the wire's), and at most
``PER_JUDGED`` (4) per judged scenario over all the runs. ``DUIS_ONLY_PORTS=P`` serves on port P and receives on
P + 1 (free ports by default).

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


#: The ``--dcc-shuffle`` seeds of the runs on one never-reset endpoint, at ORDER_RELEASE (the first seed alone at
#: the other releases). Chosen so the orders differ where a scenario changes the estate (8.14.2 with hub statuses):
#: the Commissioned hub's row first in the first run and after the rows that need a Pending GPF in the second, the
#: Pending hub's row after those in the second and before them in the third.
SEEDS = (14, 7, 48)
ORDER_RELEASE = "2021-06"


def spare_devices(runs: int) -> list[dict[str, str]]:
    """Spare hubs (a CHF and a GPF the endpoint does not know) for ``runs`` runs on one endpoint. A run consumes a
    fresh hub for the Pending-to-InstalledNotCommissioned row (its CHF is never Pending again), and the first run one
    more at most, for a status the estate's hub cannot be put back from (a Pending GPF), which later scenarios and
    runs reuse; a fresh hub a scenario leaves Pending is deleted again (SR 8.4) and one is borrowed at a time: so
    ``runs + 2`` hubs."""
    kinds = ["CHF", "GPF"] * (runs + 2 if runs else 0)
    return [{"eui": f"00-AA-BB-CC-DD-00-02-{n:02X}", "type": kind} for n, kind in enumerate(kinds, start=1)]


def statement(release: str, runs: int = 1) -> dict[str, Any]:
    """What the vendor of that endpoint declares: the bundled example's SRVs, and this estate, with spare devices
    for ``runs`` runs (none for 0)."""
    base = yaml.safe_load((HERE.parent / "fixtures" / "statements" / "reference-latest.yaml").read_text())
    base.update(
        release=release,
        users=[{"role": role, "eui": eui} for role, eui in USERS.items()],
        devices=[{"eui": eui, "type": kind} for kind, eui in DEVICES.items()],
        coverage_addresses=[{"uprn": UPRN}, {"postcode": POSTCODE, "address_identifier": ADDRESS}],
        joins=[],
    )
    if runs:
        base["spare_devices"] = spare_devices(runs)
    return base


def prepare(folder: Path, release: str, runs: int = 1) -> tuple[Path, Path, Path]:
    """The PKI, the estate file and the statement for ``runs`` runs at ``release`` on one endpoint, in ``folder``."""
    from pytest_dcc.duis.pki import load_or_create_pki

    folder.mkdir(parents=True, exist_ok=True)
    pki = folder / "pki"
    load_or_create_pki(pki, USERS.values())
    (folder / "estate.yaml").write_text(yaml.safe_dump(estate()))
    (folder / "statement.yaml").write_text(yaml.safe_dump(statement(release, runs)))
    return pki, folder / "estate.yaml", folder / "statement.yaml"


def suite(folder: Path, url: str, receiver: int, report_dir: Path, *extra: str) -> dict[str, Any]:
    """One run of the bundled suite against ``url`` with the statement of ``folder``; its verdicts.json."""
    command = [sys.executable, "-m", "pytest", "--pyargs", "pytest_dcc.suite", f"--dcc-endpoint={url}"]
    command += [f"--dcc-pki={folder / 'pki'}", f"--dcc-statement={folder / 'statement.yaml'}"]
    command += [f"--dcc-receiver-port={receiver}", f"--dcc-report-dir={report_dir}", "-q", *extra]
    command += ["-p", "no:cacheprovider", "-p", "no:randomly", f"--dcc-state-dir={folder / 'state'}"]
    command += ["-p", "_wire_count"]  # every DUIS request on the wire, counted beside the suite's own count
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH", "")]))
    env["DCC_WIRE_COUNT"] = str(report_dir / "wire.jsonl")
    report_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(command, cwd=folder, env=env, capture_output=True, check=False, timeout=1200)
    document = dict(json.loads((report_dir / "verdicts.json").read_text()))
    wire = report_dir / "wire.jsonl"
    document["wire"] = [json.loads(line) for line in wire.read_text().splitlines()] if wire.exists() else []
    counted = report_dir / "duis-requests.json"  # the suite's own count, by purpose (absent before issue 27)
    document["counted"] = json.loads(counted.read_text()) if counted.exists() else None
    return document


def serve_args(folder: Path, release: str, receiver: int) -> list[str]:
    args = ["--pki", str(folder / "pki"), "--inventory", str(folder / "estate.yaml"), "--release", release]
    return [*args, "--no-test-control", "--response-url", f"http://127.0.0.1:{receiver}/", "--log-level", "warning"]


def orders(folder: Path, release: str, seeds: tuple[int, ...]) -> list[dict[str, Any]]:
    """The suite at ``release`` once per seed of ``seeds`` (``--dcc-shuffle``), one run after another, against one
    ``pytest-dcc serve`` without test control that is never reset; the verdicts.json of each run."""
    from pytest_dcc.transport.receiver import free_port
    from qa.serve import ServeProcess

    prepare(folder, release, runs=len(seeds))
    base = int(os.environ.get("DUIS_ONLY_PORTS", "0"))  # the server's and the receiver's ports (default: free ones)
    receiver = base + 1 if base else free_port()
    with ServeProcess(serve_args(folder, release, receiver), folder / "serve.log", port=base or None) as server:
        return [
            suite(folder, server.url, receiver, folder / f"reports-{seed}", f"--dcc-shuffle={seed}") for seed in seeds
        ]


def run(workdir: Path) -> dict[str, list[dict[str, Any]]]:
    """The suite at each release against ``pytest-dcc serve`` on the estate, without test control (at ORDER_RELEASE
    in the orders of SEEDS on one endpoint, elsewhere in the first); the verdicts.json of each run."""
    return {
        release: orders(workdir / release, release, SEEDS if release == ORDER_RELEASE else SEEDS[:1])
        for release in RELEASES
    }


def order_differences(runs: list[dict[str, Any]]) -> list[str]:
    """The scenarios whose verdict is not the same in every run of ``runs`` (verdicts.json documents), each with
    its verdict per run ("-" where a run has no such scenario); empty when every run assessed the same ones."""
    verdicts = [{s["id"]: s["verdict"] for s in document["scenarios"]} for document in runs]
    ids = sorted(set().union(*verdicts)) if verdicts else []
    seen = {scenario: [each.get(scenario, "-") for each in verdicts] for scenario in ids}
    return [f"{scenario}: {' / '.join(got)}" for scenario, got in seen.items() if len(set(got)) > 1]


def summary(documents: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per clause, how each release's first run assessed it; the clauses assessed over DUIS alone in some run;
    FAIL/ERROR in any run; the scenarios whose verdict differs between the orders of ORDER_RELEASE."""
    from pytest_dcc.reporting import matrix
    from pytest_dcc.spec.clauses import CLAUSES

    first = [runs[0] for runs in documents.values()]
    table = matrix.build(first)
    how = {
        clause: {column: cells[column].summary() for column in table.columns} for clause, cells in table.rows.items()
    }
    over_duis = sorted(
        clause
        for clause, cells in table.rows.items()
        if any(c.status not in (matrix.NOT_ASSESSED,) and c.how == "assessed over DUIS" for c in cells.values())
    )
    bad = [
        (f"{release}#{n + 1}", s["verdict"], s["name"], s["message"][:200])
        for release, runs in documents.items()
        for n, doc in enumerate(runs)
        for s in doc["scenarios"]
        if s["verdict"] in ("FAIL", "ERROR")
    ]
    judged = sum(1 for doc in first for s in doc["scenarios"] if s["verdict"] != "NOT_APPLICABLE")
    total = sum(len(doc["scenarios"]) for doc in first)
    runs = documents.get(ORDER_RELEASE, [])
    assessed = [sum(s["verdict"] != "NOT_APPLICABLE" for s in doc["scenarios"]) for doc in runs]
    return {
        "how": how, "over_duis": over_duis, "bad": bad, "clauses": len(CLAUSES), "judged": judged, "total": total,
        "orders": order_differences(runs), "order_runs": len(runs), "assessed_per_order": assessed,
    }  # fmt: skip


#: At most this many DUIS requests per judged scenario, on average over the runs (issue 27 item 3).
PER_JUDGED = 4
#: What the suite sends a request for (its DUIS client's count): all but OTHER may be sent.
PURPOSES = ("arrangement", "under test", "judged read", "other read")


def traffic(document: dict[str, Any]) -> dict[str, Any]:
    """The DUIS requests one run put on the wire (by scenario, by SRV), the scenarios it judged, and the suite's
    own count by purpose where it keeps one."""
    from collections import Counter

    verdicts = {s["id"]: s["verdict"] for s in document["scenarios"]}
    wire = document.get("wire", [])
    counted = document.get("counted") or {}
    purposes: Counter[str] = Counter()
    for row in counted.get("requests", []):
        purposes[row["purpose"]] += row["count"]
    return {
        "total": len(wire),
        "judged": sum(v != "NOT_APPLICABLE" for v in verdicts.values()),
        "by_srv": Counter(row["srv"] for row in wire),
        "by_scenario": Counter(row["scenario"] for row in wire),
        "verdicts": verdicts,
        "purposes": purposes if counted else None,
    }


def print_traffic(documents: dict[str, list[dict[str, Any]]]) -> bool:
    """Print the requests of every run (per scenario for the first run at ORDER_RELEASE); whether the goal is met:
    every request arrangement, the request under test or a read a Then judges, and at most PER_JUDGED requests per
    judged scenario over all runs."""
    runs = [(f"{release}#{n + 1}", traffic(doc)) for release, docs in documents.items() for n, doc in enumerate(docs)]
    if not runs:
        return False
    first = runs[0][1]
    print("DUIS requests per scenario (first run at " + runs[0][0] + "):")
    for scenario, count in sorted(first["by_scenario"].items(), key=lambda item: -item[1]):
        print(f"  {count:4d}  {first['verdicts'].get(scenario, '?'):14} {scenario.split('::')[-1][:90]}")
    for label, t in runs:
        srvs = ", ".join(f"{srv} {n}" for srv, n in sorted(t["by_srv"].items(), key=lambda item: -item[1]))
        reads = t["by_srv"].get("8.2", 0)
        print(
            f"{label}: {t['total']} DUIS requests for {t['judged']} judged scenarios "
            f"({t['total'] / max(t['judged'], 1):.1f} each); SR 8.2 {reads} ({reads / max(t['total'], 1):.0%}); "
            f"by SRV: {srvs}"
        )
        purposes = t["purposes"]
        if purposes is not None:
            shown = ", ".join(f"{p} {purposes.get(p, 0)}" for p in PURPOSES)
            observed = purposes.get("judged read", 0) + purposes.get("other read", 0)
            agree = "" if sum(purposes.values()) == t["total"] else f" (the suite counted {sum(purposes.values())})"
            print(f"   by purpose: {shown}; observation reads {observed / max(t['total'], 1):.0%}{agree}")
    total, judged = sum(t["total"] for _, t in runs), sum(t["judged"] for _, t in runs)
    counted = all(t["purposes"] is not None for _, t in runs)
    unjudged = sum(t["purposes"].get("other read", 0) for _, t in runs if t["purposes"] is not None)
    agree = counted and all(sum(t["purposes"].values()) == t["total"] for _, t in runs)
    met = counted and agree and unjudged == 0 and total <= PER_JUDGED * judged
    print(
        f"all runs: {total} DUIS requests for {judged} judged scenarios ({total / max(judged, 1):.1f} each); goal: "
        f"every request arrangement, under test or a read a Then judges (the suite's count of each request agreeing "
        f"with the wire's), at most {PER_JUDGED} per judged scenario: {'met' if met else 'NOT met'}"
    )
    return met


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="dcc-duis-only-") as scratch:
        documents = run(Path(scratch))
    result = summary(documents)
    for clause, cells in result["how"].items():
        print(f"{clause:24} " + " | ".join(f"{release}: {text}" for release, text in cells.items()))
    over = result["over_duis"]
    print(f"clauses assessed over DUIS alone across {' and '.join(RELEASES)}: {len(over)} of {result['clauses']}")
    print("  " + ", ".join(over))
    print(f"scenarios judged: {result['judged']} of {result['total']}; FAIL or ERROR: {len(result['bad'])}")
    for row in result["bad"]:
        print("  ", *row)
    differ = result["orders"]
    seeds = ", ".join(map(str, SEEDS))
    print(
        f"{result['order_runs']} orders (--dcc-shuffle {seeds}) at {ORDER_RELEASE} on one endpoint never reset: "
        + (f"the same scenarios assessed ({result['assessed_per_order']} judged)" if not differ else "NOT the same")
    )
    for line in differ:
        print("  ", line)
    met = len(over) >= TARGET and not result["bad"] and not differ and result["order_runs"] == len(SEEDS)
    print(
        f"target: at least {TARGET} clauses, no FAIL, no ERROR, the same scenarios in every order: "
        f"{'met' if met else 'NOT met'}"
    )
    economical = print_traffic(documents)
    return 0 if met and economical else 1


if __name__ == "__main__":
    sys.exit(main())

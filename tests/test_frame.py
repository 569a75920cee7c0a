"""The frame check (issue 25, item 2): after a scenario's requests the observable state differs from before by
exactly what its Then steps judged. Unit tests of the diff, then the bundled features against reference DCCs that
do what the clause says *and something more* (each patched on its own instance, in process): each must FAIL at
"nothing else observable changed", while the correct reference passes the same scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_dcc._resources import features_dir
from pytest_dcc.suite.frame import MISSING, Frame, membership, smki_update, unexplained, value_becomes

# -- the diff -----------------------------------------------------------------------------------------------------


def _state(esme_joins: list[str], cad_joins: list[str], status: str = "Commissioned") -> dict[str, object]:
    return {
        "E": {"smi": {"joins": esme_joins, "status": status}, "device": {"joins": []}},
        "C": {"smi": {"joins": cad_joins, "status": "Commissioned"}, "device": {"joins": []}},
    }


def test_a_join_on_either_record_or_both_is_the_change_a_join_allows() -> None:
    changes = membership("E", "smi", "C", held=True, what="join")
    for cad_after in ([], ["E"]):  # recorded on the meter only, or on both records
        left, covered = unexplained(_state([], []), _state(["C"], cad_after), changes)
        assert not left and covered


def test_anything_beyond_the_allowed_change_is_unexplained() -> None:
    changes = membership("E", "smi", "C", held=True, what="join")
    left, _ = unexplained(_state([], []), _state(["C", "P"], []), changes)  # a second device joined too
    assert [str(d) for d in left] == ["E/smi/joins: [] -> ['C', 'P']"]
    left, _ = unexplained(_state([], []), _state(["C"], [], status="Suspended"), changes)
    assert [d.path for d in left] == [("E", "smi", "status")]
    left, _ = unexplained(_state([], []), _state(["C"], ["E", "X"]), changes)  # the other record gains more
    assert [d.path for d in left] == [("C", "smi", "joins")]


def test_a_change_allowed_but_not_made_explains_nothing_and_no_change_is_an_empty_frame() -> None:
    before = _state([], [])
    assert unexplained(before, before, []) == ([], [])
    left, _ = unexplained(before, _state(["C"], []), [value_becomes(("E", "smi", "status"), "Suspended", "s")])
    assert left


def test_a_removed_join_and_an_absent_device() -> None:
    changes = membership("E", "device", "C", held=False, what="unjoin")
    before = {"E": {"device": {"joins": ["C"]}}}
    assert unexplained(before, {"E": {"device": {"joins": []}}}, changes)[0] == []
    left, _ = unexplained(before, {"E": "absent"}, changes)
    assert left and left[0].after == "absent"
    assert unexplained({}, {"E": {"device": {"joins": ["C"]}}}, changes)[0][0].before == MISSING


def _entries(*rows: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"serial": s, "usage": u, "status": st} for s, u, st in rows]


def test_smki_update_wants_the_new_in_use_the_replaced_not_and_the_rest_untouched() -> None:
    before = _entries(("1", "Digital Signature", "In Use"), ("2", "Key Agreement", "In Use"))
    change = smki_update("E", {"3": "Digital Signature"}, ["1"], "renewed")
    good = _entries(("1", "Digital Signature", "Superseded"), ("2", "Key Agreement", "In Use"),
                    ("3", "Digital Signature", "In Use"))  # fmt: skip
    assert change.fits(before, good)
    assert change.fits(before, _entries(("2", "Key Agreement", "In Use"), ("3", "Digital Signature", "In Use")))
    left_in_use = _entries(*[(e["serial"], e["usage"], "In Use") for e in good])
    other_superseded = _entries(("1", "Digital Signature", "Superseded"), ("2", "Key Agreement", "Superseded"),
                                ("3", "Digital Signature", "In Use"))  # fmt: skip
    wrong_usage = _entries(("1", "Digital Signature", "Superseded"), ("2", "Key Agreement", "In Use"),
                           ("3", "Key Agreement", "In Use"))  # fmt: skip
    extra = [*good, {"serial": "4", "usage": "Key Agreement", "status": "In Use"}]
    for wrong in (left_in_use, other_superseded, wrong_usage, extra, before, MISSING):
        assert not change.fits(before, wrong), wrong
    issued = [*before, {"serial": "3", "usage": "Digital Signature", "status": "Issued"}]
    assert change.fits(issued, good)  # a certificate the SMKI held already (Issued) now In Use
    assert not change.fits(issued, [*before, {"serial": "3", "usage": "Digital Signature", "status": "Issued"}])


def test_the_origin_is_first_seen_and_only_once_a_when_step_started() -> None:
    frame = Frame()
    frame.include({"E": 1})
    assert frame.origin is None  # arrangement: not under test
    frame.acting = True
    frame.include({"E": 2})
    frame.include({"E": 3, "C": 4})
    assert frame.origin == {"E": 2, "C": 4}


# -- the bundled features against references that do more than the clause says -----------------------------------

CONFTEST = """
import pytest
from pytest_dcc.reference.setup import build_reference
from pytest_dcc.reference.store.smi import Eui

MODE = {mode!r}
ESME, CHF, PPMID = "00-DB-12-34-56-78-90-A0", "00-DB-12-34-56-78-90-A2", "00-DB-12-34-56-78-90-A4"


def patch(inv):
    if MODE == "replaced-certificate-left-in-use":
        inv.supersede_certificate = lambda serial: None
    elif MODE == "other-usage-superseded-too":
        set_certificate = inv.set_device_certificate
        def wrapped(eui, usage, cert, *, smi, device):
            if smi and not device:
                for other, serial in inv.device_certificates(eui, smi=True).items():
                    if other != usage:
                        inv.supersede_certificate(serial)
            set_certificate(eui, usage, cert, smi=smi, device=device)
        inv.set_device_certificate = wrapped
    elif MODE == "join-recorded-with-the-hub-too":
        add_join = inv.add_join
        def wrapped(eui, other, *, smi, device):
            add_join(eui, other, smi=smi, device=device)
            if smi and not device and str(other) != CHF:
                add_join(eui, Eui(CHF), smi=True, device=False)
        inv.add_join = wrapped
    elif MODE == "org-certificate-filed-under-another-role":
        set_org = inv.set_org_certificate
        def wrapped(eui, role, usage, cert, *, smi, device):
            set_org(eui, "Network Operator" if smi else role, usage, cert, smi=smi, device=device)
        inv.set_org_certificate = wrapped
    elif MODE == "install-suspends-the-meter-too":
        set_status = inv.set_status
        def wrapped(eui, status):
            set_status(eui, status)
            if status == "InstalledNotCommissioned":
                set_status(Eui(ESME), "Suspended")
        inv.set_status = wrapped


@pytest.fixture(scope="session")
def dcc_reference(dcc_test_pki):
    dcc = build_reference(dcc_test_pki, release="latest")
    patch(dcc.inventory)
    yield dcc
    dcc.inventory.close()
"""

#: mode -> (feature file, a scenario name fragment that must FAIL, whether the frame check is what FAILs it; the
#: others FAIL at a Then step that judges the missing half: the replaced certificate, the role it is tracked under)
CASES = {
    "replaced-certificate-left-in-use": ("device-credentials", "differ from the inventory", False),
    "other-usage-superseded-too": ("device-credentials", "differ from the inventory", True),
    "join-recorded-with-the-hub-too": ("join-unjoin", "records a join from the device's response", True),
    "org-certificate-filed-under-another-role": ("local-command-responses", "Organisation Certificates placed", False),
    "install-suspends-the-meter-too": ("chf-install-no-wan", "no E5; W081401", True),
}


def _run(pytester: pytest.Pytester, mode: str, feature: str) -> list[dict[str, object]]:
    path = next(features_dir().rglob(f"{feature}.feature"))
    pytester.makepyfile(test_suite=f"from pytest_bdd import scenarios\nscenarios({str(path)!r})\n")
    pytester.makeconftest(CONFTEST.format(mode=mode))
    pytester.runpytest("--dcc-release=latest", "-p", "no:cacheprovider", "-p", "no:randomly")
    return list(json.loads((pytester.path / "reports" / "verdicts.json").read_text())["scenarios"])


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(CASES))
def test_a_reference_that_does_more_than_the_clause_fails_the_frame_check(pytester: pytest.Pytester, mode: str) -> None:
    feature, name, by_frame = CASES[mode]
    scenarios = _run(pytester, mode, feature)
    owning = [s for s in scenarios if name in str(s["name"])]
    assert owning, [s["name"] for s in scenarios]
    failed = [s for s in owning if s["verdict"] == "FAIL"]
    assert failed, [(s["name"], s["verdict"]) for s in owning]
    assert all(s["verdict"] in ("PASS", "FAIL", "NOT_APPLICABLE") for s in scenarios), scenarios
    frame = [s for s in failed if "observable state changed" in str(s["message"])]
    assert bool(frame) == by_frame, [s["message"] for s in failed]


@pytest.mark.parametrize("feature", sorted({case[0] for case in CASES.values()}))
def test_the_correct_reference_passes_every_frame_check(pytester: pytest.Pytester, feature: str) -> None:
    scenarios = _run(pytester, "correct", feature)
    assert scenarios and all(s["verdict"] in ("PASS", "NOT_APPLICABLE") for s in scenarios), [
        (s["name"], s["verdict"], s["message"]) for s in scenarios if s["verdict"] not in ("PASS", "NOT_APPLICABLE")
    ]


def test_every_clause_scenario_that_judges_state_ends_with_the_frame_check() -> None:
    """A Then step that judges a device's, the inventory's or the SMKI's state allows a change: the scenario must
    then judge that nothing else changed (a refusal does it itself)."""
    state_steps = ("the inventory shows", "the inventory records", "itself holds", "itself no longer holds",
                   "the SMKI repository", "organisation certificates tracked", "holds gas block thresholds",
                   "the inventory and the SMKI", "the inventory still records")  # fmt: skip
    missing = []
    for path in sorted(Path(features_dir(), "clauses").glob("*.feature")):
        for block in path.read_text().split("Scenario")[1:]:
            steps = [line.strip() for line in block.splitlines()[1:] if line.strip().startswith(("Then", "And"))]
            if (
                any(s in line for line in steps for s in state_steps)
                and "And nothing else observable changed" not in (steps[-1:] or [""])[0]
            ):
                missing.append(f"{path.name}: {block.splitlines()[0][:80]}")
    assert not missing, missing

"""Parallel lanes against one endpoint (``pytest -n N --dcc-endpoint URL``): the plan, the lane reset, the send
order of shared users, the fan-out, and whole runs through pytester against a served reference."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from pytest_dcc.duis.estates import DEVICES, LANE_UPRN_STRIDE, SERVED_LANES, lane_devices, lane_eui
from pytest_dcc.duis.ids import CounterStore
from pytest_dcc.errors import BuildError, LaneError
from pytest_dcc.plugin.xdist_lanes import lane_scheduling, longest_first, read_durations, write_durations
from pytest_dcc.reference.boxed import default_estate
from pytest_dcc.statement import load_statement
from pytest_dcc.suite.lanes import Lane, SendOrder, lane_problems, plan_lane, worker_lane
from pytest_dcc.transport.fanout import ResponseFanout, register_worker
from pytest_dcc.transport.receiver import ResponseReceiver, free_port
from qa.serve import ServeProcess

ROOT = Path(__file__).resolve().parent.parent


#: Two IS users and two ESMEs: enough for two lanes.
_TWO_LANES = """
users:
  - {role: IS, eui: 90-B3-D5-1F-30-01-00-00}
  - {role: IS, eui: 90-B3-D5-1F-30-01-00-01}
  - {role: OU, eui: 90-B3-D5-1F-30-04-00-00}
devices:
  - {eui: 00-DB-12-34-56-78-90-A0, type: ESME}
  - {eui: 00-DB-12-34-56-78-91-A0, type: ESME}
"""


def _statement(tmp_path: Path, text: str) -> object:
    """The statement of :data:`_TWO_LANES` followed by ``text`` (more devices, then other keys)."""
    path = tmp_path / "statement.yaml"
    path.write_text(_TWO_LANES + textwrap.dedent(text), encoding="utf-8")
    return load_statement(path)


# -- the plan ----------------------------------------------------------------------------------------------------


def test_the_default_estate_gives_eight_disjoint_lanes_and_serve_holds_them_all() -> None:
    lanes = [plan_lane(k, SERVED_LANES, None) for k in range(SERVED_LANES)]
    euis = [eui for lane in lanes for eui in (lane.devices or {}).values()]
    assert len(euis) == len(set(euis)) == SERVED_LANES * len(DEVICES)
    assert lanes[0].devices == DEVICES  # lane 0 is the DUIS templates' estate
    served = {d["eui"] for d in default_estate()["devices"]}
    assert set(euis) <= served
    assert lane_eui("00-DB-12-34-56-78-90-A0", 3) == "00-DB-12-34-59-78-90-A0"
    with pytest.raises(BuildError, match="has no lane"):
        lane_eui("00-DB-12-34-FF-78-90-A0", 1)


def test_more_workers_than_the_default_estate_has_lanes_is_refused_naming_both() -> None:
    (problem,) = lane_problems(SERVED_LANES + 1, None)
    assert f"-n {SERVED_LANES + 1}" in problem and f"holds {SERVED_LANES} lanes" in problem
    assert lane_problems(SERVED_LANES, None) == [] and lane_problems(1, None) == []


def test_a_statement_pool_is_split_kth_device_of_each_type_and_a_short_type_is_named(tmp_path: Path) -> None:
    statement = _statement(
        tmp_path,
        """
          - {eui: 00-DB-12-34-56-78-90-A1, type: GSME}
        spare_devices:
          - {eui: 00-DB-12-34-56-78-92-A2, type: CHF}
          - {eui: 00-DB-12-34-56-78-93-A2, type: CHF}
          - {eui: 00-DB-12-34-56-78-92-A3, type: GPF}
          - {eui: 00-DB-12-34-56-78-93-A3, type: GPF}
        """,
    )
    problems = lane_problems(2, statement)  # type: ignore[arg-type]
    assert problems == [
        "the statement's devices list 1 GSME, and -n 2 needs 2 (one per lane): declare 1 more GSME or run with -n 1"
    ]
    with pytest.raises(LaneError, match="1 GSME"):
        plan_lane(1, 2, statement)  # type: ignore[arg-type]
    assert any("lists 2 users in role IS" in p for p in lane_problems(3, statement))  # type: ignore[arg-type]


def test_each_lane_takes_its_own_devices_spares_and_users(tmp_path: Path) -> None:
    statement = _statement(
        tmp_path,
        """
        spare_devices:
          - {eui: 00-DB-12-34-56-78-92-A2, type: CHF}
          - {eui: 00-DB-12-34-56-78-93-A2, type: CHF}
        """,
    )
    first, second = (plan_lane(k, 2, statement) for k in (0, 1))  # type: ignore[arg-type]
    assert first.devices == {"ESME": "00-DB-12-34-56-78-90-A0"}
    assert second.devices == {"ESME": "00-DB-12-34-56-78-91-A0"}
    assert first.spares == (("00-DB-12-34-56-78-92-A2", "CHF"),)
    assert second.spares == (("00-DB-12-34-56-78-93-A2", "CHF"),)
    assert first.users == {"IS": "90-B3-D5-1F-30-01-00-00"} and second.users == {"IS": "90-B3-D5-1F-30-01-00-01"}


def test_lane_uprns_are_twelve_digit_and_disjoint_and_the_scope_covers_them() -> None:
    lanes = [Lane(k, 8) for k in range(8)]
    mapped = [lane.uprn(200000000001) for lane in lanes]
    assert len(set(mapped)) == 8 and all(len(str(u)) == 12 for u in mapped)
    assert Lane().uprn(200000000001) == 200000000001  # no lanes: the feature's UPRN itself
    for lane, uprn in zip(lanes, mapped, strict=True):
        low, high = lane.scope([])["uprns"]
        assert low <= uprn <= high and high - low == LANE_UPRN_STRIDE - 1
        assert lane.uprn(100023336956) in range(low, high + 1)


def test_a_worker_knows_its_lane_from_xdist() -> None:
    assert worker_lane(None) == (0, 1)
    assert worker_lane({"workerid": "gw3", "workercount": 4}) == (3, 4)


# -- the reference's lane reset ----------------------------------------------------------------------------------


def test_a_lane_reset_forgets_that_lane_only(tmp_path: Path) -> None:
    from pytest_dcc.duis.pki import TestPki
    from pytest_dcc.reference.setup import build_reference

    dcc = build_reference(TestPki.generate([]), inventory=default_estate())
    try:
        lane1 = Lane(1, 2)
        dcc.seed({"coverage": [{"uprn": lane1.uprn(100023336956), "region": "North", "available": True,
                                "wan_variant": "Standard 420"}]})  # fmt: skip
        before = dcc.inventory.statuses()
        dcc.reset_lane(lane1.scope(list(lane_devices(1).values())))
        after = dcc.inventory.statuses()
        assert all(eui not in after for eui in lane_devices(1).values())
        assert {e: s for e, s in before.items() if e not in lane_devices(1).values()} == after
        assert dcc.inventory.coverage(uprn=lane1.uprn(100023336956)) == []
        assert dcc.inventory.coverage(uprn=100023336956)  # lane 0's premises keep their coverage
        with pytest.raises(ValueError, match="low <= high"):
            dcc.reset_lane({"uprns": [5, 1]})
        with pytest.raises(ValueError, match="devices and uprns"):
            dcc.reset_lane({"users": []})
    finally:
        dcc.inventory.close()


# -- shared users: one sender at a time, counters strictly increasing as received ---------------------------------

_SENDER = """
import sys, time
from pathlib import Path
from pytest_dcc.duis.ids import CounterStore
from pytest_dcc.suite.lanes import SendOrder
state, log = Path(sys.argv[1]), Path(sys.argv[2])
store = CounterStore(state / "counters.json", block=1)
order = SendOrder(state / "lanes", frozenset({"90-B3-D5-1F-30-01-00-00"}))
for _ in range(150):
    with order.hold(["90-B3-D5-1F-30-01-00-00"]):
        value = store.next("90-B3-D5-1F-30-01-00-00")
        time.sleep(0.0005)  # the request on its way
        with log.open("a") as out:
            out.write(f"{value}\\n")
"""


@pytest.mark.slow
def test_a_shared_users_counters_reach_the_endpoint_strictly_increasing_across_workers(tmp_path: Path) -> None:
    """Four processes send as one user; the order of arrival (the log) is the order of the counters."""
    log = tmp_path / "arrivals.log"
    workers = [
        subprocess.Popen([sys.executable, "-c", _SENDER, str(tmp_path), str(log)]) for _ in range(4)
    ]  # fmt: skip
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0, 0]
    values = [int(line) for line in log.read_text().split()]
    assert len(values) == 600 and values == sorted(values) and len(set(values)) == 600


def test_without_the_send_order_blocks_of_counters_would_arrive_out_of_order(tmp_path: Path) -> None:
    """What the send order prevents: two workers holding counter blocks send lower counters after higher ones."""
    path = tmp_path / "counters.json"
    one, two = CounterStore(path), CounterStore(path)
    first = one.next("90-B3-D5-1F-30-01-00-00")
    later = two.next("90-B3-D5-1F-30-01-00-00")  # the next block: above everything `one` will hand out
    assert later > one.next("90-B3-D5-1F-30-01-00-00") > first


def test_users_a_lane_has_to_itself_take_no_lock(tmp_path: Path) -> None:
    order = SendOrder(tmp_path, frozenset({"90-B3-D5-1F-30-01-00-00"}))
    with order.hold(["90-B3-D5-1F-30-04-00-00"]):
        assert not list(tmp_path.glob("send-*.lock"))
    with order.hold(["90-B3-D5-1F-30-01-00-00"]), order.hold(["90-B3-D5-1F-30-01-00-00"]):  # re-entrant
        assert [p.name for p in tmp_path.glob("send-*.lock")] == ["send-90-B3-D5-1F-30-01-00-00.lock"]


# -- the fan-out ---------------------------------------------------------------------------------------------------


def test_the_fanout_relays_each_delivery_to_every_registered_worker(tmp_path: Path) -> None:
    from pytest_dcc.transport.admission import ResponseJudge

    judge = ResponseJudge.__new__(ResponseJudge)  # probes are never judged
    folder = tmp_path / "workers"
    with ResponseFanout(folder) as fanout:
        reply = httpx.post(fanout.response_url, content=b"", headers={"X-Pytest-Dcc-Probe": "t0"})
        assert reply.status_code == 503 and "no worker" in reply.text
        with ResponseReceiver(judge) as one, ResponseReceiver(judge) as two:
            register_worker(folder, "gw0", one.response_url)
            register_worker(folder, "gw1", two.response_url)
            reply = httpx.post(fanout.response_url + "smartdcc/duis", content=b"", headers={"X-Pytest-Dcc-Probe": "t1"})
            assert reply.status_code == 204
            assert "t1" in one.inbox.probes and "t1" in two.inbox.probes


# -- whole runs ----------------------------------------------------------------------------------------------------


def _normalised(document: dict[str, object]) -> dict[str, object]:
    """Each scenario's outcome, lane EUIs and UPRNs named as lane 0's: the lanes benchmark's comparison."""
    from tests.conftest import load_benchmark

    return dict(load_benchmark("bench_lanes").normalised(document))


def _run(pytester: pytest.Pytester, endpoint: str, pki: Path, receiver: int, report: str, *extra: str):  # type: ignore[no-untyped-def]
    return pytester.runpytest_subprocess(
        "--pyargs", "pytest_dcc.suite", f"--dcc-endpoint={endpoint}", f"--dcc-pki={pki}",
        f"--dcc-receiver-port={receiver}", f"--dcc-report-dir={report}", "-p", "no:cacheprovider", *extra,
    )  # fmt: skip


@pytest.mark.slow
def test_verdicts_are_the_same_with_four_and_eight_lanes_as_with_none_on_one_endpoint(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    receiver = free_port()
    pki = tmp_path / "pki"
    args = ["--pki", str(pki), "--test-control", "--log-level", "warning", "--latency", "0.01"]
    args += ["--device-latency", "0.05"]  # device responses after the answers, relayed to the worker waiting
    with ServeProcess(args, tmp_path / "serve.log") as server:
        runs = {n: _run(pytester, server.url, pki, receiver, f"r{n}", "-n", str(n)) for n in (0, 4, 8)}
        health = httpx.get(server.url + "/health", timeout=5).json()
    for n, result in runs.items():
        assert result.ret == 0, f"-n {n}: " + result.stdout.str()[-3000:]
    one, four, eight = (json.loads((pytester.path / f"r{n}" / "verdicts.json").read_text()) for n in (0, 4, 8))
    assert _normalised(one) == _normalised(four) == _normalised(eight)
    assert one["clauses"] == four["clauses"] == eight["clauses"]
    assert set(one["run"]["totals"]) == {"PASS", "NOT_APPLICABLE"}
    assert health["response_url"] is None  # the run put the delivery address back as it found it
    # the parallel runs kept each scenario's time for the next one's order (longest first)
    durations = read_durations(Path(os.environ["PYTEST_DCC_STATE"]))  # the state folder the runs share
    assert {s["id"] for s in eight["scenarios"]} <= set(durations) and all(d >= 0 for d in durations.values())
    # a scenario found NOT_APPLICABLE at its start may take under the half millisecond kept; one judged over HTTP not
    assert all(durations[s["id"]] > 0 for s in eight["scenarios"] if s["verdict"] == "PASS" and not s["self_check"])


@pytest.mark.slow
def test_lanes_over_duis_alone_share_the_users_without_a_replayed_counter(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """No test control: the served default estate's 8 lanes, DCC Boxed's users shared by every worker. A counter
    that reached the endpoint out of order would be refused (E1) and fail its scenario."""
    receiver = free_port()
    pki = Path(__file__).resolve().parent.parent.parent / "shared" / "dccboxed" / "pki"
    if not pki.is_dir():
        pytest.skip("../shared/dccboxed/pki is not beside the checkout")
    args = ["--pki", str(pki), "--no-test-control", "--response-url", f"http://127.0.0.1:{receiver}/"]
    with ServeProcess([*args, "--log-level", "warning"], tmp_path / "serve.log") as server:
        result = _run(pytester, server.url, pki, receiver, "r", "-n", "4")
        journal = httpx.get(server.url + "/health", timeout=5).json()
    assert result.ret == 0, result.stdout.str()[-3000:]
    document = json.loads((pytester.path / "r" / "verdicts.json").read_text())
    assert set(document["run"]["totals"]) == {"PASS", "NOT_APPLICABLE"}
    assert sum(1 for s in document["scenarios"] if s["verdict"] == "PASS") >= 50
    assert journal["release"]


def test_a_pool_that_cannot_give_every_worker_a_lane_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        statement="""
devices:
  - {eui: 00-DB-12-34-56-78-90-A0, type: ESME}
  - {eui: 00-DB-12-34-56-78-91-A0, type: ESME}
""",
    )
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(
        "--dcc-endpoint=http://127.0.0.1:9", "--dcc-statement=statement.yaml", "-n", "4", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*-n 4 with --dcc-endpoint: the statement's devices list 2 ESME*declare 2 more*"])
    result = pytester.runpytest("--dcc-endpoint=http://127.0.0.1:9", "-n", "9", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*-n 9 without --dcc-statement*holds 8 lanes*"])


@pytest.mark.slow
def test_a_driver_that_can_only_reset_everything_makes_a_parallel_run_an_error_naming_reset_lane(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """A lane conflict provoked: a vendor driver with 'reset' and 'seed' but no 'reset-lane' would wipe the other
    workers' lanes, so every scenario is an ERROR that says so (nothing is judged on a shared, reset endpoint)."""
    pytester.makeconftest(
        """
        from pytest_dcc.drivers import NoDriver

        class WholeReset(NoDriver):
            name = "whole-endpoint reset"
            capabilities = frozenset({"reset", "seed"})
            def reset(self): pass
            def seed(self, document): pass

        def pytest_dcc_driver(config, settings):
            return WholeReset()
        """
    )
    pki = tmp_path / "pki"
    with ServeProcess(["--pki", str(pki), "--log-level", "warning"], tmp_path / "serve.log") as server:
        result = _run(pytester, server.url, pki, free_port(), "r", "-n", "2", "-k", "tariff")
    document = json.loads((pytester.path / "r" / "verdicts.json").read_text())
    verdicts = {s["verdict"] for s in document["scenarios"]} - {"NOT_APPLICABLE"}
    assert verdicts == {"ERROR"}, result.stdout.str()[-2000:]
    assert any("no 'reset-lane'" in s["message"] for s in document["scenarios"])


def test_the_lanes_benchmark_bounds_come_from_the_sequential_runs_scenarios() -> None:
    from tests.conftest import load_benchmark

    bench = load_benchmark("bench_lanes")
    verdicts = {"scenarios": [{"duration_s": d} for d in (1.0, 0.5, 0.5, 2.0)]}
    assert bench.bounds(verdicts, 4) == (2.0, 1.0)  # critical path, work spread over 4 workers
    assert bench.bounds(verdicts, 1) == (2.0, 4.0)


def test_workers_adding_their_lane_users_to_one_pki_folder_keep_each_others(tmp_path: Path) -> None:
    from pytest_dcc.duis.pki import TestPki, read_pki, write_pki

    write_pki(TestPki.generate(["90-B3-D5-1F-30-01-00-00"]), tmp_path)
    first, second = read_pki(tmp_path), read_pki(tmp_path)  # two workers load the folder before either writes
    first.add(lane_eui("90-B3-D5-1F-30-01-00-00", 1))
    second.add(lane_eui("90-B3-D5-1F-30-01-00-00", 2))
    write_pki(first, tmp_path)
    write_pki(second, tmp_path)
    held = set(read_pki(tmp_path).identities)
    assert {lane_eui("90-B3-D5-1F-30-01-00-00", k) for k in (0, 1, 2)} <= held


# -- scheduling: a worker starts as soon as it has collected, holds one scenario beyond the one it runs, the longest
# first ------------------------------------------------------------------------------------------------------------


class _Node:
    """What the scheduler sees of a pytest-xdist worker."""

    def __init__(self, name: str = "gw0") -> None:
        self.sent: list[int] = []
        self.shutting_down = False
        self.gateway = type("Gateway", (), {"id": name})()

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


class _Config:
    def getvalue(self, name: str) -> object:
        return {"tx": ["2*popen"]}[name]

    def getoption(self, name: str) -> object:
        return {"maxschedchunk": None}[name]


def test_the_longest_scenarios_go_first_and_those_never_timed_before_them() -> None:
    collection = ["a", "b", "c", "d"]
    assert longest_first(collection, {"a": 0.2, "b": 2.6, "d": 0.4}) == [2, 1, 3, 0]
    assert longest_first(collection, {}) == [0, 1, 2, 3]


def test_a_lane_starts_as_soon_as_it_has_collected_and_holds_one_scenario_beyond_the_one_it_runs() -> None:
    collection = ["s0", "s1", "s2", "s3", "s4"]
    sched = lane_scheduling(_Config(), None, {"s3": 3.0, "s1": 2.0, "s0": 1.0, "s2": 0.5, "s4": 0.1})
    first, second = _Node(), _Node()
    sched.add_node(first)
    sched.add_node(second)
    sched.add_node_collection(first, collection)
    assert sched.collection_is_completed  # pytest-xdist's own would wait for the second worker's collection
    sched.schedule()
    assert first.sent == [3, 1] and second.sent == []  # the two longest, to the one worker ready
    sched.add_node_collection(second, collection)
    sched.schedule()
    assert second.sent == [0, 2]
    sched.mark_test_complete(first, 3, 3.0)
    assert first.sent == [3, 1, 4]  # one more as one ends, never a batch
    sched.mark_test_complete(second, 0, 1.0)
    assert second.shutting_down and not first.shutting_down  # nothing left to give: it ends with what it holds
    assert not sched.tests_finished
    for node, index in ((first, 1), (second, 2), (first, 4)):
        sched.mark_test_complete(node, index, 0.1)
    assert sched.tests_finished


def test_a_late_worker_whose_collection_differs_gets_nothing() -> None:
    sched = lane_scheduling(_Config(), None, {})
    first, second = _Node("gw0"), _Node("gw1")
    sched.add_node(first)
    sched.add_node(second)
    sched.add_node_collection(first, ["s0", "s1", "s2"])
    sched.schedule()
    sched.add_node_collection(second, ["s0", "other"])
    sched.schedule()
    assert second.sent == [] and first.sent == [0, 1]


def test_lane_durations_are_kept_merged_and_a_broken_file_is_none(tmp_path: Path) -> None:
    assert read_durations(tmp_path) == {}
    write_durations(tmp_path, {"a": 1.23456, "b": 2.0})
    write_durations(tmp_path, {"b": 3.0})
    assert read_durations(tmp_path) == {"a": 1.235, "b": 3.0}
    (tmp_path / "lane-durations.json").write_text("[1, 2", encoding="utf-8")
    assert read_durations(tmp_path) == {}

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from pytest_dcc.duis.ids import MAX_COUNTER, CounterStore, RequestID, normalise_eui
from pytest_dcc.duis.thresholds import MAX_GAS_THRESHOLD_WH, to_wh
from pytest_dcc.errors import BuildError


def test_request_id_round_trip_and_response_id() -> None:
    rid = RequestID.parse("90-b3-d5-1f-30-01-00-00:00-DB-12-34-56-78-90-A0:1000")
    assert str(rid) == "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1000"
    assert str(rid.response_id()) == "00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-01-00-00:1000"


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("90-B3-D5-1F-30-01-00-00::1000", "BusinessTargetID"),
        ("90B3D51F30010000:00-DB-12-34-56-78-90-A0:1", "BusinessOriginatorID"),
        ("90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:01001", "counter"),
        (f"90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:{MAX_COUNTER + 1}", "counter"),
        ("90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0", "originator:target:counter"),
    ],
)
def test_bad_request_ids_are_refused_naming_the_part(text: str, part: str) -> None:
    with pytest.raises(BuildError, match=part):
        RequestID.parse(text)


def test_counter_bounds() -> None:
    assert RequestID.parse(f"90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:{MAX_COUNTER}").counter == MAX_COUNTER
    assert RequestID.parse("90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:0").counter == 0


def test_eui_forms() -> None:
    assert normalise_eui("90b3d51f30010000") == "90-B3-D5-1F-30-01-00-00"
    with pytest.raises(BuildError, match="EUI-64"):
        normalise_eui("90-B3-D5-1F-30-01-00")


def test_counter_is_seeded_with_epoch_millis_and_strictly_increasing() -> None:
    store = CounterStore(clock=lambda: 5)
    assert [store.next("90-B3-D5-1F-30-01-00-00") for _ in range(3)] == [5, 6, 7]
    assert store.next("90-B3-D5-1F-30-02-00-00") == 5


def test_counter_persists_across_stores_even_if_the_clock_goes_back(tmp_path: Path) -> None:
    path = tmp_path / "counters.json"
    assert CounterStore(path, clock=lambda: 1000, block=1).next("90-B3-D5-1F-30-01-00-00") == 1000
    assert CounterStore(path, clock=lambda: 10, block=1).next("90-B3-D5-1F-30-01-00-00") == 1001
    assert json.loads(path.read_text()) == {"90-B3-D5-1F-30-01-00-00": 1001}


def test_counters_are_reserved_in_blocks_and_a_later_store_starts_above_them(tmp_path: Path) -> None:
    path = tmp_path / "counters.json"
    now = [1000]
    store = CounterStore(path, clock=lambda: now[0], block=100)
    assert [store.next("90-B3-D5-1F-30-01-00-00") for _ in range(3)] == [1000, 1001, 1002]
    assert json.loads(path.read_text()) == {"90-B3-D5-1F-30-01-00-00": 1099}  # one write for the block
    path.write_text("{}")  # the file is not read again while the block lasts
    assert store.next("90-B3-D5-1F-30-01-00-00") == 1003
    path.write_text('{"90-B3-D5-1F-30-01-00-00": 1099}')
    assert CounterStore(path, clock=lambda: 5, block=100).next("90-B3-D5-1F-30-01-00-00") == 1100
    now[0] = 1250  # the clock passed the block: a new one, starting at the clock
    assert store.next("90-B3-D5-1F-30-01-00-00") == 1250
    assert json.loads(path.read_text()) == {"90-B3-D5-1F-30-01-00-00": 1349}


def _take(path: str, n: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    store = CounterStore(Path(path), clock=lambda: 1)
    queue.put([store.next("90-B3-D5-1F-30-01-00-00") for _ in range(n)])


def test_counter_is_unique_across_processes(tmp_path: Path) -> None:
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    procs = [multiprocessing.Process(target=_take, args=(str(tmp_path / "c.json"), 50, queue)) for _ in range(3)]
    for p in procs:
        p.start()
    values = [v for _ in procs for v in queue.get(timeout=30)]
    for p in procs:
        p.join(timeout=30)
    assert len(values) == len(set(values)) == 150


@pytest.mark.parametrize(
    ("given", "wh"),
    [
        ("1000 kWh", 1_000_000),
        ("5 Wh", 5),
        ("1.5 kWh", 1500),
        ("2 MWh", 2_000_000),
        (7, 7),
        ("281474976710655 Wh", MAX_GAS_THRESHOLD_WH),
    ],
)
def test_thresholds_go_on_the_wire_in_wh(given: str | int, wh: int) -> None:
    assert to_wh(given) == wh


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("0.5 Wh", "whole Wh"),
        ("1.0005 kWh", "whole Wh"),
        ("281474976710656 Wh", "2\\^48-1"),
        ("-1 kWh", "negative"),
        ("3 therms", "unit"),
        ("kWh", "quantity"),
    ],
)
def test_thresholds_refused(given: str, message: str) -> None:
    with pytest.raises(BuildError, match=message):
        to_wh(given)


def test_an_eui_is_a_normalised_str_built_once(tmp_path: Path) -> None:
    """``Eui`` normalises where it enters and passes through unchanged after; YAML writers get plain strings."""
    import yaml

    from pytest_dcc.duis.ids import Eui
    from pytest_dcc.skeleton import write_skeleton

    eui = Eui("90b3d51f30010000")
    assert eui == "90-B3-D5-1F-30-01-00-00" and isinstance(eui, str) and Eui(eui) is eui
    with pytest.raises(BuildError):
        Eui("90-B3-D5")
    read_back = Eui.stored("90-B3-D5-1F-30-01-00-00")  # a store row: normalised when it was written
    assert type(read_back) is Eui and read_back == eui and Eui.stored(eui) is eui
    document = {"release": "latest", "users": [{"role": "IS", "eui": eui}], "coverage_addresses": [{"uprn": 1}]}
    write_skeleton(document, tmp_path / "statement.yaml", "http://127.0.0.1:8079")
    assert yaml.safe_load((tmp_path / "statement.yaml").read_text())["users"] == [{"role": "IS", "eui": eui}]

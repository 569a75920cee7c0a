"""Lanes: how parallel workers share one endpoint without touching each other's state.

``pytest -n N --dcc-endpoint URL`` gives each pytest-xdist worker a lane: its own devices (one of each type the
estate names), its own spare devices, the UPRNs it arranges coverage for and, where they exist, its own users. A
worker arranges, resets and judges its lane only, so the verdicts do not depend on N or on which worker ran which
scenario. Where the lanes come from:

* a statement's device pool: lane ``k`` takes the ``k``-th device of each type, in the order listed. A type listed
  at all must be listed at least N times (else some lanes would judge what others find NOT_APPLICABLE); spare
  devices the same, per type. A role listed several times under ``users:`` gives lane ``k`` its ``k``-th user
  (at least N of them), else every lane shares the one. Coverage addresses are only read, so lanes share them;
* no statement: the default estate of ``pytest-dcc serve``, which holds :data:`SERVED_LANES` lanes (lane ``k``'s
  EUIs are the templates' with ``k`` added to the fifth octet). Where the suite seeds the estate (test control) it
  seeds each lane's devices, and each lane has its own users too (the same derivation, keys from the run's PKI).

Users shared between lanes keep their originator counters strictly increasing as the endpoint receives them:
:class:`SendOrder` lets one worker at a time build and send as a shared user (a lock file per user in the state
folder), and the counters come from the state file one at a time.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pytest_dcc.drivers import LaneScope
from pytest_dcc.duis.estates import (
    DEVICES,
    MAX_LANES,
    SERVED_LANES,
    lane_devices,
    lane_eui,
    lane_uprn,
    lane_uprns,
    premises,
)
from pytest_dcc.duis.ids import Eui
from pytest_dcc.duis.private_files import open_lock, private_dir
from pytest_dcc.errors import ConfigError, HarnessError, LaneError

if TYPE_CHECKING:  # the steps load this module; the statement is read by the wiring
    from pytest_dcc.statement import Statement

#: How long a worker waits for a shared user's send lock before the scenario is an ERROR (a stuck worker).
SEND_LOCK_TIMEOUT_S: Final = 120.0


@dataclass(frozen=True)
class Lane:
    """One worker's share of the endpoint. ``count`` 1 is the whole endpoint (no parallel workers)."""

    index: int = 0
    count: int = 1
    #: device name -> EUI; ``None``: the estate's own choice (the statement's first of each type, or the templates)
    devices: Mapping[str, str] | None = None
    #: role -> the lane's own user; a role not named here is the run's, shared with the other lanes
    users: Mapping[str, str] = field(default_factory=dict)
    #: the lane's spare devices (EUI, type); ``None``: the statement's, all of them
    spares: tuple[tuple[str, str], ...] | None = None

    @property
    def parallel(self) -> bool:
        return self.count > 1

    def uprn(self, uprn: int) -> int:
        """The UPRN this lane arranges and asks about for a scenario's ``uprn`` (itself when not parallel)."""
        return uprn if not self.parallel else lane_uprn(uprn, self.index)

    def premises(self) -> dict[str, Any]:
        """The premises of the lane's devices (the template premises without lanes)."""
        return premises(self.index if self.parallel else 0)

    def estate(self, *, seeding: bool) -> dict[str, str]:
        """The lane's devices by name: a seeded lane has every device of the estate (what its pool lacks takes the
        lane's derived EUI); otherwise the ones its pool gives."""
        return {**(lane_devices(self.index) if seeding else {}), **(self.devices or {})}

    def scope(self, devices: Sequence[str]) -> LaneScope:
        """What a lane reset forgets: the lane's ``devices`` and the coverage of its UPRN range."""
        return {"devices": sorted({str(Eui(d)) for d in devices}), "uprns": list(lane_uprns(self.index))}


def worker_lane(workerinput: Mapping[str, Any] | None) -> tuple[int, int]:
    """(index, count) of this process's lane: from pytest-xdist's ``workerinput`` (``gw3`` of 4 -> (3, 4)), else
    (0, 1)."""
    if not workerinput:
        return 0, 1
    count = int(workerinput.get("workercount", 1))
    worker = str(workerinput.get("workerid", "gw0"))
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    return index, max(count, 1)


def plan_lane(
    index: int,
    count: int,
    statement: Statement | None,
    roles: Mapping[str, str] | None = None,
    *,
    seeding: bool = False,
) -> Lane:
    """Lane ``index`` of ``count``; ``roles`` (role -> EUI) are the run's users, from which a seeding run without a
    statement derives each lane's own. :class:`LaneError` when the pool cannot give ``count`` lanes."""
    problems = lane_problems(count, statement)
    if problems:
        raise LaneError("; ".join(problems))
    if count <= 1:
        return Lane()
    if statement is None:
        users: dict[str, str] = {r: str(lane_eui(e, index)) for r, e in (roles or {}).items()} if seeding else {}
        return Lane(index, count, lane_devices(index), users, ())
    by_type = _by_type(statement.devices.items())
    devices = {name: euis[index] for name, euis in by_type.items() if name in DEVICES}
    spares_by_type = _by_type(statement.spare_devices)
    spares = tuple((euis[i], kind) for kind, euis in spares_by_type.items() for i in range(index, len(euis), count))
    own = {role: euis[index] for role, euis in statement.user_pool.items() if len(euis) > 1}
    return Lane(index, count, devices, own, spares)


def lane_problems(count: int, statement: Statement | None) -> list[str]:
    """Why ``count`` lanes cannot be had (empty: they can)."""
    if count <= 1:
        return []
    if count > MAX_LANES:
        return [f"-n {count}: at most {MAX_LANES} lanes"]
    if statement is None:
        if count > SERVED_LANES:
            return [
                f"-n {count} without --dcc-statement: the suite then assumes the default estate of pytest-dcc serve, "
                f"which holds {SERVED_LANES} lanes; declare {count} lanes' devices in a statement, or use -n "
                f"{SERVED_LANES} or fewer"
            ]
        return []
    problems = []
    for what, pool in (("devices", statement.devices.items()), ("spare_devices", statement.spare_devices)):
        for kind, euis in _by_type(pool).items():
            if what == "devices" and kind not in DEVICES:
                continue
            if len(euis) < count:
                problems.append(
                    f"the statement's {what} list {len(euis)} {kind}, and -n {count} needs {count} (one per lane): "
                    f"declare {count - len(euis)} more {kind} or run with -n {len(euis)}"
                )
    for role, users in statement.user_pool.items():
        if 1 < len(users) < count:
            problems.append(
                f"the statement lists {len(users)} users in role {role}, and -n {count} needs {count} (one per lane) "
                "or one (shared by every lane)"
            )
    return problems


def _by_type(pool: Any) -> dict[str, list[str]]:
    """type -> the EUIs of that type, in the order listed (``pool``: (EUI, type) pairs)."""
    found: dict[str, list[str]] = {}
    for eui, kind in pool:
        found.setdefault(kind, []).append(eui)
    return found


class SendOrder:
    """One worker at a time builds and sends as a user that lanes share, so the endpoint receives that user's
    originator counters strictly increasing. A lock file per user under ``folder``; re-entrant within a process.
    Users a lane has to itself, and a run without lanes, take no lock (``shared`` empty)."""

    def __init__(self, folder: Path | None, shared: frozenset[str] = frozenset()) -> None:
        self.folder = folder
        self.shared = shared
        self._local = threading.local()
        self._guard = threading.RLock()

    @contextlib.contextmanager
    def hold(self, users: Sequence[str]) -> Iterator[None]:
        """Hold the send locks of ``users`` (those shared), taken in one order (no two workers wait on each other);
        a lock not had within :data:`SEND_LOCK_TIMEOUT_S` is a :class:`HarnessError`."""
        wanted = sorted({str(u) for u in users} & self.shared) if self.folder is not None else []
        held: dict[str, Any] = self._local.__dict__.setdefault("held", {})
        taken: list[str] = []
        with self._guard if wanted else contextlib.nullcontext():
            try:
                for user in wanted:
                    if user not in held:
                        held[user] = self._lock(user)
                        taken.append(user)
                yield
            finally:
                for user in reversed(taken):
                    handle = held.pop(user)
                    handle.close()  # closing the file releases its lock

    def _lock(self, user: str) -> Any:
        import fcntl  # POSIX only, as the counter store

        assert self.folder is not None
        if not user or "/" in user or user in {".", ".."}:
            raise ConfigError(f"a send lock for user {user!r}: not a name a lock file can have")
        private_dir(self.folder)  # in the state folder: 0700, no link (ConfigError naming it)
        handle = open_lock(self.folder / f"send-{user}.lock")  # held until released; never through a link
        deadline = time.monotonic() + SEND_LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return handle
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.close()
                    raise HarnessError(
                        f"the send lock of user {user} (shared by the parallel lanes) was held by another worker "
                        f"for {SEND_LOCK_TIMEOUT_S:g} s (pid {os.getpid()} waited)"
                    ) from None
                time.sleep(0.002)


__all__ = [
    "SEND_LOCK_TIMEOUT_S",
    "Lane",
    "LaneError",
    "SendOrder",
    "lane_problems",
    "plan_lane",
    "worker_lane",
]

"""The frame check: the state the driver can observe after a scenario's requests differs from the state before them
by exactly what the clause says. Nothing missing is what each Then step judges; nothing more is judged here.

A scenario's *origin* is the state observed as its first When step starts (with a "device-view" driver: every
device of the estate, and its SMKI entries), completed by the state observed before each request a When step sends
(the devices it names, first seen). Each Then step that judges a change also *allows* it (:class:`Change`): a path
into the observed state and what the clause lets happen there. :func:`unexplained` is then every difference between
the origin and now that no allowed change covers; a refusal is its empty case (nothing may change).

Over DUIS alone (SR 8.2 as another user) the state is read only where a Then step will judge it: around the
requests of a When step, in a scenario one of whose Then steps judges the frame (:data:`FRAME_STEPS`) and is reached
(no Then step before it needs a capability the driver lacks, :data:`CAPABILITY_STEPS`); never around arrangement."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

#: A value the state does not hold at a path (a device, key or field absent before or after).
MISSING: Final = "<missing>"

Path = tuple[str, ...]

#: The Then step that judges the frame of the whole scenario (``judging.check_frame``), from its first When step.
WHOLE_FRAME: Final = re.compile(r"^nothing else observable changed$")

#: The Then steps that judge the frame (through ``judging.check_refused`` or ``judging.check_frame``; a test holds
#: every step that does to this list). Over DUIS alone a scenario with none of them reads no state around its
#: requests: no Then step would judge what the reads showed.
FRAME_STEPS: Final = (
    re.compile(r'^the request is refused as "'),
    re.compile(r'^the general validation refuses it as "'),
    WHOLE_FRAME,
)


def judges_frame(step: str) -> bool:
    """Whether the Then step ``step`` (its text) judges the frame."""
    return any(pattern.match(step) for pattern in FRAME_STEPS)


def _step(text: str) -> re.Pattern[str]:
    """A step's parse format (``{name}`` for a value) as a pattern of its texts."""
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", "(.+?)", re.escape(text)) + "$")


#: The Then steps that read through a driver capability (``steps.common.view``: "device-view", ``smki``: "smki";
#: a test holds every step that does to this list). Without it such a step is NOT_APPLICABLE when reached, and no
#: later Then step runs: a frame check after it judges nothing.
CAPABILITY_STEPS: Final = tuple(
    (_step(text), frozenset(needs))
    for text, needs in (
        ('the inventory records the {device}\'s new "{usage}" certificate', {"device-view"}),
        ('the inventory records the "{usage}" certificate the {device} uses, if any', {"device-view"}),
        ('the inventory still records the {device}\'s "{usage}" certificate as before', {"device-view"}),
        ('the SMKI repository holds the {device}\'s new "{usage}" certificate as In Use', {"smki"}),
        ('the SMKI repository holds the {device}\'s replaced "{usage}" certificate no longer In Use', {"smki"}),
        ("the inventory and the SMKI repository hold the {device}'s certificates as before", {"smki", "device-view"}),
        ("the inventory records the {other} joined to the {device}", {"device-view"}),
        ("the inventory records no join of the {other} to the {device}", {"device-view"}),
        ("the {device} itself holds the join with the {other}", {"device-view"}),
        ("the {device} itself no longer holds the join with the {other}", {"device-view"}),
        ("the organisation certificates tracked for the {device} include the one sent", {"device-view"}),
        ("the organisation certificates tracked for the {device} lack the one sent", {"device-view"}),
        ("the {device} itself holds the organisation certificate sent", {"device-view"}),
        ("the GSME holds gas block thresholds of {values} Wh", {"device-view"}),
    )
)


def needs(step: str) -> frozenset[str]:
    """The driver capabilities the Then step ``step`` (its text) reads through."""
    return frozenset().union(*(wanted for pattern, wanted in CAPABILITY_STEPS if pattern.match(step)))


def reached(then_steps: Iterable[str], capabilities: frozenset[str]) -> list[str]:
    """The Then steps of ``then_steps`` (in order) a driver of ``capabilities`` lets run: those before the first
    that needs a capability the driver lacks (that one is NOT_APPLICABLE, and no step after it runs)."""
    found: list[str] = []
    for step in then_steps:
        if not needs(step) <= capabilities:
            break
        found.append(step)
    return found


@dataclass(frozen=True)
class Change:
    """A change the clause makes: the values at ``path`` may go from ``before`` to ``after`` when ``fits(before,
    after)``; ``what`` says it in the clause's words."""

    path: Path
    what: str
    fits: Callable[[Any, Any], bool]


@dataclass(frozen=True)
class Difference:
    """One value of the observed state that is not what it was."""

    path: Path
    before: Any
    after: Any

    def __str__(self) -> str:
        return f"{'/'.join(self.path)}: {self.before!r} -> {self.after!r}"


@dataclass
class Frame:
    """What one scenario's frame check compares: the origin (None until a When step starts), and the changes its
    Then steps allowed."""

    origin: dict[str, Any] | None = None
    acting: bool = False  # a When step has started: requests sent from now on are under test
    changes: list[Change] = field(default_factory=list)

    def include(self, state: dict[str, Any]) -> None:
        """Complete the origin with what ``state`` observed of devices it did not hold yet (first seen wins)."""
        if not self.acting:
            return
        if self.origin is None:
            self.origin = {}
        for key, value in state.items():
            self.origin.setdefault(key, value)

    def allow(self, change: Change) -> None:
        self.changes.append(change)


def at(state: Any, path: Path) -> Any:
    """The value at ``path`` of ``state`` (:data:`MISSING` where it holds none)."""
    for key in path:
        if not isinstance(state, dict) or key not in state:
            return MISSING
        state = state[key]
    return state


def differences(before: Any, after: Any, path: Path = ()) -> list[Difference]:
    """Every leaf that differs (mappings compared key by key; other values whole)."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[Difference] = []
        for key in sorted(set(before) | set(after), key=str):
            found += differences(before.get(key, MISSING), after.get(key, MISSING), (*path, str(key)))
        return found
    return [] if before == after else [Difference(path, before, after)]


def unexplained(
    before: dict[str, Any], after: dict[str, Any], changes: Iterable[Change]
) -> tuple[list[Difference], list[Difference]]:
    """The differences no allowed change covers, and those one does. A change covers the differences under its
    path when the values at its path fit it; one that does not fit covers nothing."""
    fitting = [c.path for c in changes if c.fits(at(before, c.path), at(after, c.path))]
    left: list[Difference] = []
    covered: list[Difference] = []
    for difference in differences(before, after):
        within = any(difference.path[: len(p)] == p for p in fitting)
        (covered if within else left).append(difference)
    return left, covered


def _members(value: Any) -> set[str] | None:
    """A set observed as a sorted list (joins), or None when the value is no such list (absent, refused)."""
    return set(map(str, value)) if isinstance(value, list) else None


def membership(device: str, side: str, member: str, *, held: bool, what: str) -> list[Change]:
    """The changes of a relation recorded on ``side`` ("smi" or "device") between ``device`` and ``member`` (a
    join): ``member`` added to (``held``) or removed from ``device``'s set, and on ``member``'s own record the same
    for ``device``, or nothing (where the relation is recorded on one of the two only)."""

    def gained(one: str) -> Callable[[Any, Any], bool]:
        def fits(before: Any, after: Any) -> bool:
            b, a = _members(before), _members(after)
            if b is None or a is None:
                return False
            return a == (b | {one} if held else b - {one})

        return fits

    mirrored = gained(device)
    return [
        Change((device, side, "joins"), what, gained(member)),
        Change((member, side, "joins"), what, lambda b, a: b == a or mirrored(b, a)),
    ]


def value_becomes(path: Path, value: Any, what: str) -> Change:
    """The value at ``path`` becomes ``value`` (or already was)."""
    return Change(path, what, lambda _before, after: after == value)


def smki_update(subject: str, new: dict[str, str], replaced: Iterable[str], what: str) -> Change:
    """The SMKI entries of ``subject`` after a changed certificate set: each ``new`` serial (-> usage) In Use (added,
    or an entry it had already, e.g. Issued, now In Use), each ``replaced`` serial no longer In Use (or gone), every
    other entry as it was and nothing else."""
    old = set(replaced)

    def fits(before: Any, after: Any) -> bool:
        if not isinstance(before, list) or not isinstance(after, list):
            return False
        then = {e["serial"]: e for e in before if isinstance(e, dict)}
        now = {e["serial"]: e for e in after if isinstance(e, dict)}
        for serial, entry in then.items():
            if serial in old:
                if serial in now and now[serial].get("status") == "In Use":
                    return False
            elif serial not in new and now.get(serial) != entry:
                return False
        changed = {s: e for s, e in now.items() if s not in old and then.get(s) != e}
        wanted = {s: {"serial": s, "usage": u, "status": "In Use"} for s, u in new.items()}
        return all(wanted.get(s) == e for s, e in changed.items()) and all(now.get(s) == e for s, e in wanted.items())

    return Change((f"smki {subject}",), what, fits)


__all__ = [
    "CAPABILITY_STEPS",
    "FRAME_STEPS",
    "WHOLE_FRAME",
    "MISSING",
    "Change",
    "Difference",
    "Frame",
    "at",
    "differences",
    "reached",
    "judges_frame",
    "membership",
    "needs",
    "smki_update",
    "unexplained",
    "value_becomes",
]

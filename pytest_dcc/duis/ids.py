"""EUI-64s, RequestIDs (BusinessOriginatorID:BusinessTargetID:OriginatorCounter) and persistent counters."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pytest_dcc.duis.private_files import open_lock, private_dir, read_private_if_present, write_private
from pytest_dcc.errors import BuildError

MAX_COUNTER: Final = 2**64 - 1
_HEX_EUI: Final = re.compile(r"[0-9A-Fa-f]{16}")
_DASHED_EUI: Final = re.compile(r"[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}")
# The counter grammar of RequestIDType: a decimal with no leading zero (0 itself allowed), at most 2^64-1.
_COUNTER: Final = re.compile(r"0|[1-9][0-9]{0,19}")


class Eui(str):
    """An EUI-64, checked and normalised once where it enters (a request, a file, a test-control call): upper-case
    and hyphenated (``90-B3-D5-1F-30-01-00-00``). It is a ``str``, so it is written, compared and stored as one;
    building an ``Eui`` from an ``Eui`` costs nothing, so code that holds one never normalises again.

    Accepts the hyphenated form in any case and the 16-hex-digit form.

    :raises BuildError: anything else, naming the value.
    """

    __slots__ = ()

    def __new__(cls, value: str) -> Eui:
        if type(value) is cls:
            return value
        text = value.strip() if isinstance(value, str) else value
        if isinstance(text, str) and _DASHED_EUI.fullmatch(text):
            return super().__new__(cls, text.upper())
        if isinstance(text, str) and _HEX_EUI.fullmatch(text):
            return super().__new__(cls, "-".join(text[i : i + 2] for i in range(0, 16, 2)).upper())
        raise BuildError(f"not an EUI-64 (8 hyphenated hex octets): {value!r}")

    @classmethod
    def stored(cls, value: str) -> Eui:
        """The ``Eui`` of a value this project stored normalised (a store row read back): not checked again."""
        return value if type(value) is cls else str.__new__(cls, value)


def normalise_eui(value: str) -> Eui:
    """``value`` as an :class:`Eui` (the function form, for code that maps over strings)."""
    return Eui(value)


def eui_hex(eui: str) -> str:
    """Return the 16 lower-case hex digits of an EUI-64 (the form found in certificates and GBCS headers)."""
    return normalise_eui(eui).replace("-", "").lower()


@dataclass(frozen=True, slots=True, order=True)
class RequestID:
    """A DUIS RequestID: who sends, to which device (or the DCC) and the originator's counter."""

    originator: Eui
    target: Eui
    counter: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "originator", Eui(self.originator))
        object.__setattr__(self, "target", Eui(self.target))
        if isinstance(self.counter, bool) or not isinstance(self.counter, int):
            raise BuildError(f"originator counter must be an integer, got {self.counter!r}")
        if not 0 <= self.counter <= MAX_COUNTER:
            raise BuildError(f"originator counter {self.counter} is outside 0..2^64-1")

    def __str__(self) -> str:
        return f"{self.originator}:{self.target}:{self.counter}"

    @classmethod
    def parse(cls, text: str) -> RequestID:
        """Parse the wire form strictly (as ``RequestIDType`` does); the EUIs are normalised to upper case.

        :raises BuildError: on any deviation, naming the part at fault.
        """
        parts = text.strip().split(":") if isinstance(text, str) else []
        if len(parts) != 3:
            raise BuildError(f"RequestID must be originator:target:counter, got {text!r}")
        originator, target, counter = parts
        for label, eui in (("BusinessOriginatorID", originator), ("BusinessTargetID", target)):
            if not _DASHED_EUI.fullmatch(eui):
                raise BuildError(f"RequestID {text!r}: {label} {eui!r} is not a hyphenated EUI-64")
        if not _COUNTER.fullmatch(counter) or int(counter) > MAX_COUNTER:
            raise BuildError(f"RequestID {text!r}: counter {counter!r} is not a decimal in 0..2^64-1")
        return cls(Eui(originator), Eui(target), int(counter))

    def response_id(self) -> RequestID:
        """The ResponseID a device response carries: originator and target swapped, counter kept (DCC Boxed)."""
        return RequestID(self.target, self.originator, self.counter)


def epoch_millis() -> int:
    """Milliseconds since the epoch: the seed DCC Boxed uses for originator counters."""
    return time.time_ns() // 1_000_000


#: The originator counters' file in the per-user state folder, which the suite's runs and the commands that send
#: as a user (statement-skeleton) share: a run straight after another never sends a counter below its.
COUNTERS_FILE: Final = "counters.json"


class CounterStore:
    """Strictly increasing originator counters, persisted across runs and processes.

    Each value is ``max(last + 1, now in epoch milliseconds)``, as DCC Boxed seeds its counters, so a real endpoint
    never sees a replay even if the state file is lost. With ``path``, a process reserves counters for each
    originator in blocks of ``block`` values: the JSON state file (guarded by an exclusive lock, so safe for
    pytest-xdist workers and concurrent runs) records the top of the block, and values are handed out from the
    block without touching the file until it is used up or the clock passes it. Values are unique across
    processes, and a later run always starts above every value an earlier one could have sent. Without ``path`` the
    store is per process.

    The default block (10,000) is ten seconds of the millisecond clock: a run writes the file about once per ten
    seconds instead of once per request (on a slow disk that write cost as much as the DCC's handling of the
    request), and a counter runs ahead of the clock by ten seconds at most.
    """

    def __init__(
        self, path: Path | None = None, clock: Callable[[], int] = epoch_millis, *, block: int = 10_000
    ) -> None:
        if block < 1:
            raise ValueError("a counter block holds at least one value")
        self._path = path
        self._clock = clock
        self._block = block
        self._memory: dict[str, int] = {}
        #: Per originator: the last value handed out and the end (exclusive) of the block reserved in the file.
        self._held: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    @property
    def path(self) -> Path | None:
        """The state file, or ``None`` for an in-memory store."""
        return self._path

    def next(self, originator: str) -> int:
        """Reserve and return the next counter for ``originator``."""
        eui = normalise_eui(originator)
        with self._lock:
            if self._path is None:
                value = self._advance(self._memory, eui)
            else:
                value = self._next_persisted(eui)
        return value

    def _advance(self, state: dict[str, int], eui: str) -> int:
        value = max(state.get(eui, -1) + 1, self._clock())
        if value > MAX_COUNTER:
            raise BuildError(f"originator counter for {eui} is exhausted")
        state[eui] = value
        return value

    def _next_persisted(self, eui: str) -> int:
        held = self._held.get(eui)
        if held is not None:
            value = max(held[0] + 1, self._clock())
            if value < held[1]:
                self._held[eui] = (value, held[1])
                return value
        start, end = self._reserve(eui, floor=held[0] + 1 if held else 0)
        self._held[eui] = (start, end)
        return start

    def _reserve(self, eui: str, *, floor: int) -> tuple[int, int]:
        """Take the next block for ``eui`` from the state file: ``(first value, end exclusive)``."""
        import fcntl  # POSIX only; imported here so the in-memory store works everywhere

        assert self._path is not None
        private_dir(self._path.parent)  # the state folder: 0700, no link (ConfigError naming it)
        with open_lock(self._path.with_suffix(".lock")) as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = self._load()
            start = max(state.get(eui, -1) + 1, self._clock(), floor)
            if start > MAX_COUNTER:
                raise BuildError(f"originator counter for {eui} is exhausted")
            end = min(start + self._block, MAX_COUNTER + 1)
            state[eui] = end - 1
            write_private(self._path, json.dumps(state, indent=1, sort_keys=True).encode("utf-8"))
        return start, end

    def _load(self) -> dict[str, int]:
        assert self._path is not None
        try:
            data = read_private_if_present(self._path)  # a link in its place: ConfigError naming it
            raw = json.loads(data) if data is not None else {}
        except ValueError as exc:
            raise BuildError(f"originator counter file {self._path} is unreadable: {exc}") from None
        if not isinstance(raw, dict):
            raise BuildError(f"originator counter file {self._path} is not a JSON object")
        return {str(k): int(v) for k, v in raw.items()}


__all__ = [
    "COUNTERS_FILE",
    "MAX_COUNTER",
    "CounterStore",
    "Eui",
    "RequestID",
    "epoch_millis",
    "eui_hex",
    "normalise_eui",
]

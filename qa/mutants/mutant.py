"""The one mutant type: a way to make a correct DCC behave otherwise (or correct but different), in one of three
families, each with its own catalogue (:mod:`qa.mutants.catalogue`):

* ``reference`` (white box): ``patch`` changes the reference DCC's own code in the process that runs it
  (:mod:`qa.mutants.reference`);
* ``black-box``: the mutating proxy's hooks (:mod:`qa.mutants.endpoint`) in front of an unmodified endpoint;
* ``green``: correct but different, from outside as well: must stay green.

Whether a run caught one is :func:`qa.mutants.scoring.caught`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from qa.mutants.endpoint import DeliveryHook, ReplyHook, RequestHook

#: The families, in the order the benchmark runs them.
FAMILIES: Final = ("reference", "black-box", "green")
#: What an ERROR against a mutant that owns clauses may name: a scenario whose set-up (arrangement) it breaks.
ARRANGEMENT: Final = "ArrangementError"


@dataclass(frozen=True)
class Mutant:
    """One wrong (or correct-but-different) behaviour.

    ``owners`` are the clauses whose scenarios must FAIL against it (empty for the green family and for a transport
    mutant, which ``error_cause`` names: the suite must answer ERROR naming it, never FAIL); ``claimed`` the release
    the suite claims; ``inner`` the release the correct endpoint behind the proxy runs (default: ``claimed``);
    ``statement`` extra implementation-statement entries the run declares. A reference mutant has ``patch``; a
    black-box or green one the proxy's hooks (``request``, ``reply``, ``delivery``, ``deliver_after_s``,
    ``redeliver_after_s``).
    """

    name: str
    what: str
    family: str  # one of FAMILIES
    owners: frozenset[str] = frozenset()
    claimed: str = "latest"
    inner: str | None = None
    request: RequestHook | None = None
    reply: ReplyHook | None = None
    delivery: DeliveryHook | None = None
    statement: Mapping[str, Any] = field(default_factory=dict)
    error_cause: str | None = None  # the suite must answer ERROR naming this (not FAIL)
    #: deliver each asynchronous response this many seconds after the endpoint sends it: after its synchronous
    #: answer, in process as over HTTP (the in-process reference delivers before the answer returns)
    deliver_after_s: float | None = None
    #: deliver each asynchronous response again, identically, at once and (signed again) this many seconds later
    redeliver_after_s: float | None = None
    #: the reference family: the white-box change, applied to the process that runs the reference DCC
    patch: Callable[[], None] | None = None

    @property
    def declared_errors(self) -> tuple[str, ...]:
        """What every ERROR of a run against it must name: its transport cause, else an ArrangementError."""
        return (self.error_cause,) if self.error_cause is not None else (ARRANGEMENT,)


__all__ = ["ARRANGEMENT", "FAMILIES", "Mutant"]

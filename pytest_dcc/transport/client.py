"""The user side of DUIS in one object, run-wide: build, sign, send (one sender at a time of a user the lanes
share), the evidence of each exchange, and a count of what was sent, per scenario, by SRV and by purpose.

Every DUIS request the suite sends goes through one :class:`DuisClient`: the scenarios' requests and their
observation reads (``suite.context``), the DUIS driver's arrangement (``drivers.duis``), the statement skeleton, and
the QA tooling's load clients. Its :attr:`~DuisClient.generation` moves on with every request that may change the
endpoint's state (any but a read of :data:`READS`, and any request under test) and with :meth:`~DuisClient.changed`
(a device response came in, a scenario began, a driver changed the state by its own means: ``drivers.RecordingDriver``):
what a read showed holds while the generation it was read in does.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from pytest_dcc.duis.build import DuisRequest, RequestBuilder
from pytest_dcc.duis.gbcs import sign_pre_command
from pytest_dcc.duis.ids import CounterStore, normalise_eui
from pytest_dcc.duis.signing import SigningIdentity, sign
from pytest_dcc.errors import HarnessError, TransportError
from pytest_dcc.spec import NS_SR, SchemaVersion
from pytest_dcc.transport import Exchange, Transport
from pytest_dcc.transport.admission import Judged
from pytest_dcc.transport.receiver import ResponseInbox

#: SRVs that read and change nothing: sending one keeps what earlier reads showed.
READS = frozenset({"8.2"})


class Purpose(StrEnum):
    """What a request is sent for (counted by :class:`DuisClient`)."""

    ARRANGEMENT = "arrangement"  # bringing the estate to what a Given step asks
    UNDER_TEST = "under test"  # a When step's request, which a Then step judges
    JUDGED_READ = "judged read"  # a read whose result a Then step judges (the frame check's, or a Then's own)
    OTHER_READ = "other read"  # a read no Then step judges (the goal: none)


class Evidence(Protocol):
    """Where the evidence of each exchange goes as it happens (the allure report attaches it to the running step)."""

    def exchange(self, exchange: Exchange) -> None: ...

    def failure(self, request: DuisRequest, body: bytes, error: TransportError) -> None: ...

    def device_response(self, judged: Judged) -> None: ...

    def note(self, text: str) -> None:
        """A finding the scenario reports without judging it (a reading, what could not be observed)."""

    def state_change(self, title: str, lines: list[str]) -> None:
        """What the frame check found: every difference of the observable state, expected or not."""


class NoEvidence:
    """Evidence kept only in the scenario (no report is being written)."""

    def exchange(self, exchange: Exchange) -> None:
        return None

    def failure(self, request: DuisRequest, body: bytes, error: TransportError) -> None:
        return None

    def device_response(self, judged: Judged) -> None:
        return None

    def note(self, text: str) -> None:
        return None

    def state_change(self, title: str, lines: list[str]) -> None:
        return None


class Order(Protocol):
    """One sender at a time of the users given (``suite.lanes.SendOrder`` across parallel lanes)."""

    def hold(self, users: list[str]) -> contextlib.AbstractContextManager[None]: ...


class Unordered:
    """No other sender shares the users: nothing is held."""

    def hold(self, users: list[str]) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


class DuisClient:
    """Builds requests as each user (``identities``: user EUI -> signing identity, None sends unsigned), signs
    them as their originator, sends them through ``transport`` one sender at a time (``order``), hands each
    exchange to ``evidence`` and counts it under the running scenario (:meth:`begin`)."""

    def __init__(
        self,
        transport: Transport,
        identities: Mapping[str, SigningIdentity | None],
        *,
        counters: CounterStore | None = None,
        schema_version: SchemaVersion | None = None,
        evidence: Evidence | None = None,
        order: Order | None = None,
        inbox: ResponseInbox | None = None,
        builders: Mapping[str, RequestBuilder] | None = None,
    ) -> None:
        self.transport = transport
        self.identities = {normalise_eui(user): identity for user, identity in identities.items()}
        self.counters = counters if counters is not None else CounterStore()
        self.schema_version = schema_version
        self.evidence: Evidence = evidence if evidence is not None else NoEvidence()
        self.order: Order = order if order is not None else Unordered()
        self.inbox = inbox
        self.builders: dict[str, RequestBuilder] = {normalise_eui(u): b for u, b in (builders or {}).items()}
        self.scenario = "(no scenario)"
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.generation = 0  # moves on whenever the endpoint's state may have changed
        self.naming: Counter[str] = Counter()  # EUI -> how many requests sent named it
        self.reads: dict[tuple[str, str], tuple[int, Exchange]] = {}  # (user, EUI) -> the last SR 8.2 of it

    @classmethod
    def of_user(
        cls,
        builder: RequestBuilder,
        transport: Transport,
        identity: SigningIdentity | None,
        inbox: ResponseInbox | None = None,
    ) -> DuisClient:
        """A client of one user: ``builder``'s originator, signing with ``identity`` (unsigned when None)."""
        user = builder.originator
        return cls(transport, {user: identity}, inbox=inbox, builders={user: builder})

    # -- building and signing ------------------------------------------------------------------------------------

    @property
    def builder(self) -> RequestBuilder:
        """The builder of the client's first user."""
        return self.builder_for(next(iter(self.identities)))

    def builder_for(self, user: str) -> RequestBuilder:
        user = normalise_eui(user)
        if user not in self.builders:
            if self.schema_version is None:
                self.builders[user] = RequestBuilder(user, self.counters)
            else:
                self.builders[user] = RequestBuilder(user, self.counters, self.schema_version)
        return self.builders[user]

    def identity(self, user: str) -> SigningIdentity:
        found = self.identities.get(normalise_eui(user))
        if found is None:
            raise HarnessError(f"no signing identity for user {user}")
        return found

    def serialise(self, request: DuisRequest, signer: str | None = None) -> bytes:
        """The bytes that go on the wire: signed as ``signer`` (by default its originator) where the client holds
        that user's signing identity."""
        identity = self.identities.get(normalise_eui(signer or request.request_id.originator))
        if identity is not None:
            sign(request.root, identity)
        return request.to_bytes()

    def pre_command(self, request: DuisRequest, payload: bytes, *, cv: int) -> DuisRequest:
        """The CV 5/6 request carrying the pre-command ``payload`` returned to ``request`` (CV 4), signed with its
        originator's key."""
        user = str(request.request_id.originator)
        signed = sign_pre_command(payload, self.identity(user).key)
        return self.builder_for(user).signed_pre_command(request, signed, cv=cv)

    def hold(self, users: Iterable[str]) -> contextlib.AbstractContextManager[None]:
        """Send as ``users`` while no other lane does (see :class:`Order`)."""
        return self.order.hold(list(users))

    # -- sending -------------------------------------------------------------------------------------------------

    def changed(self) -> None:
        """The endpoint's state may have changed (a device response came in): what reads showed is stale."""
        self.generation += 1

    def send(
        self,
        request: DuisRequest,
        body: bytes | None = None,
        *,
        path: str | None = None,
        purpose: Purpose = Purpose.UNDER_TEST,
    ) -> Exchange:
        """Send ``request`` (``body`` as it is, else signed as its originator) to its CV's path or ``path``; the
        judged exchange, or the TransportError, goes to the evidence. Counted first."""
        body = self.serialise(request) if body is None else body
        self.counts[(self.scenario, request.srv, str(purpose))] += 1
        if request.srv not in READS or purpose is Purpose.UNDER_TEST:  # a request under test may change anything
            self.generation += 1
        self.naming.update(named_euis(request))
        try:
            if path is None:
                exchange = self.transport.send(request, body)
            else:
                exchange = self.transport.send_to(request, body, path)
        except TransportError as exc:
            self.evidence.failure(request, body, exc)
            raise
        self.evidence.exchange(exchange)
        device = request.root.findtext(f".//{{{NS_SR}}}DeviceID") if request.srv in READS else None
        if device and purpose is not Purpose.UNDER_TEST:  # what the read showed holds until the state may change
            self.reads[(str(request.request_id.originator), normalise_eui(device.strip()))] = (
                self.generation,
                exchange,
            )
        return exchange

    def recall(self, user: str, eui: str) -> Exchange | None:
        """The answer to the last SR 8.2 Read Inventory of ``eui`` sent as ``user``, while nothing that may change
        what it showed was sent since (None otherwise): read each device once where several steps need it."""
        known = self.reads.get((normalise_eui(user), normalise_eui(eui)))
        return known[1] if known is not None and known[0] == self.generation else None

    def request(
        self, srv: str, *, user: str | None = None, purpose: Purpose = Purpose.UNDER_TEST, **values: Any
    ) -> Exchange:
        """Build, sign and send SRV ``srv`` as ``user`` (the client's first user by default; see
        :meth:`RequestBuilder.request`), one sender at a time of that user."""
        builder = self.builder if user is None else self.builder_for(user)
        with self.hold([builder.originator]):
            return self.send(builder.request(srv, **values), purpose=purpose)

    def wait_for_device_response(self, request: DuisRequest, timeout_s: float) -> Judged:
        """The first asynchronous response to ``request`` (ResponseTimeoutError if none arrives in time)."""
        if self.inbox is None:
            raise HarnessError("this client has no response receiver")
        return self.inbox.wait_for(request.request_id, timeout_s)[0]

    # -- the count -----------------------------------------------------------------------------------------------

    def begin(self, scenario: str) -> None:
        """Count what is sent from now on under ``scenario`` (what reads showed before it is stale)."""
        self.scenario = scenario
        self.changed()

    def tally(self) -> list[dict[str, Any]]:
        """What was sent: one row per scenario, SRV and purpose, with its count."""
        return [
            {"scenario": scenario, "srv": srv, "purpose": purpose, "count": count}
            for (scenario, srv, purpose), count in sorted(self.counts.items())
        ]

    def write_tally(self, path: Path) -> None:
        """Write :meth:`tally` to ``path`` as JSON (``{"requests": [...]}``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"requests": self.tally()}, indent=1), encoding="utf-8")


def named_euis(request: DuisRequest) -> set[str]:
    """The EUI-64s ``request`` names anywhere (its target, DeviceID, OtherDeviceID, an associated GPF, the target of
    an OriginalRequestID), as written (upper case, hyphens)."""
    found: set[str] = set()
    for text in request.root.itertext():
        for part in str(text).split(":"):
            part = part.strip()
            if len(part) == 23 and part.count("-") == 7:
                found.add(part.upper())
    return found


__all__ = ["READS", "DuisClient", "Evidence", "NoEvidence", "Order", "Purpose", "Unordered", "named_euis"]

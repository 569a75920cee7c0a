"""What clause steps share: the target (transport, inbox, driver), the users, and the scenario's evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from pytest_dcc.drivers import Driver
from pytest_dcc.duis.build import DuisRequest, RequestBuilder
from pytest_dcc.duis.gbcs import sign_pre_command
from pytest_dcc.duis.ids import CounterStore
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.duis.signing import SigningIdentity, sign
from pytest_dcc.errors import ArrangementError, HttpStatusError, NotApplicableError, TransportError
from pytest_dcc.reference.releases import Release
from pytest_dcc.spec import SRVS, SchemaVersion
from pytest_dcc.suite.estate import DEVICES, remap
from pytest_dcc.transport import Exchange, Transport
from pytest_dcc.transport.judge import Judged
from pytest_dcc.transport.receiver import ResponseInbox


class Evidence(Protocol):
    """Where the evidence of each exchange goes as it happens (the allure report attaches it to the running step)."""

    def exchange(self, exchange: Exchange) -> None: ...

    def failure(self, request: DuisRequest, body: bytes, error: TransportError) -> None: ...

    def device_response(self, judged: Judged) -> None: ...


class NoEvidence:
    """Evidence kept only in the scenario (no report is being written)."""

    def exchange(self, exchange: Exchange) -> None:
        return None

    def failure(self, request: DuisRequest, body: bytes, error: TransportError) -> None:
        return None

    def device_response(self, judged: Judged) -> None:
        return None


def send_observed(
    transport: Transport, evidence: Evidence, request: DuisRequest, body: bytes, path: str | None = None
) -> Exchange:
    """Send through ``transport`` and hand what happened to ``evidence``, an answer or the error."""
    try:
        exchange = transport.send(request, body) if path is None else transport.send_to(request, body, path)
    except TransportError as exc:
        evidence.failure(request, body, exc)
        raise
    evidence.exchange(exchange)
    return exchange


@dataclass
class Target:
    """The endpoint under test as the steps see it (session-wide)."""

    transport: Transport
    inbox: ResponseInbox
    driver: Driver
    release: Release
    schema_version: SchemaVersion
    counters: CounterStore
    identities: Mapping[str, SigningIdentity]
    roles: Mapping[str, str]  # role -> user EUI
    timeout_s: float
    devices: Mapping[str, str] = field(default_factory=lambda: dict(DEVICES))  # estate name -> EUI
    declared_devices: frozenset[str] = frozenset()  # the names the statement's device pool declares
    builders: dict[str, RequestBuilder] = field(default_factory=dict)
    evidence: Evidence = field(default_factory=NoEvidence)

    def __repr__(self) -> str:  # allure records step arguments by repr: keep it short and free of state
        return f"Target(release={self.release.name}, schema={self.schema_version}, driver={self.driver.name})"

    def builder(self, user: str) -> RequestBuilder:
        if user not in self.builders:
            self.builders[user] = RequestBuilder(user, self.counters, self.schema_version)
        return self.builders[user]

    def device(self, name: str) -> str:
        try:
            return self.devices[name]
        except KeyError:
            raise NotApplicableError(f"the estate has no {name} (the statement's device pool declares none)") from None

    def user(self, role: str) -> str:
        try:
            return self.roles[role]
        except KeyError:
            raise NotApplicableError(f"the target declares no user in role {role}") from None


@dataclass
class Scenario:
    """The evidence one scenario gathers: every exchange, the last one, device responses, local-delivery data."""

    target: Target
    exchanges: list[Exchange] = field(default_factory=list)
    device_responses: list[Judged] = field(default_factory=list)
    local_request_id: str | None = None
    local_srv: str | None = None
    gbcs_response: bytes | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)
    seeded: bool = True  # False when the estate is the statement's device pool, used as the endpoint has it

    def __repr__(self) -> str:
        return f"Scenario(exchanges={len(self.exchanges)}, device_responses={len(self.device_responses)})"

    @property
    def last(self) -> Exchange:
        if not self.exchanges:
            raise AssertionError("no request was sent in this scenario")
        return self.exchanges[-1]

    def send(self, request: DuisRequest, *, role: str = "IS", path: str | None = None) -> Exchange:
        user = self.target.user(role)
        identity = self.target.identities[user]
        sign(request.root, identity)
        body = request.to_bytes()
        exchange = send_observed(self.target.transport, self.target.evidence, request, body, path)
        self.exchanges.append(exchange)
        if exchange.code == "E4" and not self.seeded:  # no scenario expects E4: the pool does not fit the user
            raise ArrangementError(
                f"SRV {request.srv} was refused with E4: {user} is not the supplier the endpoint registers for "
                f"{request.request_id.target} (declare in the statement's device pool devices that user supplies)"
            )
        return exchange

    def send_raw(self, request: DuisRequest, body: bytes, path: str | None = None) -> None:
        """Send ``body`` as it is; an HTTP 4xx answer counts as a refusal (recorded), not as an error."""
        try:
            exchange = send_observed(self.target.transport, self.target.evidence, request, body, path or request.path)
        except HttpStatusError as exc:
            if not 400 <= exc.status < 500:
                raise
            self.refusals.append(f"HTTP {exc.status}")
            return
        self.exchanges.append(exchange)
        self.refusals.append(exchange.code)

    def request(self, srv: str, *, role: str = "IS", cv: int | None = None, **values: Any) -> Exchange:
        request = self.target.builder(self.target.user(role)).request(srv, cv=cv, **values)
        return self.send(request, role=role)

    def srv(
        self, srv: str, *, device: str | None = None, local: bool = False, role: str = "IS", **overrides: Any
    ) -> Exchange:
        """Send ``srv`` with sample values (to ``device`` when named): a critical SRV goes CV 4 then its signed
        pre-command (CV 5, or CV 6 for local delivery); a non-critical one CV 1 (CV 2 for local delivery)."""
        values = remap(sample_values(srv), self.target.devices)
        if device is not None:
            values["target"] = self.target.device(device)
        values.update(overrides)
        variant = SRVS[srv]
        if not variant.critical:
            return self.request(srv, role=role, cv=2 if local else (None if variant.non_device else 1), **values)
        first = self.request(srv, role=role, cv=4, **values)
        if first.code != "I0" or first.judged.response.gbcs_payload is None:
            return first
        user = self.target.user(role)
        signed = sign_pre_command(first.judged.response.gbcs_payload, self.target.identities[user].key)
        follow = self.target.builder(user).signed_pre_command(first.request, signed, cv=6 if local else 5)
        return self.send(follow, role=role)

    def wait_device_response(self, exchange: Exchange | None = None) -> Judged:
        exchange = exchange or self.last
        found = self.target.inbox.wait_for(exchange.request.request_id, self.target.timeout_s)
        self.target.evidence.device_response(found[0])
        self.device_responses.append(found[0])
        return found[0]


__all__ = ["Evidence", "NoEvidence", "Scenario", "Target", "send_observed"]

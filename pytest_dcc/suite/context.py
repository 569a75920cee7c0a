"""What clause steps share: the target (transport, inbox, driver), the users, and the scenario's evidence."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Final

from pytest_dcc.drivers import Driver, snapshots, unrecorded
from pytest_dcc.duis.build import DuisRequest, RequestBuilder
from pytest_dcc.duis.estates import DEVICES
from pytest_dcc.duis.ids import CounterStore
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.duis.signing import SigningIdentity
from pytest_dcc.errors import (
    ArrangementError,
    DccError,
    EndpointAssertion,
    HarnessError,
    HttpStatusError,
    NotApplicableError,
    ResponseTimeoutError,
)
from pytest_dcc.spec import DCC_EUI, NS_SR, SRVS, SchemaVersion
from pytest_dcc.spec.refusals import HTTP_REFUSALS
from pytest_dcc.suite.estate import remap
from pytest_dcc.suite.frame import Frame
from pytest_dcc.suite.lanes import Lane
from pytest_dcc.transport import Exchange, Transport
from pytest_dcc.transport.admission import Judged, correlate
from pytest_dcc.transport.client import DuisClient, Evidence, NoEvidence, Purpose
from pytest_dcc.transport.receiver import ResponseInbox


@dataclass
class Target:
    """The endpoint under test as the steps see it (session-wide)."""

    transport: Transport
    inbox: ResponseInbox
    driver: Driver
    release: str  # the SEC release the endpoint claims
    schema_version: SchemaVersion
    counters: CounterStore
    identities: Mapping[str, SigningIdentity]
    roles: Mapping[str, str]  # role -> user EUI
    timeout_s: float
    devices: Mapping[str, str] = field(default_factory=lambda: dict(DEVICES))  # estate name -> EUI
    declared_devices: frozenset[str] = frozenset()  # the names the statement's device pool declares
    evidence: Evidence = field(default_factory=NoEvidence)
    chism_column: str | None = None  # the CHISM table 3 column the statement declares the endpoint answers in
    refusal_codes: Mapping[str, str] = field(default_factory=dict)  # refusal case -> code the statement declares
    declared_joins: frozenset[tuple[str, str]] | None = None  # the SMI joins the statement declares (None: not)
    declared_srvs: Mapping[str, tuple[int, ...]] | None = None  # SRV -> command variants declared (None: no statement)
    coverage_addresses: tuple[Mapping[str, Any], ...] = ()  # SR 12.1 queries the statement declares
    spares: list[tuple[str, str]] = field(default_factory=list)  # (EUI, type) the statement declares spare (hubs)
    lane: Lane = field(default_factory=Lane)  # this worker's share of the endpoint (the whole of it without -n)
    #: The run-wide DUIS client (build, sign, send order, evidence, the count); one of its own when not given.
    client: DuisClient = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.client is None:
            self.client = DuisClient(
                self.transport,
                self.identities,
                counters=self.counters,
                schema_version=self.schema_version,
                evidence=self.evidence,
                inbox=self.inbox,
            )

    def __repr__(self) -> str:  # allure records step arguments by repr: keep it short and free of state
        return f"Target(release={self.release}, schema={self.schema_version}, driver={self.driver.name})"

    def observer(self, sender: str | None) -> str | None:
        """The user that reads the inventory over DUIS while ``sender``'s request is observed: another user than
        the sender (its counters are its own), the last such role with a signing identity."""
        observers = [e for e in self.roles.values() if e != sender and e in self.identities]
        return observers[-1] if observers else None

    def hold(self, user: str) -> contextlib.AbstractContextManager[None]:
        """Build and send as ``user`` (and observe as its observer) while no other lane does: a shared user's
        counters then reach the endpoint strictly increasing. Nothing is held for users the lane has to itself."""
        observer = self.observer(user)
        return self.client.hold([user] if observer is None else [user, observer])

    def builder(self, user: str) -> RequestBuilder:
        return self.client.builder_for(user)

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

    def role_for(self, srv: str, device: str | None) -> str:
        """The role a request of ``srv`` about ``device`` (an EUI, or None) is sent in: the Gas Supplier for a gas
        device (GSME, GPF), the Import Supplier otherwise, whichever of them the DUIS eligibility table lets send
        the SRV; else the first eligible role the target declares a user for."""
        eligible = SRVS[srv].roles
        names = {eui: name for name, eui in self.devices.items()}
        gas = names.get(device or "") in GAS_DEVICES
        for role in (("GS", "IS") if gas else ("IS", "GS")) + tuple(eligible):
            if role in eligible and role in self.roles:
                return role
        raise NotApplicableError(
            f"SRV {srv} may be sent by {', '.join(eligible) or 'no User role'}; the target declares users for "
            f"{', '.join(self.roles)}"
        )


_SR = f"{{{NS_SR}}}"
#: Devices a Gas Supplier supplies (requests about them go as the Gas Supplier where DUIS allows).
GAS_DEVICES: Final = frozenset({"GSME", "GPF"})


def _plain(value: Any) -> Any:
    """A record as comparable, printable plain data (sets sorted, mappings as dicts)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(map(str, value))
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _device_of(values: Mapping[str, Any]) -> str | None:
    """The device a request's values are about: its target, else the device it names."""
    for key in ("target", "device_id"):
        if isinstance(values.get(key), str):
            return str(values[key])
    details = values.get("details")
    device = getattr(details, "device_id", None)
    return str(device) if device else None


@dataclass(frozen=True, slots=True)
class Answer:
    """What the endpoint answered to one request: a judged DUIS response (``exchange``), or an HTTP 4xx refusal of a
    request it found malformed (``http_status``, no DUIS response)."""

    request: DuisRequest
    exchange: Exchange | None
    http_status: int | None = None
    #: For a critical SRV's signed pre-command (CV 5/6): the answer to the CV 4 request that carried the values
    #: under test. A refusal is judged on that answer; a refusal of the follow-up alone came too late.
    carrier: Answer | None = None

    @property
    def code(self) -> str:
        """The DUIS ResponseCode, or ``HTTP <status>`` for a refusal at the HTTP level."""
        return self.exchange.code if self.exchange is not None else f"HTTP {self.http_status}"

    @property
    def judged(self) -> Judged:
        """The judged DUIS response; an :class:`EndpointAssertion` when the endpoint answered with HTTP only."""
        if self.exchange is None:
            raise EndpointAssertion(
                f"SRV {self.request.srv} was refused with HTTP {self.http_status}, where a DUIS response was due"
            )
        return self.exchange.judged


@dataclass
class Scenario:
    """The evidence one scenario gathers: every answer, device responses, local-delivery data, the state observed
    before each request, and what it reports without judging."""

    target: Target
    exchanges: list[Exchange] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    device_responses: list[Judged] = field(default_factory=list)
    local_request_id: str | None = None
    local_srv: str | None = None
    gbcs_response: bytes | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    reports: list[str] = field(default_factory=list)  # shown in the verdict message and the allure step
    before: dict[str, dict[str, Any]] = field(default_factory=dict)  # RequestID -> observed state before it
    seeded: bool = True  # False when the estate is the statement's device pool, used as the endpoint has it
    undo: list[Any] = field(default_factory=list)  # run after the scenario when the estate is not reseeded
    frame: Frame = field(default_factory=Frame)  # the state before the requests under test, the changes allowed
    steps: tuple[str, ...] = ()  # the texts of the scenario's Given steps (examples filled in), to decide together
    phase: str = "given"  # the kind of step running: "given", "when" (requests under test) or "then"
    #: Whether a Then step judges the frame (a refusal, "nothing else observable changed") and is reached (no Then
    #: step before it needs a capability the driver lacks): over DUIS alone the state is read around the requests
    #: under test only then. The plugin sets it from the scenario's Then steps (``lifecycle.step_starting``).
    judged_frame: bool = True
    whole_frame: bool = True  # a Then step reached judges the frame of the whole scenario ("nothing else ...")

    def __repr__(self) -> str:
        return f"Scenario(answers={len(self.answers)}, device_responses={len(self.device_responses)})"

    @property
    def last(self) -> Answer:
        if not self.answers:
            raise HarnessError("no request was sent in this scenario")
        return self.answers[-1]

    def on_teardown(self, action: Any) -> None:
        """Run ``action`` after the scenario, whatever its verdict, where the endpoint is not reset between
        scenarios (a real endpoint): a scenario restores what it changed where DUIS allows."""
        if not self.seeded:
            self.undo.append(lambda: self._restoring(action))

    def _restoring(self, action: Any) -> None:
        """Run ``action`` after the scenario: what it sends is arrangement (putting the estate back)."""
        self.phase = "given"
        action()

    def report(self, text: str) -> None:
        """Report ``text`` with the verdict (and in the allure step running now) without judging anything."""
        self.reports.append(text)
        self.target.evidence.note(text)

    # -- observing state --------------------------------------------------------------------------------------

    def act(self) -> None:
        """A When step starts: the requests sent from now on are under test, and the devices they name join the
        frame's origin as first seen. The first time, with a "device-view" driver, the origin is every device of the
        estate as the driver sees it."""
        first = self.frame.origin is None
        self.frame.acting, self.phase = True, "when"
        if first and "device-view" in unrecorded(self.target.driver).capabilities:
            self.frame.include(self.observe(list(self.target.devices.values())))

    def judge(self) -> None:
        """A Then step starts: what it reads is no request under test (until a later When step)."""
        self.frame.acting, self.phase = False, "then"

    @property
    def purpose(self) -> Purpose:
        """What a request the running step sends is for: a Given's arranges, a When's is under test, a Then's
        reads what it judges."""
        return {"given": Purpose.ARRANGEMENT, "when": Purpose.UNDER_TEST}.get(self.phase, Purpose.JUDGED_READ)

    def named_devices(self, request: DuisRequest) -> list[str]:
        """The devices a request names: its target, DeviceID and OtherDeviceID; for SR 8.13 the target of the
        original request (OriginalRequestID, or the command this scenario issued for local delivery). A CHF's GPF
        is added (the estate's, or the one the driver's view names)."""
        found: list[str] = []
        if request.request_id.target != DCC_EUI:
            found.append(request.request_id.target)
        texts = [n.text for tag in ("DeviceID", "OtherDeviceID") for n in request.root.iter(f"{_SR}{tag}")]
        if request.srv == "8.13":
            original = request.root.findtext(f".//{_SR}OriginalRequestID") or self.local_request_id
            if original and original.count(":") == 2:
                texts.append(original.split(":")[1])
        for text in texts:
            if text and text.strip() not in found:
                found.append(text.strip())
        hub, gpf = self.target.devices.get("CHF"), self.target.devices.get("GPF")
        if hub in found and gpf and gpf not in found:  # the estate's hub: its GPF moves with it (8.14.2)
            found.append(gpf)
        return found

    def observe(self, euis: list[str], *, sender: str | None = None) -> dict[str, Any]:
        """What can be observed of ``euis``: the driver's device views and SMKI entries, the devices asked for and
        then the GPFs their hubs name (one read each where the driver reads devices in batches,
        :func:`~pytest_dcc.drivers.snapshots`); without a "device-view" driver, the inventory's record of each
        device over DUIS (SR 8.2). A device not found is observed as absent."""
        driver = unrecorded(self.target.driver)  # observing is no capability used
        state: dict[str, Any] = {}
        if "device-view" not in driver.capabilities:
            return self._observe_over_duis(euis, sender)
        smki = "smki" in driver.capabilities
        pending = list(dict.fromkeys(euis))
        while pending:
            learned: list[str] = []
            for eui, snapshot in zip(pending, snapshots(driver, pending, smki=smki), strict=True):
                if snapshot is None:
                    state[eui] = "absent"
                    continue
                state[eui] = _plain(asdict(snapshot.view))
                if snapshot.view.smi.gpf:
                    learned.append(snapshot.view.smi.gpf)
                if smki:
                    state[f"smki {eui}"] = sorted((_plain(asdict(e)) for e in snapshot.smki or ()), key=str)
            pending = [gpf for gpf in dict.fromkeys(learned) if gpf not in state]
        return state

    def _observe_over_duis(self, euis: list[str], sender: str | None) -> dict[str, Any]:
        """The SMI's record of each device as SR 8.2 Read Inventory shows it (no driver needed), read as another
        user than the scenario's (its own counters: the request being observed is already built, with a lower
        counter than a read built now), once while nothing that may change it was sent. The reads are evidence, not
        answers of the scenario; an unreadable one leaves the device out."""
        state: dict[str, Any] = {}
        observer = self.target.observer(sender)
        if observer is None:
            return state
        client = self.target.client
        purpose = Purpose.JUDGED_READ if self.judged_frame else Purpose.OTHER_READ
        for eui in euis:
            try:
                exchange = client.recall(observer, eui)
                if exchange is not None:  # the step that judges it shows which signed answer it rests on
                    self.target.evidence.note(
                        f"SR 8.2 of {eui}: the answer to {exchange.request.request_id}, nothing sent since that may "
                        "change it"
                    )
                else:
                    exchange = client.request("8.2", user=observer, purpose=purpose, device_id=eui)
            except (DccError, NotApplicableError):
                continue
            if exchange.code != "I0":
                state[eui] = f"8.2 answered {exchange.code}"
            else:
                found = [d for d in exchange.judged.response.inventory if d.device_id == eui]
                # What the clauses name of a device's record (its type and status), not every optional field of
                # SR 8.2 (commissioning date, firmware and CPL statuses change for reasons of their own).
                records = [{"type": d.device_type, "status": d.status} for d in found]
                state[eui] = {"8.2": records[0] if len(records) == 1 else records} if found else "absent"
        return state

    # -- sending ----------------------------------------------------------------------------------------------

    def send(self, request: DuisRequest, *, role: str, path: str | None = None, observe: bool = True) -> Answer:
        """Sign ``request`` as the user of ``role`` (its originator) and send it (see :meth:`send_bytes`); never
        unsigned for want of a key (a HarnessError)."""
        user = self.target.user(role)
        self.target.client.identity(str(request.request_id.originator))
        return self.send_bytes(request, self.target.client.serialise(request), path, user=user, observe=observe)

    def needs_origin(self) -> bool:
        """Whether the state before a request under test that a later one of the same step follows is needed: for
        the frame check of the whole scenario (a refusal is judged on the last answer, from the state before it),
        or where the driver observes the state anyway (no DUIS request)."""
        return self.whole_frame or "device-view" in unrecorded(self.target.driver).capabilities

    def _observe_before(self, request: DuisRequest) -> None:
        """The state of the devices ``request`` names, kept as the state before it (and the frame's origin where
        first seen): through a "device-view" driver before every request; over DUIS alone only before a request
        under test of a scenario whose Then steps judge the frame (no read nobody judges)."""
        over_duis = "device-view" not in unrecorded(self.target.driver).capabilities
        if over_duis and not (self.frame.acting and self.judged_frame):
            return
        before = self.observe(self.named_devices(request), sender=request.request_id.originator)
        self.before[str(request.request_id)] = before
        self.frame.include(before)

    def send_bytes(
        self, request: DuisRequest, body: bytes, path: str | None = None, *, user: str = "", observe: bool = True
    ) -> Answer:
        """Send ``body`` as it is. An HTTP status that refuses a malformed request (400, 404, 405, 413, 415, 422)
        is the endpoint's answer, recorded as such; any other transport trouble raises (ERROR). ``observe``: the
        state before it is observed (False for a signed pre-command, whose carrier was observed)."""
        if observe:
            self._observe_before(request)
        try:
            exchange = self.target.client.send(request, body, path=path, purpose=self.purpose)
        except HttpStatusError as exc:
            if exc.status not in HTTP_REFUSALS:
                raise
            answer = Answer(request, None, exc.status)
            self.answers.append(answer)
            return answer
        self.exchanges.append(exchange)
        answer = Answer(request, exchange)
        self.answers.append(answer)
        if exchange.code == "E4" and not self.seeded:  # no scenario expects E4: the pool does not fit the user
            raise ArrangementError(
                f"SRV {request.srv} was refused with E4: {user or request.request_id.originator} is not the supplier "
                f"the endpoint registers for {request.request_id.target} (declare in the statement's device pool "
                "devices that user supplies)"
            )
        return answer

    def request(
        self,
        srv: str,
        *,
        role: str | None = None,
        cv: int | None = None,
        edit: Callable[[DuisRequest], None] | None = None,
        **values: Any,
    ) -> Answer:
        """Build, sign and send ``srv`` as the user of ``role`` (by default the role :meth:`Target.role_for`
        chooses for the device the request is about); ``edit`` changes the built request before it is signed (a
        value written as the builder would not write it)."""
        role = role or self.target.role_for(srv, _device_of(values))
        user = self.target.user(role)
        with self.target.hold(user):
            try:
                request = self.target.builder(user).request(srv, cv=cv, **values)
                if edit is not None:
                    edit(request)
            except DccError as exc:  # the suite could not build what the step asked for
                raise HarnessError(f"building SRV {srv}: {exc}") from exc
            return self.send(request, role=role)

    def srv(
        self, srv: str, *, device: str | None = None, local: bool = False, role: str | None = None, **overrides: Any
    ) -> Answer:
        """Send ``srv`` with sample values (to ``device`` when named): a critical SRV goes CV 4 then its signed
        pre-command (CV 5, or CV 6 for local delivery); a non-critical one CV 1 (CV 2 for local delivery)."""
        values = remap(sample_values(srv), self.target.devices)
        if device is not None:
            values["target"] = self.target.device(device)
        values.update(overrides)
        role = role or self.target.role_for(srv, _device_of(values))
        variant = SRVS[srv]
        if not variant.critical:
            return self.request(srv, role=role, cv=2 if local else (None if variant.non_device else 1), **values)
        user = self.target.user(role)
        with self.target.hold(user):  # the pre-command comes back under the CV 4 request's counter
            first = self.request(srv, role=role, cv=4, **values)
            if first.exchange is None or first.code != "I0" or first.judged.response.gbcs_payload is None:
                return first
            payload = first.judged.response.gbcs_payload
            follow = self.target.client.pre_command(first.request, payload, cv=6 if local else 5)
            # Judged with its carrier (a refusal is the CV 4 request's): the state before it is the carrier's.
            answer = replace(self.send(follow, role=role, observe=False), carrier=first)
            self.answers[-1] = answer
            return answer

    def report_redeliveries(self, request_id: Any) -> None:
        """Report identical re-deliveries of the responses to ``request_id`` (at-least-once delivery: one response,
        no error), once per count seen."""
        copies = self.target.inbox.redeliveries_of(request_id)
        if copies and self.notes.get(f"redelivered {request_id}") != copies:
            self.notes[f"redelivered {request_id}"] = copies
            self.report(f"the response to {request_id} was delivered {copies + 1} times, identically: one response")

    def expect_effect(self, answer: Answer, what: str, present: Callable[[], bool | None]) -> None:
        """The effect on the device ``answer``'s request must have once carried out (``what``; ``present`` reads it
        through the driver, None where the driver cannot tell): what judges an accepted request whose device
        response never comes."""
        self.notes[f"effect {answer.request.request_id}"] = (what, present)

    def _late_or_never(self, answer: Answer, timeout: ResponseTimeoutError) -> list[Judged]:
        """No device response within the timeout. Where the driver sees the device without the request's effect,
        the endpoint gets as long again: a response then is taken (reported late); none, and the effect still
        absent, is a FAIL (accepted, never carried out). Otherwise the timeout stands (ERROR), saying what was
        seen."""
        effect = self.notes.get(f"effect {answer.request.request_id}")
        if effect is None or "device-view" not in unrecorded(self.target.driver).capabilities:
            seen = "no effect on the device could be read (over DUIS alone, or none is known for the request)"
            raise ResponseTimeoutError(f"{timeout} ({seen})") from timeout
        what, present = effect
        shown = present()
        if shown is None:
            raise ResponseTimeoutError(f"{timeout} (the driver cannot tell whether the device shows {what})")
        if shown:
            raise ResponseTimeoutError(f"{timeout} (the device shows {what}: carried out, its response lost)")
        try:
            found = self.target.inbox.wait_for(answer.request.request_id, self.target.timeout_s)
        except ResponseTimeoutError:
            if present() is False:
                raise EndpointAssertion(
                    f"SRV {answer.request.srv} was accepted with {answer.code}, yet no device response came within "
                    f"{2 * self.target.timeout_s:g} s and the device shows no sign of it ({what} absent): accepted, "
                    "never carried out"
                ) from timeout
            raise ResponseTimeoutError(f"{timeout} (the device came to show {what} late)") from timeout
        self.report(f"the device response to {answer.request.request_id} came after the {self.target.timeout_s:g} s")
        return found

    def wait_device_response(self, answer: Answer | None = None) -> Judged:
        answer = answer or self.last
        try:
            found = self.target.inbox.wait_for(answer.request.request_id, self.target.timeout_s)
        except ResponseTimeoutError as exc:
            found = self._late_or_never(answer, exc)
        finally:
            self.target.client.changed()  # the device's response changes what the endpoint holds
        correlate(answer.request, found[0])  # the same SRV as the request, as the synchronous answer
        self.target.evidence.device_response(found[0])
        self.report_redeliveries(answer.request.request_id)
        self.device_responses.append(found[0])
        return found[0]


__all__ = ["Answer", "Evidence", "NoEvidence", "Scenario", "Target"]

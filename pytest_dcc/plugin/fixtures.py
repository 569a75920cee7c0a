"""Public fixtures of pytest-dcc (see ``pytest --fixtures``)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from pytest_dcc.drivers import Driver
from pytest_dcc.drivers.duis import DuisDriver
from pytest_dcc.drivers.reference_control import InProcessDriver
from pytest_dcc.duis.build import RequestBuilder
from pytest_dcc.duis.estates import DEVICES
from pytest_dcc.duis.ids import COUNTERS_FILE, CounterStore, normalise_eui
from pytest_dcc.duis.pki import ShippedPki, TestPki, folder_lock, load_or_create_pki, write_pki
from pytest_dcc.duis.schema import DuisSchema, load_schema
from pytest_dcc.duis.signing import SigningIdentity, TrustStore
from pytest_dcc.errors import ConfigError, HarnessError, SessionCheckError, TransportError
from pytest_dcc.plugin.options import SETTINGS_KEY, report_dir
from pytest_dcc.plugin.recorder import RECORD_KEY
from pytest_dcc.reference.dcc import ReferenceDcc
from pytest_dcc.reference.setup import build_reference
from pytest_dcc.reporting.verdicts import ScenarioRecord
from pytest_dcc.settings import DccSettings
from pytest_dcc.spec.releases import release
from pytest_dcc.statement import dsp_eui_of
from pytest_dcc.suite.context import Target
from pytest_dcc.suite.estate import ROLES, boxed_estate, standard_roles
from pytest_dcc.suite.lanes import Lane, LaneError, SendOrder, plan_lane, worker_lane
from pytest_dcc.transport import Transport
from pytest_dcc.transport.admission import ResponseJudge
from pytest_dcc.transport.client import DuisClient, Evidence, NoEvidence
from pytest_dcc.transport.inprocess import InProcessTransport
from pytest_dcc.transport.receiver import ResponseInbox


@pytest.fixture(scope="session")
def dcc_settings(pytestconfig: pytest.Config) -> DccSettings:
    """The checked ``--dcc-*`` settings of this run."""
    return pytestconfig.stash[SETTINGS_KEY]


@pytest.fixture(scope="session")
def dcc_schema(dcc_settings: DccSettings) -> DuisSchema:
    """The DUIS schema in use: the official XSD given by ``--dcc-xsd``, else the embedded schema. Loaded once."""
    try:
        return load_schema(dcc_settings.xsd)
    except ConfigError as exc:
        raise pytest.UsageError(f"--dcc-xsd {dcc_settings.xsd}: {exc}") from None


@pytest.fixture(scope="session")
def dcc_test_pki(dcc_settings: DccSettings) -> TestPki:
    """The test PKI: ``--dcc-pki DIR`` (shared with ``pytest-dcc serve --pki DIR``), else one generated for this
    run. No private key is ever committed."""
    if dcc_settings.pki_dir is not None:
        try:
            return load_or_create_pki(dcc_settings.pki_dir, [dcc_settings.user_id])
        except ConfigError as exc:
            raise pytest.UsageError(f"--dcc-pki {dcc_settings.pki_dir}: {exc}") from None
    return TestPki.generate([dcc_settings.user_id])


@pytest.fixture(scope="session")
def dcc_identity(dcc_settings: DccSettings, dcc_test_pki: TestPki) -> SigningIdentity:
    """The identity signing requests: ``--dcc-signing-key``/``--dcc-signing-cert``, else the run's test PKI."""
    if dcc_settings.signing_key and dcc_settings.signing_cert:
        try:
            return SigningIdentity.from_files(dcc_settings.signing_key, dcc_settings.signing_cert)
        except ConfigError as exc:
            raise pytest.UsageError(f"--dcc-signing-key/--dcc-signing-cert: {exc}") from None
    return dcc_test_pki.identity(dcc_settings.user_id)


@pytest.fixture(scope="session")
def dcc_trust(dcc_settings: DccSettings, dcc_test_pki: TestPki) -> TrustStore:
    """The DSP's response-signing certificates, the only ones trusted to sign what the endpoint answers and
    delivers: every ``--dcc-trust-cert`` (each must name the DSP's EUI-64 under a DSP XML-signing unit), else those
    of the test PKI (``--dcc-pki``: the DSP identity of a pytest-dcc PKI, or DCC Boxed's ``dsp-xml-sign-*``).
    Users' certificates are never trusted to sign answers."""
    dsp = dsp_eui_of(dcc_settings.statement)
    if dcc_settings.trust_certs:
        try:  # each was checked to be the DSP's when the settings were read
            return TrustStore.from_files(dcc_settings.trust_certs)
        except ConfigError as exc:
            raise pytest.UsageError(f"--dcc-trust-cert: {exc}") from None
    trust = dcc_test_pki.dsp_trust(dsp)
    if not len(trust):
        raise pytest.UsageError(
            f"--dcc-pki {dcc_settings.pki_dir}: holds no response-signing certificate of the DSP {dsp}"
        )
    return trust


@pytest.fixture(scope="session")
def dcc_counters(dcc_settings: DccSettings, pytestconfig: pytest.Config) -> CounterStore:
    """Originator counters, persisted under ``--dcc-state-dir`` so no endpoint ever sees a replayed RequestID. With
    parallel lanes sharing an endpoint each value comes from the state file (no block held by one worker), so a
    user the lanes share sends strictly increasing counters."""
    _, count = _lane_slot(dcc_settings, pytestconfig)
    return CounterStore(dcc_settings.state_dir / COUNTERS_FILE, block=1 if count > 1 else 10_000)


def _lane_slot(settings: DccSettings, config: pytest.Config) -> tuple[int, int]:
    """(index, count) of this worker's lane: parallel workers against one ``--dcc-endpoint`` only (in process each
    worker has its own reference DCC, the whole of it)."""
    if settings.in_process:
        return 0, 1
    return worker_lane(getattr(config, "workerinput", None))


@pytest.fixture(scope="session")
def dcc_lane(dcc_settings: DccSettings, dcc_driver: Driver, pytestconfig: pytest.Config) -> Lane:
    """This worker's lane of the endpoint (:mod:`pytest_dcc.suite.lanes`): the whole endpoint without ``-n``."""
    index, count = _lane_slot(dcc_settings, pytestconfig)
    seeding = {"reset", "seed"} <= dcc_driver.capabilities
    if count > 1 and seeding and "reset-lane" not in dcc_driver.capabilities:
        raise SessionCheckError(
            f"-n {count} with --dcc-endpoint: driver {dcc_driver.name} resets the whole endpoint ('reset') and offers "
            "no 'reset-lane', so parallel workers would undo each other's arrangements; run without -n, or give the "
            "driver reset_lane()"
        )
    roles, _, _, _ = _estate(dcc_settings, dcc_driver)
    try:
        return plan_lane(index, count, dcc_settings.statement, roles, seeding=seeding)
    except LaneError as exc:  # the controller checked the same plan before starting the workers
        raise SessionCheckError(f"-n {count}: {exc}") from None


@pytest.fixture(scope="session")
def dcc_builder(dcc_settings: DccSettings, dcc_counters: CounterStore) -> RequestBuilder:
    """Builds requests for the configured user and schema version."""
    return RequestBuilder(dcc_settings.user_id, dcc_counters, dcc_settings.schema_version)


@pytest.fixture(scope="session")
def dcc_judge(
    dcc_settings: DccSettings, dcc_schema: DuisSchema, dcc_trust: TrustStore, dcc_test_pki: TestPki
) -> ResponseJudge:
    """Judges every response: hardened parse, schema, signature (the DSP's only; by policy an unsigned E-code on the
    synchronous exchange), correlation and typing. The PKI's users are known only to name a wrong signer."""
    dsp = dsp_eui_of(dcc_settings.statement)
    return ResponseJudge(dcc_schema, dcc_trust, dcc_settings.signature_policy, dsp_eui=dsp, known=dcc_test_pki.trust())


@pytest.fixture(scope="session")
def dcc_reference(dcc_settings: DccSettings, dcc_test_pki: TestPki) -> Iterator[ReferenceDcc]:
    """The bundled reference DCC under ``--dcc-release``, in process (used when no ``--dcc-endpoint`` is given)."""
    dcc = build_reference(dcc_test_pki, release=dcc_settings.release)
    yield dcc
    dcc.inventory.close()


@pytest.fixture(scope="session")
def dcc_inbox(
    dcc_settings: DccSettings, dcc_judge: ResponseJudge, request: pytest.FixtureRequest
) -> Iterator[ResponseInbox]:
    """Where asynchronous responses arrive: fed directly by the in-process reference DCC, or a real HTTP receiver
    (``--dcc-receiver-host``/``--dcc-receiver-port``) for an endpoint under test."""
    endpoint = dcc_settings.http()
    if endpoint is None:
        inbox = ResponseInbox(dcc_judge)
        reference: ReferenceDcc = request.getfixturevalue("dcc_reference")
        reference.set_response_sink(_swallow(inbox))
        yield inbox
        reference.set_response_sink(None)
        return
    from pytest_dcc.plugin.xdist_lanes import fanout_of
    from pytest_dcc.suite.delivery import check_delivery
    from pytest_dcc.transport.fanout import register_worker
    from pytest_dcc.transport.receiver import ResponseReceiver

    driver: Driver = request.getfixturevalue("dcc_driver")  # the endpoint answers (else ERROR before this)
    fanout = fanout_of(request.config)  # a parallel lane: the controller's fan-out holds the endpoint's address
    port = 0 if fanout is not None else dcc_settings.receiver_port
    receiver = ResponseReceiver(dcc_judge, dcc_settings.receiver_host, port)
    try:
        receiver.start()
    except (RuntimeError, OSError) as exc:
        where = f"{dcc_settings.receiver_host}:{port}"
        raise SessionCheckError(
            f"the asynchronous response receiver on {where}: {getattr(exc, 'strerror', None) or exc}; choose another "
            "--dcc-receiver-host/--dcc-receiver-port"
        ) from None
    try:
        if fanout is not None:  # deliveries for this lane's devices and own users come here
            lane: Lane = request.getfixturevalue("dcc_lane")
            worker = str(getattr(request.config, "workerinput", {}).get("workerid", "gw0"))
            devices = [*lane.estate(seeding={"reset", "seed"} <= driver.capabilities).values()]
            devices += [eui for eui, _ in lane.spares or ()]
            register_worker(fanout[0], worker, receiver.response_url, devices, lane.users.values())
        with endpoint.client() as client:
            relay = fanout[1] if fanout is not None else None
            restore = check_delivery(receiver, endpoint.url, driver, client, relayed_by=relay)
        try:
            yield receiver.inbox
        finally:
            restore()
    finally:
        receiver.stop()


def _swallow(inbox: ResponseInbox) -> Callable[[bytes], None]:
    """A sink that records a refused delivery in the inbox (for the report) instead of raising into the DCC."""

    def deliver(raw: bytes) -> None:
        with contextlib.suppress(TransportError):  # a refused delivery is kept in inbox.rejected
            inbox.deliver(raw)

    return deliver


@pytest.fixture(scope="session")
def dcc_transport(
    dcc_settings: DccSettings, dcc_judge: ResponseJudge, request: pytest.FixtureRequest
) -> Iterator[Transport]:
    """The transport to the endpoint under test: ``--dcc-endpoint`` over HTTP(S), else the in-process reference."""
    endpoint = dcc_settings.http()
    if endpoint is None:
        reference: ReferenceDcc = request.getfixturevalue("dcc_reference")
        with InProcessTransport(reference, dcc_judge) as in_process:
            yield in_process
        return
    transport = endpoint.transport(dcc_judge)
    try:
        transport.probe()  # unreachable: one SessionCheckError, cached, for every scenario; nothing waits on it
        yield transport
    finally:
        transport.close()


@pytest.fixture(scope="session")
def dcc_evidence(pytestconfig: pytest.Config, dcc_settings: DccSettings) -> Evidence:
    """Where exchanges are reported as they happen: attached to the running Gherkin step when allure writes
    results (``--alluredir``), else nowhere beyond the scenario."""
    from pytest_dcc.reporting.allure import AllureEvidence, active

    return AllureEvidence(dcc_settings.redactor) if active(pytestconfig) else NoEvidence()


@pytest.fixture(scope="session")
def dcc_driver(dcc_settings: DccSettings, request: pytest.FixtureRequest) -> Iterator[Driver]:
    """Test control of the target: the in-process reference DCC; for ``--dcc-endpoint`` the ``pytest_dcc_driver``
    hook's driver, else the reference server's test-control API when it offers one, else arrangement over DUIS
    (SR 8.2, 8.4, 12.2) as the run's user. A vendor who wants no arrangement traffic returns ``NoDriver()`` from
    the hook."""
    endpoint = dcc_settings.http()
    if endpoint is None:
        yield InProcessDriver(request.getfixturevalue("dcc_reference"))
        return
    request.getfixturevalue("dcc_transport")  # the endpoint answers at all (else every scenario ERRORs at once)
    chosen = request.config.hook.pytest_dcc_driver(config=request.config, settings=dcc_settings)
    if chosen is not None:
        yield chosen
        return
    from pytest_dcc.drivers.control_over_http import TestControlDriver

    with endpoint.client() as client:
        control = TestControlDriver.probe(endpoint.url, client, [dcc_settings.state_dir])
        if control is not None:
            yield control
            return
    yield DuisDriver(
        request.getfixturevalue("dcc_client"),
        dcc_settings.user_id,
        prenotify=dcc_settings.statement is not None,  # a guessed pool is looked up, never added to
    )


@pytest.fixture(scope="session")
def dcc_client(
    dcc_settings: DccSettings,
    dcc_transport: Transport,
    dcc_counters: CounterStore,
    dcc_identity: SigningIdentity,
    dcc_evidence: Evidence,
    request: pytest.FixtureRequest,
) -> Iterator[DuisClient]:
    """The run's one DUIS client: builds, signs and sends every request (the scenarios', their observation reads,
    the DUIS driver's arrangement) as a user the lanes share one lane at a time, hands each exchange to the
    evidence, and counts them. Against an endpoint the count is written to ``duis-requests.json`` (one per worker)
    in the report folder: per scenario, by SRV and purpose."""
    _, lanes = _lane_slot(dcc_settings, request.config)
    order = SendOrder(dcc_settings.state_dir / "lanes", frozenset({dcc_settings.user_id} if lanes > 1 else ()))
    client = DuisClient(
        dcc_transport,
        {dcc_settings.user_id: dcc_identity},
        counters=dcc_counters,
        schema_version=dcc_settings.schema_version,
        evidence=dcc_evidence,
        order=order,
    )
    yield client
    if not dcc_settings.in_process and client.counts:
        worker = getattr(request.config, "workerinput", {}).get("workerid")
        folder = report_dir(request.config)
        client.write_tally(folder / (f"duis-requests-{worker}.json" if worker else "duis-requests.json"))


def _estate(
    settings: DccSettings, driver: Driver
) -> tuple[dict[str, str], dict[str, str], frozenset[str], tuple[Mapping[str, Any], ...]]:
    """The users by role, the devices by name, the names the endpoint is known to hold, the coverage addresses."""
    statement = settings.statement
    roles = standard_roles(settings.user_id)
    devices = dict(DEVICES)
    declared: frozenset[str] = frozenset()
    coverage: tuple[Mapping[str, Any], ...] = ()
    if statement is None and not settings.in_process and "seed" not in driver.capabilities:
        # No statement and no way to seed: assume DCC Boxed's estate, the one `pytest-dcc serve` holds by default. A
        # device it lacks makes a scenario NOT_APPLICABLE, naming --dcc-statement; nothing is added to it.
        roles, declared, coverage = boxed_estate(settings.user_id)
    if statement is not None:
        roles.update({role: eui for role, eui in statement.users.items() if role in ("GS", "OU")})
        pool: dict[str, str] = {}
        for eui, kind in statement.devices.items():
            pool.setdefault(kind, eui)
        devices.update({name: pool[name] for name in DEVICES if name in pool})
        declared = frozenset(name for name in DEVICES if name in pool)
    return roles, devices, declared, coverage


def _identities(
    settings: DccSettings, identity: SigningIdentity, pki: TestPki, roles: dict[str, str]
) -> dict[str, SigningIdentity]:
    """Each user's signing identity (a role without one in a shipped PKI is dropped from ``roles``), the shared
    PKI folder written with them."""
    identities = {settings.user_id: identity}
    for role in ROLES:  # one EUI may hold several roles: its identity is the one it already has
        if role not in roles or roles[role] in identities:
            continue
        try:
            identities[roles[role]] = pki.add(roles[role])
        except ConfigError:  # a PKI as DCC Boxed ships it holds keys for its own users only: no such role here
            del roles[role]
    if settings.pki_dir is not None and not isinstance(pki, ShippedPki):
        with folder_lock(settings.pki_dir):  # the folder is shared: every user's key is in it
            write_pki(pki, settings.pki_dir)
    return identities


@pytest.fixture(scope="session")
def dcc_target(
    dcc_settings: DccSettings,
    dcc_transport: Transport,
    dcc_inbox: ResponseInbox,
    dcc_driver: Driver,
    dcc_counters: CounterStore,
    dcc_identity: SigningIdentity,
    dcc_test_pki: TestPki,
    dcc_evidence: Evidence,
    dcc_lane: Lane,
    dcc_client: DuisClient,
) -> Target:
    """Everything the clause steps need about the endpoint under test (this worker's lane of it)."""
    statement = dcc_settings.statement
    roles, devices, declared, coverage = _estate(dcc_settings, dcc_driver)
    if statement is not None:
        coverage = statement.coverage_addresses
    spares = list(statement.spare_devices) if statement is not None else []
    run_roles = dict(roles)
    if dcc_lane.parallel:
        roles, devices, declared, coverage, spares = _in_lane(dcc_lane, dcc_driver, roles, devices, declared, coverage)
    identities = _identities(dcc_settings, dcc_identity, dcc_test_pki, roles)
    own = {role for role, eui in roles.items() if run_roles.get(role) != eui}
    if any(role not in roles for role in dcc_lane.users if role in run_roles):  # no keys for the lane's own users
        roles, own = run_roles, set()  # (a PKI as DCC Boxed ships it): the lanes share the run's users
        identities = _identities(dcc_settings, dcc_identity, dcc_test_pki, roles)
    shared = frozenset(eui for role, eui in roles.items() if role not in own) if dcc_lane.parallel else frozenset()
    _serve(dcc_client, dcc_settings, identities, shared)
    return Target(
        transport=dcc_transport,
        inbox=dcc_inbox,
        driver=dcc_driver,
        release=release(dcc_settings.release).name,
        schema_version=dcc_settings.schema_version,
        counters=dcc_counters,
        identities=identities,
        roles=roles,
        timeout_s=dcc_settings.timeout_s,
        devices=devices,
        declared_devices=declared,
        evidence=dcc_evidence,
        chism_column=statement.chism_column if statement is not None else None,
        refusal_codes=dict(statement.refusal_codes) if statement is not None else {},
        declared_joins=statement.joins if statement is not None else None,
        declared_srvs=dict(statement.srvs) if statement is not None else None,
        coverage_addresses=coverage,
        spares=spares,
        lane=dcc_lane,
        client=dcc_client,
    )


def _serve(
    client: DuisClient, settings: DccSettings, identities: Mapping[str, SigningIdentity], shared: frozenset[str]
) -> None:
    """Let the run's client sign as each user of the target, and send as each of ``shared`` (and the users it held
    already) one lane at a time."""
    client.identities.update({normalise_eui(u): i for u, i in identities.items()})
    held = client.order.shared if isinstance(client.order, SendOrder) else frozenset()
    client.order = SendOrder(settings.state_dir / "lanes", shared | held)


def _in_lane(
    lane: Lane,
    driver: Driver,
    roles: dict[str, str],
    devices: dict[str, str],
    declared: frozenset[str],
    coverage: tuple[Mapping[str, Any], ...],
) -> tuple[dict[str, str], dict[str, str], frozenset[str], tuple[Mapping[str, Any], ...], list[tuple[str, str]]]:
    """The estate as ``lane`` has it: its devices (the names it has are the ones declared, where the endpoint is
    not seeded), its own users where it has them, its spares; a seeded lane asks about its own premises' UPRN."""
    seeding = {"reset", "seed"} <= driver.capabilities
    lane_devices = lane.estate(seeding=seeding)
    if not seeding:
        declared = frozenset(name for name in declared if name in lane_devices)
    own = {role: eui for role, eui in lane.users.items() if role in roles}
    if seeding:
        coverage = tuple({**a, "uprn": lane.uprn(int(a["uprn"]))} if "uprn" in a else a for a in coverage)
    return {**roles, **own}, {**devices, **lane_devices}, declared, coverage, list(lane.spares or ())


@pytest.fixture
def dcc_record(request: pytest.FixtureRequest) -> Iterator[ScenarioRecord]:
    """The running scenario's record: what it found without judging it (the MP106 reading of " ", a region CHISM
    table 3 does not cover, the code of a refusal), the driver and the capabilities it used. The verdict carries
    it to verdicts.json and the clause matrix."""
    record = ScenarioRecord()
    request.node.stash[RECORD_KEY] = record
    yield record
    failed: list[str] = []
    while record.undo:  # restore what the scenario changed on an endpoint that is not reset, latest first
        action = record.undo.pop()
        try:
            action()
        except Exception as exc:  # every restore is tried; the scenario is an ERROR naming each that failed
            failed.append(f"{type(exc).__name__}: {exc}")
    if failed:
        raise HarnessError(
            "restoring what the scenario changed failed, so later scenarios may find the estate changed: "
            + "; ".join(failed)
        )

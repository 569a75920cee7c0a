"""A user's side of the reference DCC for unit tests: build, sign, send in process, wait for device responses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pytest_dcc.drivers.duis import DuisDriver
from pytest_dcc.duis.build import DuisRequest, RequestBuilder
from pytest_dcc.duis.gbcs import sign_pre_command
from pytest_dcc.duis.pki import TestPki
from pytest_dcc.duis.schema import load_schema
from pytest_dcc.duis.signing import sign
from pytest_dcc.reference.dcc import ReferenceDcc
from pytest_dcc.reference.setup import build_reference
from pytest_dcc.transport import Exchange
from pytest_dcc.transport.admission import Judged, ResponseJudge
from pytest_dcc.transport.client import DuisClient
from pytest_dcc.transport.inprocess import InProcessTransport
from pytest_dcc.transport.receiver import ResponseInbox

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PREMISES = yaml.safe_load((FIXTURES / "inventory" / "premises.yaml").read_text())

IS = "90-B3-D5-1F-30-01-00-00"
GS = "90-B3-D5-1F-30-03-00-00"
OU = "90-B3-D5-1F-30-04-00-00"
ED = "90-B3-D5-1F-30-05-00-00"
ESME = "00-DB-12-34-56-78-90-A0"
GSME = "00-DB-12-34-56-78-90-A1"
CHF = "00-DB-12-34-56-78-90-A2"
GPF = "00-DB-12-34-56-78-90-A3"
PPMID = "00-DB-12-34-56-78-90-A4"
CAD = "00-DB-12-34-56-78-90-9A"

_PKI: TestPki | None = None


def shared_pki() -> TestPki:
    """One PKI for the whole test run (key generation is the slow part)."""
    global _PKI
    if _PKI is None:
        _PKI = TestPki.generate([IS, GS, OU, ED])
    return _PKI


class Harness:
    """A reference DCC under ``release`` seeded with fixtures/inventory/premises.yaml, and users to drive it."""

    def __init__(
        self,
        release: str = "latest",
        inventory: dict[str, Any] | None = None,
        *,
        db: Path | None = None,
        sink: bool = True,
    ) -> None:
        self.pki = shared_pki()
        self.dcc: ReferenceDcc = build_reference(self.pki, release=release, inventory=inventory or PREMISES, db=db)
        self.judge = ResponseJudge(load_schema(None), self.pki.dsp_trust())
        self.inbox = ResponseInbox(self.judge)
        if sink:
            self.dcc.set_response_sink(self._deliver)
        self.transport = InProcessTransport(self.dcc, self.judge, raise_app_exceptions=True)
        self.builders: dict[str, RequestBuilder] = {}
        self.version = self.dcc.release.schema_version

    def _deliver(self, raw: bytes) -> None:
        self.inbox.deliver(raw)

    def builder(self, user: str) -> RequestBuilder:
        if user not in self.builders:
            self.builders[user] = RequestBuilder(user, schema_version=self.version)
        return self.builders[user]

    def build(self, srv: str, *, user: str = IS, cv: int | None = None, **values: Any) -> DuisRequest:
        return self.builder(user).request(srv, cv=cv, **values)

    def send(self, request: DuisRequest, *, signer: str | None = None, path: str | None = None) -> Exchange:
        sign(request.root, self.pki.identity(signer or request.request_id.originator))
        return self.transport.send_to(request, request.to_bytes(), path or request.path)

    def request(self, srv: str, *, user: str = IS, cv: int | None = None, **values: Any) -> Exchange:
        return self.send(self.build(srv, user=user, cv=cv, **values))

    def critical(self, srv: str, *, user: str = IS, follow_up_cv: int = 5, **values: Any) -> tuple[Exchange, Exchange]:
        """CV 4 for the pre-command, then the signed pre-command with ``follow_up_cv``."""
        first = self.request(srv, user=user, cv=4, **values)
        assert first.code == "I0", first.code
        payload = first.judged.response.gbcs_payload
        assert payload is not None
        signed = sign_pre_command(payload, self.pki.identity(user).key)
        follow = self.builder(user).signed_pre_command(first.request, signed, cv=follow_up_cv)
        return first, self.send(follow)

    def device_responses(self, exchange: Exchange, timeout_s: float = 0.5) -> list[Judged]:
        return self.inbox.wait_for(exchange.request.request_id, timeout_s)


def duis_driver(harness: Harness, user: str = IS) -> DuisDriver:
    """The DUIS driver arranging over ``harness`` as ``user`` (in process), through a client that shares the
    harness's builders (one counter per user)."""
    harness.builder(user)
    identities = {eui: harness.pki.identity(eui) for eui in (IS, GS, OU)}
    client = DuisClient(harness.transport, identities, builders=harness.builders, schema_version=harness.version)
    return DuisDriver(client, user)


def status_of(harness: Harness, eui: str) -> str | None:
    """The inventory status of ``eui`` (None: not in the inventory)."""
    device = harness.dcc.inventory.device(eui)
    return None if device is None else device.status


def srvs_sent(driver: DuisDriver) -> list[str]:
    """The SRVs ``driver`` sent, in order."""
    return [e.request.srv for e in driver.exchanges]

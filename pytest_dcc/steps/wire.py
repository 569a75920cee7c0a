"""Steps of the wire smoke feature: build, validate, check and sign every in-scope request."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_bdd import given, parsers, then, when

from pytest_dcc.duis.build import DuisRequest, RequestBuilder
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.duis.schema import DuisSchema
from pytest_dcc.duis.semantics import request_issues
from pytest_dcc.duis.signing import SigningIdentity, TrustStore, sign, verify
from pytest_dcc.duis.xmlsafe import parse


@dataclass
class WireContext:
    """What the wire steps build up."""

    request: DuisRequest | None = None
    wire: bytes = b""

    def __repr__(self) -> str:  # allure records step arguments by repr
        srv = self.request.srv if self.request is not None else None
        return f"WireContext(srv={srv}, wire={len(self.wire)} bytes)"


@given("a request context", target_fixture="wire")
def _() -> WireContext:
    return WireContext()


@when(parsers.parse('the user builds SRV "{srv}" with command variant {cv:d}'))
def _(wire: WireContext, dcc_builder: RequestBuilder, srv: str, cv: int) -> None:
    wire.request = dcc_builder.request(srv, cv=cv, **sample_values(srv))


@when("the user signs the request")
def _(wire: WireContext, dcc_identity: SigningIdentity) -> None:
    assert wire.request is not None
    sign(wire.request.root, dcc_identity)
    wire.wire = wire.request.to_bytes()


@then("the request is valid against the DUIS schema in use")
def _(wire: WireContext, dcc_schema: DuisSchema) -> None:
    assert wire.request is not None
    issues = dcc_schema.issues(parse(wire.request.to_bytes()).getroot())
    assert not issues, "\n".join(map(str, issues))


@then("the request keeps the DUIS rules the schema does not check")
def _(wire: WireContext) -> None:
    assert wire.request is not None
    issues = request_issues(wire.request.root, path=wire.request.path)
    assert not issues, "\n".join(map(str, issues))


@then(parsers.parse('the request goes to "{path}"'))
def _(wire: WireContext, path: str) -> None:
    assert wire.request is not None
    assert wire.request.path == path


@then("the signature on the wire verifies with the user's certificate")
def _(wire: WireContext, dcc_identity: SigningIdentity) -> None:
    check = verify(parse(wire.wire).getroot(), TrustStore([dcc_identity.certificate]))
    assert check.verified, check.summary()

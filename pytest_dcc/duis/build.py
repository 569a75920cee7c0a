"""Request envelopes: header, body and ``schemaVersion`` exactly as the DUIS XSD orders them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from pytest_dcc.duis.bodies import body_children, signed_pre_command
from pytest_dcc.duis.elements import el
from pytest_dcc.duis.ids import CounterStore, Eui, RequestID, normalise_eui
from pytest_dcc.errors import BuildError
from pytest_dcc.spec import (
    DCC_EUI,
    NS_DS,
    NS_SR,
    SCHEMA_VERSION_ATTRIBUTE,
    SIGNED_PRE_COMMAND_CVS,
    SchemaVersion,
    path_for_cv,
    service_variant,
)

_NSMAP = {"sr": NS_SR, "ds": NS_DS}


@dataclass(frozen=True, slots=True)
class DuisRequest:
    """A built (not yet signed) ``sr:Request`` with the facts needed to send it."""

    root: etree._Element
    request_id: RequestID
    srv: str
    cv: int
    schema_version: SchemaVersion
    path: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", path_for_cv(self.cv))

    def to_bytes(self) -> bytes:
        """Serialise as UTF-8 with an XML declaration."""
        return bytes(etree.tostring(self.root, xml_declaration=True, encoding="UTF-8"))


def build_request(
    *,
    srv: str,
    cv: int,
    request_id: RequestID,
    body: Sequence[etree._Element | None],
    schema_version: SchemaVersion = "5.4",
    service_reference: str | None = None,
    body_element: str | None = None,
    first_in_sequence: bool | None = None,
    preceding_request_id: RequestID | None = None,
) -> DuisRequest:
    """Assemble an ``sr:Request``.

    ``service_reference`` and ``body_element`` default to what the SRV binds to; overriding them builds the
    inconsistent envelopes that negative tests need. CVs 5, 6 and 7 wrap ``body`` in ``sr:SignedPreCommand``.
    """
    variant = service_variant(srv)
    if schema_version not in SCHEMA_VERSION_ATTRIBUTE:
        raise BuildError(f"unknown DUIS schema version {schema_version!r}")
    name = body_element or ("SignedPreCommand" if cv in SIGNED_PRE_COMMAND_CVS else variant.body)
    header = el(
        "Header",
        None,
        el("RequestID", request_id),
        el("FirstInSequence", first_in_sequence) if first_in_sequence is not None else None,
        el("PrecedingServiceRequestID", preceding_request_id) if preceding_request_id else None,
        el("CommandVariant", cv),
        el("ServiceReference", service_reference or variant.service_reference),
        el("ServiceReferenceVariant", srv),
    )
    root = etree.Element(f"{{{NS_SR}}}Request", nsmap=_NSMAP)
    root.set("schemaVersion", SCHEMA_VERSION_ATTRIBUTE[schema_version])
    root.append(header)
    root.append(el("Body", None, el(name, None, *body)))
    return DuisRequest(root, request_id, srv, cv, schema_version)


class RequestBuilder:
    """Builds requests for one user (BusinessOriginatorID), allocating a fresh originator counter for each.

    ``builder.request("8.7.2", cv=1, target=esme, other_device_id=cad)`` builds SRV 8.7.2 for the ESME; CV 8
    requests default their target to the DCC. ``builder.signed_pre_command(original, payload)`` builds the CV 5
    follow-up of a CV 4 request with the same RequestID.
    """

    def __init__(
        self, originator: str, counters: CounterStore | None = None, schema_version: SchemaVersion = "5.4"
    ) -> None:
        self.originator = normalise_eui(originator)
        self.counters = counters or CounterStore()
        self.schema_version: SchemaVersion = schema_version

    def next_request_id(self, target: str) -> RequestID:
        """A RequestID for ``target`` with this originator's next counter."""
        return RequestID(Eui(self.originator), Eui(target), self.counters.next(self.originator))

    def request(self, srv: str, *, cv: int | None = None, target: str | None = None, **values: Any) -> DuisRequest:
        """Build SRV ``srv``; ``cv`` defaults to the first the SRV allows, ``values`` go to its body builder."""
        variant = service_variant(srv)
        chosen_cv = cv if cv is not None else variant.command_variants[0]
        if target is None:
            if not variant.non_device:
                raise BuildError(f"SRV {srv} is a device service request: give the target device")
            target = DCC_EUI
        if chosen_cv in SIGNED_PRE_COMMAND_CVS:
            if set(values) - {"gbcs_payload", "execution_datetime"} or "gbcs_payload" not in values:
                raise BuildError(
                    f"CV {chosen_cv} carries a signed pre-command: give gbcs_payload (and no SRV body values)"
                )
            body = signed_pre_command(**values)
        else:
            body = body_children(srv, **values)
        return build_request(
            srv=srv,
            cv=chosen_cv,
            request_id=self.next_request_id(target),
            body=body,
            schema_version=self.schema_version,
        )

    def signed_pre_command(self, original: DuisRequest, gbcs_payload: bytes, cv: int = 5) -> DuisRequest:
        """The CV 5 (or 6, 7) request carrying a signed pre-command, with the original request's RequestID."""
        if cv not in SIGNED_PRE_COMMAND_CVS:
            raise BuildError(f"a signed pre-command is sent with CV 5, 6 or 7, not {cv}")
        return build_request(
            srv=original.srv,
            cv=cv,
            request_id=original.request_id,
            body=signed_pre_command(gbcs_payload=gbcs_payload),
            schema_version=original.schema_version,
        )


__all__ = ["DuisRequest", "RequestBuilder", "build_request"]

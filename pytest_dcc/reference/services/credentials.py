"""Security credentials: SR 6.15.1 / 6.21 / 6.23 (Organisation Certificates placed on a device) and SR 6.24.2
Retrieve Device Security Credentials (Device).

Clauses: MP081-DUIS-3.8.77.3 (6.24.2 has no specific validation: :func:`validate` refuses nothing for it),
MP081-DUIS-3.8.77.4 (a different certificate set returned by the device updates the inventory and the SMKI
repository; the same set changes nothing) and MP081-ORGCERT-TRACKING (the Organisation Certificates are tracked
from the device's response, not when the command is issued).
"""

from __future__ import annotations

import base64
from typing import Final

from lxml import etree

from pytest_dcc.duis.ids import RequestID
from pytest_dcc.reference.inventory import Device, Inventory
from pytest_dcc.reference.services.base import SR, Outcome, RequestContext, Result

CLAUSES: Final = ("MP081-DUIS-3.8.77.3", "MP081-DUIS-3.8.77.4", "MP081-ORGCERT-TRACKING")
ORG_CERT_SRVS: Final = frozenset({"6.15.1", "6.21", "6.23"})
RETRIEVE_SRV: Final = "6.24.2"
SRVS: Final = ORG_CERT_SRVS | {RETRIEVE_SRV}
_CERT_ELEMENTS: Final = {
    "DigitalSigningCertificate": "Digital Signing",
    "KeyAgreementCertificate": "Key Agreement",
    "KeyAgreementTopUpCertificate": "Key Agreement Top-Up",
}


def validate(ctx: RequestContext, device: Device) -> None:
    """MP081-DUIS-3.8.77.3: SR 6.24.2 has no specific validation; only the pipeline's general checks apply."""


def execute(inv: Inventory, srv: str, rid: RequestID, device: Device, body: etree._Element) -> Outcome:
    """The device takes the Organisation Certificates, or returns the certificate of the usage asked for."""
    if srv == RETRIEVE_SRV:
        usage = body.findtext(f"{SR}CredentialType") or ""
        held = inv.device_certificates(device.eui, smi=False)
        return Outcome(data={"certificates": {usage: held[usage]} if usage in held else {}})
    role = body.findtext(f"{SR}RemotePartyRole") or "Supplier"
    for usage, der in org_certificates(body).items():
        inv.set_org_certificate(device.eui, role, usage, der, smi=False, device=True)
    return Outcome()


def apply(inv: Inventory, srv: str, device: Device, body: etree._Element, result: Result, *, via_local: bool) -> None:
    """MP081-ORGCERT-TRACKING for the Organisation Certificates; MP081-DUIS-3.8.77.4 for 6.24.2."""
    if srv == RETRIEVE_SRV:
        track_device_certificates(inv, device, result)
        return
    role = body.findtext(f"{SR}RemotePartyRole") or "Supplier"
    for usage, der in org_certificates(body).items():
        inv.set_org_certificate(device.eui, role, usage, der, smi=True, device=False)


def track_device_certificates(inv: Inventory, device: Device, result: Result) -> None:
    """MP081-DUIS-3.8.77.4: a certificate the inventory does not hold for the usage supersedes the one it held."""
    recorded = inv.device_certificates(device.eui, smi=True)
    for usage, serial in result.data.get("certificates", {}).items():
        if recorded.get(usage) == serial:
            continue
        old = recorded.get(usage)
        if old is not None:
            inv.supersede_certificate(old)
        der = inv.device_certificate_der(device.eui, usage)
        inv.set_device_certificate(device.eui, usage, {"serial": serial, "der": der.hex()}, smi=True, device=False)


def org_certificates(body: etree._Element) -> dict[str, bytes]:
    """usage -> certificate DER from a 6.15.1 / 6.21 / 6.23 body."""
    found = {}
    for name, usage in _CERT_ELEMENTS.items():
        node = next(body.iter(f"{SR}{name}"), None)
        if node is not None and node.text:
            found[usage] = base64.b64decode("".join(node.text.split()))
    return found


__all__ = ["CLAUSES", "ORG_CERT_SRVS", "SRVS", "apply", "execute", "org_certificates", "validate"]

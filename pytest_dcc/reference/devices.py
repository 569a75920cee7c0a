"""Simulated devices: what a device does with a command, what it answers, and what the DSP makes of the answer.

The device's own state (joins, certificates, tariff thresholds) lives in the ``sim_*`` tables; the DSP's view in
the SMI tables. :func:`execute` changes only the device; :func:`on_response` is the DSP processing a device
response (remotely delivered, or returned by the user through SR 8.13) and changes only the SMI.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from lxml import etree

from pytest_dcc.duis.gbcs import CRA_COMMAND, CRA_RESPONSE, MESSAGE_CODES, GbcsMessage
from pytest_dcc.duis.ids import RequestID, normalise_eui
from pytest_dcc.duis.semantics import threshold_index_issues
from pytest_dcc.reference.checks import Refusal
from pytest_dcc.reference.inventory import FAULT_LOSE_RESPONSE, FAULT_REJECT_REJOIN, Device
from pytest_dcc.spec import NS_SR

if TYPE_CHECKING:
    from pytest_dcc.reference.dcc import ReferenceDcc

_SR: Final = f"{{{NS_SR}}}"
RESULT_OK: Final = 0x00
RESULT_REJECTED: Final = 0x01
JOIN_SRVS: Final = frozenset({"8.7.1", "8.7.2"})
UNJOIN_SRVS: Final = frozenset({"8.8.1", "8.8.2"})
ORG_CERT_SRVS: Final = frozenset({"6.15.1", "6.21", "6.23"})
_CERT_ELEMENTS: Final = {
    "DigitalSigningCertificate": "Digital Signing",
    "KeyAgreementCertificate": "Key Agreement",
    "KeyAgreementTopUpCertificate": "Key Agreement Top-Up",
}


@dataclass(frozen=True, slots=True)
class Result:
    """A device's answer to one command: the GBCS response, whether it reached the DSP, and what it says."""

    message: GbcsMessage
    lost: bool

    @property
    def ok(self) -> bool:
        """The device carried the command out."""
        return bool(self.message.content) and self.message.content[0] == RESULT_OK

    @property
    def data(self) -> dict[str, Any]:
        """The data the device returned (JSON after the result byte)."""
        return dict(json.loads(self.message.content[1:] or b"{}"))


def _other(body: etree._Element) -> str:
    return normalise_eui(body.findtext(f"{_SR}OtherDeviceID") or "")


def validate(dcc: ReferenceDcc, srv: str, device: Device, body: etree._Element) -> None:
    """SR-specific validation before a command goes to the device (raises :class:`Refusal`)."""
    if srv == "1.1.1":
        for issue in threshold_index_issues(body):
            raise Refusal("E010101", issue.message)
    elif srv in JOIN_SRVS:
        other = _other(body)
        if dcc.inventory.device(other) is None:
            raise Refusal("E080702", f"OtherDeviceID {other} is not in the Smart Metering Inventory")
    elif srv in UNJOIN_SRVS:
        other = _other(body)
        if dcc.release.unjoin_requires_smi_join and not dcc.inventory.smi_joined(device.eui, other):
            raise Refusal(
                "E080801",
                f"according to the Smart Metering Inventory {other} is not joined to {device.eui}",
            )
    # SR 6.24.2 has no specific validation (DUIS 3.8.77.3): only the general checks of the pipeline apply.


def command(dcc: ReferenceDcc, srv: str, rid: RequestID, device: Device, body: etree._Element) -> GbcsMessage:
    """The GBCS command the DCC transforms the request into (a pre-command for critical SRs)."""
    digest = hashlib.sha256(etree.tostring(body, method="c14n")).digest()
    return GbcsMessage(
        cra=CRA_COMMAND,
        counter=rid.counter,
        originator=rid.originator,
        recipient=device.eui,
        message_code=MESSAGE_CODES[srv],
        content=digest,
    )


def execute(dcc: ReferenceDcc, srv: str, rid: RequestID, device: Device, body: etree._Element) -> Result:
    """The device carries out the command and answers; only the device's own state changes here."""
    inv = dcc.inventory
    lost = inv.take_fault(device.eui, FAULT_LOSE_RESPONSE)
    ok, data = True, {}
    if srv in JOIN_SRVS:
        other = _other(body)
        if inv.device_joined(device.eui, other) and inv.take_fault(device.eui, FAULT_REJECT_REJOIN):
            ok = False  # a non-GBCS-compliant meter refuses a Join it already holds (DP178)
        else:
            inv.add_join(device.eui, other, smi=False, on_device=True)
    elif srv in UNJOIN_SRVS:
        inv.remove_join(device.eui, _other(body), smi=False, on_device=True)
    elif srv in ORG_CERT_SRVS:
        role = body.findtext(f"{_SR}RemotePartyRole") or "Supplier"
        for usage, der in org_certificates(body).items():
            inv.set_org_certificate(device.eui, role, usage, der, smi=False, device=True)
    elif srv == "6.24.2":
        usage = body.findtext(f"{_SR}CredentialType") or ""
        held = inv.device_certificates(device.eui, smi=False)
        data = {"certificates": {usage: held[usage]} if usage in held else {}}
    elif srv == "1.1.1":
        values = [int((t.text or "0").strip()) for t in body.iter(f"{_SR}BlockThreshold")]  # Wh (DUIS 3.8.1.2)
        inv.set_sim_state(device.eui, "gas_block_thresholds_wh", values)
    else:
        inv.set_sim_state(device.eui, f"last_{srv}", str(rid))
    content = bytes([RESULT_OK if ok else RESULT_REJECTED]) + (json.dumps(data).encode() if data else b"")
    message = GbcsMessage(
        cra=CRA_RESPONSE,
        counter=rid.counter,
        originator=device.eui,
        recipient=rid.originator,
        message_code=MESSAGE_CODES[srv],
        content=content,
        signature=hashlib.sha512(content + rid.counter.to_bytes(8, "big")).digest(),  # 64 bytes, stands in for ECDSA
    )
    return Result(message, lost)


def org_certificates(body: etree._Element) -> dict[str, bytes]:
    """usage -> certificate DER from a 6.15.1 / 6.21 / 6.23 body."""
    found = {}
    for name, usage in _CERT_ELEMENTS.items():
        node = next(body.iter(f"{_SR}{name}"), None)
        if node is not None and node.text:
            found[usage] = base64.b64decode("".join(node.text.split()))
    return found


def on_response(
    dcc: ReferenceDcc, srv: str, device: Device, body: etree._Element, result: Result, *, via_local: bool
) -> None:
    """The DSP processes a device response that reached it; only the SMI / SMKI repository change here."""
    if not result.ok:
        return
    inv = dcc.inventory
    if srv in JOIN_SRVS:
        inv.add_join(device.eui, _other(body), smi=True, on_device=False)
    elif srv in UNJOIN_SRVS:
        inv.remove_join(device.eui, _other(body), smi=True, on_device=False)
    elif srv in ORG_CERT_SRVS:
        role = body.findtext(f"{_SR}RemotePartyRole") or "Supplier"
        for usage, der in org_certificates(body).items():
            inv.set_org_certificate(device.eui, role, usage, der, smi=True, device=False)
    elif srv == "6.24.2":
        recorded = inv.device_certificates(device.eui, smi=True)
        for usage, serial in result.data.get("certificates", {}).items():
            if recorded.get(usage) == serial:
                continue
            old = recorded.get(usage)
            if old is not None:
                inv.supersede_certificate(old)
            der = inv.device_certificate_der(device.eui, usage)
            inv.set_device_certificate(device.eui, usage, {"serial": serial, "der": der.hex()}, smi=True, device=False)


__all__ = ["Result", "command", "execute", "on_response", "org_certificates", "validate"]

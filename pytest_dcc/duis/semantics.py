"""DUIS rules the XSD cannot express, checked on a request document.

* SR ↔ SRV: the Service Reference is the SRV's first two components.
* SRV ↔ body: the body element is the one the SRV binds to (``sr:SignedPreCommand`` for CV 5, 6, 7).
* CV allowed for the SRV (DUIS CV table).
* URL ↔ CV: serviceD for CV 2, 6, 8; serviceS for 1, 3, 5, 7; serviceT for 4 (E13 when broken).
* BusinessTargetID of a non-device (CV 8) request is the DCC.
* GasThresholdMatrix ``index`` values unique and consecutive from 1 (MP081, DUIS 3.8.1.2).
* base64 content strictly base64 (libxml2 accepts anything).

Each broken rule yields an :class:`~pytest_dcc.errors.Issue` whose ``rule`` names the DUIS response code the DCC
gives for it where one is known (``E12``, ``E13``, ...), so both the suite and the reference DCC can use them.
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

from lxml import etree

from pytest_dcc.duis.ids import RequestID
from pytest_dcc.duis.xmlsafe import line_of
from pytest_dcc.errors import BuildError, Issue
from pytest_dcc.spec import DCC_EUI, NS_SR, SIGNED_PRE_COMMAND_CVS, SRVS, path_for_cv

_SR: Final = f"{{{NS_SR}}}"
#: Elements typed ``xs:base64Binary`` in the in-scope request bodies.
_BASE64_REQUEST_ELEMENTS: Final = tuple(
    f"{_SR}{n}"
    for n in (
        "GBCSPayload",
        "DeviceGBCSResponse",
        "Certificate",
        "DeviceCertificate",
        "DigitalSigningCertificate",
        "KeyAgreementCertificate",
        "KeyAgreementTopUpCertificate",
    )
)


def _text(root: etree._Element, path: str) -> str | None:
    value = root.findtext(path)
    return value.strip() if value is not None else None


def _envelope_issues(root: etree._Element, path: str | None) -> list[Issue]:
    issues: list[Issue] = []
    srv_text = _text(root, f"{_SR}Header/{_SR}ServiceReferenceVariant") or ""
    sr_text = _text(root, f"{_SR}Header/{_SR}ServiceReference") or ""
    cv_text = _text(root, f"{_SR}Header/{_SR}CommandVariant") or ""
    variant = SRVS.get(srv_text)
    if variant is None:
        return [Issue("/sr:Request/sr:Header/sr:ServiceReferenceVariant", f"unknown SRV {srv_text!r}", rule="E12")]
    if sr_text != variant.service_reference:
        issues.append(
            Issue(
                "/sr:Request/sr:Header/sr:ServiceReference",
                f"ServiceReference {sr_text!r} does not match SRV {srv_text} (expected {variant.service_reference})",
                rule="E12",
            )
        )
    cv = int(cv_text) if cv_text.isdigit() else None
    if cv not in variant.command_variants:
        allowed = ", ".join(map(str, variant.command_variants))
        issues.append(
            Issue(
                "/sr:Request/sr:Header/sr:CommandVariant",
                f"CV {cv_text} not allowed for SRV {srv_text} ({allowed})",
                rule="E12",
            )
        )
    body = root.find(f"{_SR}Body")
    children = [c for c in body if isinstance(c.tag, str)] if body is not None else []
    expected = "SignedPreCommand" if cv in SIGNED_PRE_COMMAND_CVS else variant.body
    actual = etree.QName(children[0]).localname if children else None
    if actual != expected:
        issues.append(
            Issue(
                "/sr:Request/sr:Body",
                f"body element {actual} does not match SRV {srv_text} CV {cv_text} (expected {expected})",
                rule="E12",
            )
        )
    if cv is not None and path is not None and cv in range(1, 9) and path.rstrip("/") != path_for_cv(cv):
        issues.append(
            Issue(
                "/sr:Request/sr:Header/sr:CommandVariant",
                f"CV {cv} must be sent to {path_for_cv(cv)}, not {path}",
                rule="E13",
            )
        )
    issues += _target_issues(root, variant.non_device)
    return issues


def _target_issues(root: etree._Element, non_device: bool) -> list[Issue]:
    text = _text(root, f"{_SR}Header/{_SR}RequestID") or ""
    try:
        request_id = RequestID.parse(text)
    except BuildError as exc:
        return [Issue("/sr:Request/sr:Header/sr:RequestID", str(exc))]
    if non_device and request_id.target != DCC_EUI:
        return [
            Issue(
                "/sr:Request/sr:Header/sr:RequestID",
                f"a non-device request is addressed to the DCC ({DCC_EUI}), not {request_id.target}",
                rule="E12",
            )
        ]
    return []


def threshold_index_issues(root: etree._Element) -> list[Issue]:
    """MP081: ``BlockThreshold@index`` values of each gas ``ThresholdMatrix`` are unique and run 1..n, in document
    order (the registry: a set given out of order is not {1..n} as written)."""
    issues: list[Issue] = []
    for matrix in root.iter(f"{_SR}ThresholdMatrix"):
        if matrix.getparent() is None or etree.QName(matrix.getparent()).localname != "GasTariffElements":
            continue
        raw = [t.get("index", "") for t in matrix.iterfind(f"{_SR}BlockThreshold")]
        indexes = [int(i) if i.strip().isdigit() else -1 for i in raw]
        where = matrix.getroottree().getpath(matrix)
        if len(set(indexes)) != len(indexes):
            issues.append(Issue(where, f"BlockThreshold index values {raw} are not unique", line_of(matrix), "E010101"))
        elif indexes != list(range(1, len(indexes) + 1)):
            issues.append(
                Issue(
                    where, f"BlockThreshold index values {raw} are not consecutive from 1", line_of(matrix), "E010101"
                )
            )
    return issues


def base64_issues(root: etree._Element) -> list[Issue]:
    """Elements typed base64Binary whose content is not base64 (libxml2 does not check this)."""
    issues = []
    for node in root.iter(*_BASE64_REQUEST_ELEMENTS):
        try:
            base64.b64decode("".join((node.text or "").split()), validate=True)
        except (binascii.Error, ValueError):
            issues.append(Issue(node.getroottree().getpath(node), "content is not valid base64", line_of(node)))
    return issues


def request_issues(root: etree._Element, *, path: str | None = None) -> list[Issue]:
    """Every semantic problem of an ``sr:Request`` (empty when it is sound); ``path`` is the URL path it went to."""
    if root.tag != f"{_SR}Request":
        return [Issue("/", f"root element is {root.tag}, not sr:Request")]
    return _envelope_issues(root, path) + threshold_index_issues(root) + base64_issues(root)


__all__ = ["base64_issues", "request_issues", "threshold_index_issues"]

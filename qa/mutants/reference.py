"""The reference family (white box): the reference DCC's own code broken one way at a time, each a patch applied to
the process that runs it (the suite's, in process; ``pytest-dcc serve``'s, over HTTP: benchmarks/mutants.py). Nothing
in the product knows about them; each patch imports what it changes when it is applied."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Final

from qa.mutants.mutant import Mutant


def _release(change: Callable[[Any], Any]) -> Callable[[], None]:
    """Every ReferenceDcc built from now on behaves as ``change(release)``."""

    def apply() -> None:
        from pytest_dcc.reference import dcc as dcc_module

        original = dcc_module.ReferenceDcc.__init__

        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            self.release = change(self.release)

        dcc_module.ReferenceDcc.__init__ = init  # type: ignore[method-assign]

    return apply


def _flag(**flags: Any) -> Callable[[], None]:
    """Release flags set to ``flags``."""
    return _release(lambda release: release.but(**flags))


def _no_w081401() -> None:
    from pytest_dcc.reference.services import ch_status

    original = ch_status.install_no_wan

    def mutated(ctx: Any) -> Any:
        answer = original(ctx)
        code = answer.find(".//{*}ResponseCode")
        if code is not None and code.text == "W081401":
            return ctx.reply("I99")
        return answer

    ch_status.install_no_wan = mutated


def _gpf_not_updated() -> None:
    from pytest_dcc.reference.services import ch_status

    ch_status.gpf_of = lambda ctx, chf: None


def _e5_still_applied() -> None:
    from pytest_dcc.reference.checks import check_status
    from pytest_dcc.reference.services import ch_status

    original = ch_status.install_no_wan

    def mutated(ctx: Any) -> Any:
        device = ctx.inventory.device(ctx.text("DeviceID") or "")
        if device is not None and device.type == "CHF":
            check_status(device, ctx.srv.srv)
        return original(ctx)

    ch_status.install_no_wan = mutated


def _no_e081401() -> None:
    from pytest_dcc.reference.services import base, ch_status

    ch_status.named_chf = lambda ctx: base.named_device(ctx, ctx.text("DeviceID"))


def _no_e081402() -> None:
    from pytest_dcc.reference.services import ch_status

    ch_status.check_install_time = lambda ctx: None


def _local_list(change: Callable[[frozenset[str]], frozenset[str]]) -> Callable[[], None]:
    """The 8.13 list of SRVs changed by ``change``."""

    def apply() -> None:
        from pytest_dcc.reference.services import local_command

        local_command.LOCAL_RESPONSE_SRVS = change(local_command.LOCAL_RESPONSE_SRVS)  # type: ignore[attr-defined]

    return apply


def _coverage(change: Callable[[Any], Any]) -> Callable[[], None]:
    def apply() -> None:
        from pytest_dcc.reference.services import coverage

        original = coverage.coverage_row
        coverage.coverage_row = lambda row: change(original(row))

    return apply


def _swap_region(row: Any) -> Any:
    swap = {"Central": "South", "South": "Central"}
    return dataclasses.replace(row, region=swap.get(row.region, row.region))


def _space_filled(row: Any) -> Any:
    return dataclasses.replace(row, wan_technology="Cellular") if row.wan_technology == " " else row


def _duplicate_index_accepted() -> None:
    from pytest_dcc.reference.services import tariff

    tariff.threshold_index_issues = lambda body: []  # type: ignore[attr-defined, assignment]


def _on_response(change: Callable[..., bool | None]) -> Callable[[], None]:
    def apply() -> None:
        from pytest_dcc.reference.services import devices

        original = devices.on_response

        def mutated(inv: Any, srv: str, device: Any, body: Any, result: Any, *, via_local: bool) -> None:
            if change(inv, srv, device, body, result, via_local) is not False:
                original(inv, srv, device, body, result, via_local=via_local)

        devices.on_response = mutated

    return apply


def _join_not_recorded(inv: Any, srv: str, device: Any, body: Any, result: Any, via_local: bool) -> bool:
    from pytest_dcc.reference.services import join

    return srv not in join.JOIN_SRVS  # False: the DSP ignores the device's join response


def _rejected_rejoin_recorded(inv: Any, srv: str, device: Any, body: Any, result: Any, via_local: bool) -> None:
    from pytest_dcc.reference.services import base, join

    if srv in join.JOIN_SRVS and not result.ok:
        inv.add_join(device.eui, base.other_device(body), smi=True, device=False)


def _specific_6_24_2_validation() -> None:
    from pytest_dcc.reference.checks import Refusal
    from pytest_dcc.reference.services import credentials

    original = credentials.validate

    def mutated(ctx: Any, device: Any) -> None:
        if ctx.srv.srv == "6.24.2":
            usage = ctx.body.findtext("{*}CredentialType") or ""
            if usage not in ctx.inventory.device_certificates(device.eui, smi=True):
                raise Refusal("E062401", f"the inventory holds no {usage} certificate for {device.eui}")
        original(ctx, device)

    credentials.validate = mutated


def _org_certs_not_tracked_locally(inv: Any, srv: str, device: Any, body: Any, result: Any, via_local: bool) -> bool:
    from pytest_dcc.reference.services import credentials

    return not (via_local and srv in credentials.ORG_CERT_SRVS)


def _org_certs_tracked_on_issue() -> None:
    """The DSP tracks the Organisation Certificates as soon as the command for local delivery is issued."""
    from lxml import etree

    from pytest_dcc.reference.inventory import Inventory
    from pytest_dcc.reference.services import credentials

    original = Inventory.record_local_command

    def mutated(self: Any, **row: Any) -> None:
        original(self, **row)
        if row["srv"] in credentials.ORG_CERT_SRVS:
            for usage, der in credentials.org_certificates(etree.fromstring(row["body"])).items():
                self.set_org_certificate(row["target"], "Supplier", usage, der, smi=True, device=False)

    Inventory.record_local_command = mutated  # type: ignore[method-assign]


def _smki_reissued_when_same() -> None:
    """6.24.2: the DSP supersedes the inventory's certificate even when the device returns the same one."""
    from pytest_dcc.reference.services import devices

    original = devices.on_response

    def mutated(inv: Any, srv: str, device: Any, body: Any, result: Any, *, via_local: bool) -> None:
        original(inv, srv, device, body, result, via_local=via_local)
        if srv == "6.24.2" and result.ok:
            for usage, serial in result.data.get("certificates", {}).items():
                inv.supersede_certificate(serial)
                der = inv.device_certificate_der(device.eui, usage)
                inv.set_device_certificate(
                    device.eui, usage, {"serial": f"{serial}9", "der": der.hex()}, smi=True, device=False
                )

    devices.on_response = mutated


def _store(method: str, wrap: Callable[[Any], Callable[..., Any]]) -> Callable[[], None]:
    """Patch one method of the reference's inventory store: ``wrap(original)`` is the mutated method."""

    def apply() -> None:
        from pytest_dcc.reference.store.smi import SmiView

        setattr(SmiView, method, wrap(getattr(SmiView, method)))

    return apply


def _replaced_left_in_use(original: Callable[..., Any]) -> Callable[..., Any]:
    """6.24.2: the DSP records the new certificate and leaves the one it replaced In Use in the SMKI."""
    return lambda self, serial: None


def _other_usage_superseded(original: Callable[..., Any]) -> Callable[..., Any]:
    """6.24.2: recording the new certificate of one usage supersedes the certificate of the other usage too."""

    def mutated(self: Any, eui: Any, usage: str, cert: Any, *, smi: bool, device: bool) -> None:
        if smi and not device:
            for other, serial in self.device_certificates(eui, smi=True).items():
                if other != usage:
                    self.supersede_certificate(serial)
        original(self, eui, usage, cert, smi=smi, device=device)

    return mutated


def _org_certificate_other_role(original: Callable[..., Any]) -> Callable[..., Any]:
    """The DSP tracks an Organisation Certificate under another role than the RemotePartyRole it was placed for."""

    def mutated(self: Any, eui: Any, role: str, usage: str, cert: bytes, *, smi: bool, device: bool) -> None:
        original(self, eui, "Network Operator" if smi else role, usage, cert, smi=smi, device=device)

    return mutated


def _unsigned() -> None:
    from pytest_dcc.reference import dcc as dcc_module

    dcc_module.sign = lambda root, identity: root  # type: ignore[attr-defined]


def _mis_correlated() -> None:
    from pytest_dcc.reference.services.base import RequestContext

    original = RequestContext.reply

    def mutated(self: Any, code: str, payload: Any = None) -> Any:
        root: Any = original(self, code, payload)
        node = root.find("{*}Header/{*}RequestID")
        originator, target, counter = node.text.split(":")
        node.text = f"{originator}:{target}:{int(counter) + 1}"
        return root

    RequestContext.reply = mutated  # type: ignore[method-assign]


CHF: Final = frozenset({"MP081-DUIS-3.8.106.3", "MP081-DUIS-3.8.114.4"})
E8: Final = frozenset({"MP081-DUIS-3.8.106.3"})
LOCAL: Final = frozenset({"MP081-DUIS-3.8.112.2"})
ORGCERT: Final = frozenset({"MP081-ORGCERT-TRACKING"})
E774: Final = frozenset({"MP081-DUIS-3.8.77.4"})


def _white(
    name: str,
    what: str,
    owners: frozenset[str],
    patch: Callable[[], None],
    *,
    claimed: str = "latest",
    error_cause: str | None = None,
) -> Mutant:
    return Mutant(name, what, "reference", owners, claimed=claimed, error_cause=error_cause, patch=patch)


def _ch_status_joins_and_lists() -> list[Mutant]:
    """SR 8.14.2, the MP178 flag both ways, the 8.13 list, 12.1 and 1.1.1."""
    from pytest_dcc.spec import SRVS

    return [
        _white("no-w081401", "8.14.2 answers I99 where W081401 is due", CHF, _no_w081401),
        _white("gpf-not-updated", "8.14.2 moves a Pending CHF but not its GPF", CHF, _gpf_not_updated),
        _white("e5-still-applied", "8.14.2 still refuses a Pending CHF with E5", CHF, _e5_still_applied),
        _white("no-e081401", "8.14.2 accepts a device that is not a CHF", E8, _no_e081401),
        _white("no-e081402", "8.14.2 accepts an install time in the future", CHF, _no_e081402),
        _white("6.15.1-off-the-8.13-list", "8.13 refuses 6.15.1 responses", LOCAL | ORGCERT,
               _local_list(lambda s: s - {"6.15.1"})),
        _white("6.21-off-the-8.13-list", "8.13 refuses 6.21 responses", LOCAL | ORGCERT,
               _local_list(lambda s: s - {"6.21"})),
        _white("unlisted-srv-accepted-by-8.13", "8.13 accepts the response to any SRV", LOCAL,
               _local_list(lambda s: frozenset(SRVS))),
        _white("wan-region-swapped", "12.1 reports South's answer as Central's",
               frozenset({"MP081-CHISM-E3-T3", "MP081-CHISM-E3-SPACE"}), _coverage(_swap_region)),
        _white("unconfirmed-variant-filled-in", "12.1 answers 'Cellular' where ' ' is due",
               frozenset({"MP081-CHISM-E3-SPACE"}), _coverage(_space_filled)),
        _white("duplicate-threshold-index-accepted", "1.1.1 accepts repeated BlockThreshold indexes",
               frozenset({"MP081-DUIS-3.8.1.2"}), _duplicate_index_accepted),
    ]  # fmt: skip


def _credentials_joins_and_transport() -> list[Mutant]:
    """SR 6.24.2 and the SMKI, the Organisation Certificates, the SMI joins, and the transport."""
    return [
        _white("smki-not-updated-on-6.24.2", "6.24.2 responses leave the inventory and SMKI unchanged", E774,
               _on_response(lambda dcc, srv, *rest: srv != "6.24.2")),
        _white("smki-reissued-when-the-set-is-the-same", "6.24.2 changes the inventory although the set is the same",
               E774, _smki_reissued_when_same),
        _white("6.24.2-specific-validation-kept", "6.24.2 refused when the inventory lacks the certificate",
               frozenset({"MP081-DUIS-3.8.77.3"}), _specific_6_24_2_validation),
        _white("org-certificates-not-tracked-locally", "6.15.1/6.21 returned by 8.13 do not update the tracking",
               ORGCERT, _on_response(_org_certs_not_tracked_locally)),
        _white("org-certificates-tracked-on-issue", "the certificates are tracked before the response is returned",
               ORGCERT, _org_certs_tracked_on_issue),
        _white("smi-join-not-recorded", "the DSP ignores a device's join response",
               frozenset({"DP178-SMI-JOIN", "DP178-REJOIN"}), _on_response(_join_not_recorded)),
        _white("rejected-rejoin-recorded", "the DSP records a join the meter rejected",
               frozenset({"DP178-REJOIN", "MP178-UNJOIN"}), _on_response(_rejected_rejoin_recorded)),
        _white("smki-replaced-certificate-left-in-use", "6.24.2 leaves the replaced certificate In Use", E774,
               _store("supersede_certificate", _replaced_left_in_use)),
        _white("smki-other-usage-superseded-too", "6.24.2 supersedes the other usage's certificate too", E774,
               _store("set_device_certificate", _other_usage_superseded)),
        _white("org-certificate-tracked-under-another-role", "the certificate is tracked under another role",
               ORGCERT, _store("set_org_certificate", _org_certificate_other_role)),
        _white("unsigned-responses", "no response is signed", frozenset(), _unsigned,
               error_cause="ResponseSignatureError"),
        _white("mis-correlated-responses", "answers name the next RequestID", frozenset(), _mis_correlated,
               error_cause="CorrelationError"),
    ]  # fmt: skip


def flag_mutants() -> list[Mutant]:
    """Each DSP behaviour flag broken both ways, from the modifications' rows (``spec.releases``): the modification
    not implemented (the flag keeps its old value from the release on, FAILing the clauses that bind from it) and
    implemented early (the new value in the release before, FAILing the clauses that bind until it). A new
    behaviour-changing modification gets its two mutants here without a line of code."""
    from pytest_dcc.spec.clauses import CLAUSES, FLAG_CLAUSES
    from pytest_dcc.spec.releases import FLAG_MODIFICATIONS, MODIFICATIONS, RELEASES, index

    found = []
    for flag, mod_id in FLAG_MODIFICATIONS.items():
        mod = MODIFICATIONS[mod_id]
        since = frozenset(c for c in FLAG_CLAUSES[flag] if CLAUSES[c].since == mod.release)
        until = frozenset(c for c in FLAG_CLAUSES[flag] if CLAUSES[c].until == mod.release)
        earlier = list(RELEASES)[index(mod.release) - 1]
        found += [
            _white(f"{mod.id.lower()}-not-implemented", f"{mod.id} not implemented: {flag} stays {mod.before}",
                   since, _flag(**{flag: mod.before})),
            _white(f"{mod.id.lower()}-implemented-early", f"{mod.id} applied in {earlier}: {flag} is {not mod.before}",
                   until, _flag(**{flag: not mod.before}), claimed=earlier),
        ]  # fmt: skip
    return found


def mutants() -> list[Mutant]:
    """The reference family: every white-box mutant, in the benchmark's order."""
    return [*_ch_status_joins_and_lists(), *flag_mutants(), *_credentials_joins_and_transport()]


__all__ = ["flag_mutants", "mutants"]

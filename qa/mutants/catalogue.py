"""The catalogues, one per family: ``reference`` (white box: :mod:`qa.mutants.reference`), ``black-box`` (the
mutating proxy: one wrong behaviour each, from one side of one registry rule) and ``green`` (correct but different:
must stay green); :func:`catalogue` joins the families asked for."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Final

from pytest_dcc.duis.estates import BOXED_SUPPLIER, OTHER_USER
from pytest_dcc.spec import NS_SR
from qa.mutants.blocks import (
    after,
    big_threshold,
    chf_moved_anyway,
    date_dropped,
    dated_as_space,
    dcc20_names,
    delivery_for,
    device_keeps_join,
    e080801_always,
    e5_on_8_14_2,
    forget_smi_join,
    gpf_moved_whatever,
    http_400,
    listed_refused,
    local_ack,
    other_column,
    pending_hub_left,
    recode,
    record_smi_join,
    refuse,
    repair_indexes,
    replay_answered,
    resign_any,
    right_path,
    scale_thresholds,
    service_reference_repaired,
    signed_by,
    space_filled,
    srv_is,
    swap_regions,
    undo_local_unjoin,
    unsigned,
    variant_confused,
    variant_outside_region,
    wan_edit,
    warned,
    wrong_cv_repaired,
)
from qa.mutants.frames import mutations as frame_mutations
from qa.mutants.mutant import FAMILIES, Mutant
from qa.mutants.partitions import (
    install_offset_ignored,
    install_window,
    order_repaired,
    refused_too_late,
    south_cellular_as_mesh,
    unjoin_variant_only,
    zero_threshold,
)
from qa.mutants.reference import mutants as reference_mutants
from qa.mutants.strangers import strangers
from qa.mutants.validation import mutations as general_validation

_SR: Final = f"{{{NS_SR}}}"

T3: Final = frozenset({"MP081-CHISM-E3-T3"})
SPACE: Final = frozenset({"MP081-CHISM-E3-SPACE"})
THRESH: Final = frozenset({"MP081-DUIS-3.8.1.2"})
E773: Final = frozenset({"MP081-DUIS-3.8.77.3"})
E8: Final = frozenset({"MP081-DUIS-3.8.106.3"})
PENDING: Final = frozenset({"MP081-DUIS-3.8.114.4"})
LOCAL: Final = frozenset({"MP081-DUIS-3.8.112.2"})
E0808: Final = frozenset({"DP178-E080801"})
MP178: Final = frozenset({"MP178-UNJOIN"})
JOIN: Final = frozenset({"DP178-SMI-JOIN"})
ORGCERT: Final = frozenset({"MP081-ORGCERT-TRACKING"})
_SUPPLIER: Final = BOXED_SUPPLIER  # DCC Boxed's test supplier


REJOIN: Final = frozenset({"DP178-REJOIN"})


def _coverage() -> list[Mutant]:
    """SR 12.1: MP081-CHISM-E3-T3 and MP081-CHISM-E3-SPACE."""
    bb = "black-box"
    return [
        Mutant("wan-rows-relabelled", "12.1 rows name another CSP region", bb, T3 | SPACE,
               reply=wan_edit(swap_regions)),
        Mutant("wan-variant-outside-its-region", "12.1 answers a variant of another region", bb, T3 | SPACE,
               reply=wan_edit(variant_outside_region)),
        Mutant("wan-variant-confused", "12.1 answers another table 3 variant than the CSP gave", bb, T3 | SPACE,
               reply=wan_edit(variant_confused)),
        Mutant("wan-second-region-confused", "12.1 answers South's Cellular as Cellular+Mesh (also a South value)",
               bb, T3 | SPACE, reply=wan_edit(south_cellular_as_mesh)),
        Mutant("declared-column-not-kept", "the statement declares the DCC 1.3 column; 12.1 answers DCC 2.0 names",
               bb, T3 | SPACE, statement={"chism_column": "DCC 1.3"},
               reply=wan_edit(dcc20_names)),
        Mutant("space-filled-in", '12.1 answers "Cellular" where " " is due', bb, SPACE,
               reply=wan_edit(space_filled)),
        Mutant("confirmed-variant-answered-as-space", '12.1 answers " " for a confirmed variant with a date', bb,
               SPACE | T3, reply=wan_edit(dated_as_space)),
        Mutant("space-without-its-date", '12.1 drops the availability date of a " " answer', bb, SPACE,
               reply=wan_edit(date_dropped)),
    ]  # fmt: skip


def _tariff() -> list[Mutant]:
    """SR 1.1.1: MP081-DUIS-3.8.1.2."""
    bb = "black-box"
    return [
        Mutant("thresholds-read-as-kwh", "1.1.1 BlockThreshold taken as kWh (the meter gets x1000)", bb, THRESH,
               request=scale_thresholds),
        Mutant("threshold-indexes-not-checked", "1.1.1 accepts duplicate or gapped indexes", bb, THRESH,
               request=repair_indexes),
        Mutant("threshold-indexes-refused-too-late", "1.1.1 accepts bad indexes at CV 4 and refuses the signed "
               "pre-command (E17)", bb, THRESH, request=refused_too_late),
        Mutant("threshold-order-not-checked", "1.1.1 accepts indexes out of order (2,1)", bb, THRESH,
               request=order_repaired),
        Mutant("zero-threshold-refused", "1.1.1 refuses a threshold of 0 Wh (the type allows it)", bb, THRESH,
               request=refuse(zero_threshold, "E010102")),
        Mutant("large-thresholds-refused", "1.1.1 refuses thresholds above 2^40 Wh (the type allows 2^48-1)", bb,
               THRESH, request=refuse(big_threshold, "E010102")),
        Mutant("tariffs-always-refused", "1.1.1 is always refused", bb, THRESH,
               request=refuse(srv_is("1.1.1"), "E010101")),
    ]  # fmt: skip


def _credentials() -> list[Mutant]:
    """SR 6.24.2: MP081-DUIS-3.8.77.3 and the general validation it leaves."""
    bb = "black-box"
    return [
        Mutant("6.24.2-refused-without-certificate", "6.24.2 refused for a device other than a meter", bb, E773,
               request=refuse(lambda c: c.srv == "6.24.2" and c.cv == 4 and c.target is not None
                              and not c.target.upper().endswith(("A0", "A1")), "E062401")),
        Mutant("6.24.2-always-refused", "6.24.2 is always refused", bb, E773 | frozenset({"MP081-DUIS-3.8.77.4"}),
               request=refuse(lambda c: c.srv == "6.24.2" and c.cv == 4, "E062402")),
        Mutant("signatures-not-checked", "requests are accepted whatever their signature", bb, E773,
               request=resign_any),
        Mutant("replays-answered-again", "a replayed RequestID gets its first answer again", bb, E773,
               request=replay_answered),
        Mutant("web-service-not-checked", "a request is processed whatever web service it came to (no E13)", bb,
               E773, request=right_path),
        Mutant("e13-miscoded", "the wrong web service is refused E12 instead of E13", bb, E773,
               reply=recode(lambda c: True, {"E13": "E12"})),
        Mutant("command-variant-not-checked", "CV 1 for SRV 6.24.2 is taken as CV 4", bb, E773,
               request=wrong_cv_repaired),
        Mutant("service-reference-not-checked", "ServiceReference is not cross-checked with the variant", bb, E773,
               request=service_reference_repaired),
    ]  # fmt: skip


def _ch_status() -> list[Mutant]:
    """SR 8.14.2: MP081-DUIS-3.8.106.3 and MP081-DUIS-3.8.114.4."""
    bb = "black-box"
    return [
        Mutant("8.14.2-e5-applied", "8.14.2 refused E5 unless the CHF is InstalledNotCommissioned or Commissioned",
               bb, E8 | PENDING, request=e5_on_8_14_2),
        Mutant("8.14.2-no-w081401", "8.14.2 answers I99 where W081401 is due", bb, E8 | PENDING,
               reply=recode(srv_is("8.14.2"), {"W081401": "I99"})),
        Mutant("8.14.2-w081401-always", "8.14.2 warns W081401 for an InstalledNotCommissioned CHF too", bb, E8,
               reply=recode(srv_is("8.14.2"), {"I99": "W081401", "I0": "W081401"})),
        Mutant("8.14.2-not-a-chf-accepted", "8.14.2 acknowledges a device that is not a CHF", bb, E8,
               reply=recode(srv_is("8.14.2"), {"E081401": "W081401"})),
        Mutant("8.14.2-future-accepted", "8.14.2 accepts an install time in the future", bb, E8 | PENDING,
               reply=recode(srv_is("8.14.2"), {"E081402": "W081401"})),
        Mutant("8.14.2-e081401-miscoded", "8.14.2 refuses a non-CHF with E081405", bb, E8,
               reply=recode(srv_is("8.14.2"), {"E081401": "E081405"})),
        Mutant("8.14.2-future-refused-but-applied", "8.14.2 refused E081402, yet the CHF moves on", bb, E8 | PENDING,
               reply=after(lambda c, code: c.srv == "8.14.2" and code == "E081402", chf_moved_anyway)),
        pending_hub_left(gpf_only=False),
        pending_hub_left(gpf_only=True),
        Mutant("8.14.2-gpf-moved-whatever", "8.14.2 moves the GPF to InstalledNotCommissioned whatever its status",
               bb, PENDING, reply=after(warned, gpf_moved_whatever)),
        Mutant("e081402-offset-ignored", "8.14.2 reads the install time's clock as UTC, ignoring its offset", bb, E8,
               request=install_offset_ignored),
        Mutant("e081402-an-hour-late", "8.14.2 takes install times up to an hour ahead as now", bb, E8,
               request=install_window(timedelta(hours=1), timedelta(0))),
        Mutant("e081402-five-minutes-early", "8.14.2 refuses install times of the last five minutes", bb, E8,
               request=install_window(timedelta(0), timedelta(minutes=5))),
    ]  # fmt: skip


def _local_command() -> list[Mutant]:
    """SR 8.13: MP081-DUIS-3.8.112.2."""
    bb = "black-box"
    return [
        Mutant("8.13-listed-refused", "8.13 refuses 6.15.1 and 6.21 responses", bb, LOCAL | ORGCERT,
               request=listed_refused),
        Mutant("8.13-unlisted-accepted", "8.13 acknowledges a response off the list", bb, LOCAL,
               reply=recode(srv_is("8.13"), {"E081302": "I99"})),
        Mutant("8.13-missing-original-accepted", "8.13 acknowledges a response without OriginalRequestID", bb, LOCAL,
               reply=recode(srv_is("8.13"), {"E081301": "I99"})),
        Mutant("8.13-alert-refused", "8.13 requires OriginalRequestID of a Device Alert too", bb, LOCAL,
               request=refuse(lambda c: c.srv == "8.13" and c.text("OriginalRequestID") is None, "E081301")),
        Mutant("8.13-mismatch-accepted", "8.13 acknowledges a response that does not match OriginalRequestID", bb,
               LOCAL, reply=recode(srv_is("8.13"), {"E081303": "I99"})),
        Mutant("8.13-refused-but-applied", "8.13 refused, yet the Unjoin it returns reaches the SMI", bb, LOCAL,
               reply=after(lambda c, code: c.srv == "8.13" and bool(code) and str(code).startswith("E"),
                           undo_local_unjoin)),
        Mutant("8.13-acknowledged-not-processed", "8.13 acknowledged without processing the response", bb,
               LOCAL | frozenset({"MP081-ORGCERT-TRACKING"}), request=local_ack),
    ]  # fmt: skip


def _join() -> list[Mutant]:
    """SR 8.7 / 8.8: DP178-E080801, DP178-SMI-JOIN, DP178-REJOIN, MP178-UNJOIN."""
    bb = "black-box"
    return [
        Mutant("e080801-not-checked-before-2024-06", "an Unjoin without SMI join goes through before MP178", bb,
               E0808,
               claimed="2021-06", inner="2024-06"),
        Mutant("e080801-always", "every Unjoin refused E080801", bb, E0808 | MP178 | JOIN | REJOIN, claimed="2021-06",
               request=e080801_always),
        Mutant("e080801-miscoded", "Unjoin without SMI join refused E080821", bb, E0808 | JOIN | REJOIN,
               claimed="2021-06", reply=recode(srv_is("8.8.1", "8.8.2"), {"E080801": "E080821"})),
        Mutant("e080801-still-refused-after-2024-06", "an Unjoin without SMI join still refused after MP178", bb,
               MP178,
               claimed="latest", inner="2021-06"),
        Mutant("e080801-not-checked-on-8.8.1", "before MP178, only the non-critical Unjoin (8.8.2) is checked "
               "against the SMI", bb, E0808, claimed="2021-06", request=unjoin_variant_only("8.8.1", check=False)),
        Mutant("e080801-still-refused-on-8.8.1", "after MP178, the critical Unjoin (8.8.1) without SMI join is still "
               "refused", bb, MP178, claimed="latest", request=unjoin_variant_only("8.8.1", check=True)),
        Mutant("unjoin-acknowledged-not-applied", "Unjoin answered, yet the device keeps the join", bb,
               E0808 | MP178, claimed="latest",
               delivery=delivery_for(("8.8.1", "8.8.2"), ("I0",), device_keeps_join)),
        Mutant("join-not-recorded", "the DSP ignores the device's Join response", bb, JOIN | REJOIN | E0808,
               delivery=delivery_for(("8.7.1", "8.7.2"), ("I0",), forget_smi_join)),
        Mutant("lost-join-recorded", "the SMI records a join whose response never reached the DSP", bb, JOIN | REJOIN,
               delivery=delivery_for(("8.7.1", "8.7.2"), ("E21",), record_smi_join)),
        Mutant("rejoin-rejected-yet-recorded", "the SMI records a join the meter rejected", bb,
               REJOIN | JOIN | E0808 | MP178,
               delivery=delivery_for(("8.7.1", "8.7.2"), ("I0", "E21"), record_smi_join)),
    ]  # fmt: skip


def _transport() -> list[Mutant]:
    """The transport: answers that cannot be judged."""
    bb = "black-box"
    return [
        Mutant("unsigned-answers", "answers lose their signature", bb,
               reply=lambda proxy, call, reply: unsigned(proxy, reply), error_cause="ResponseSignatureError"),
        Mutant("answers-signed-by-the-supplier", "answers and deliveries signed with the supplier's own key", bb,
               reply=signed_by(_SUPPLIER)[0], delivery=signed_by(_SUPPLIER)[1],
               error_cause="ResponseSignatureError"),
        Mutant("answers-signed-by-another-user", "answers and deliveries signed with another user's key", bb,
               reply=signed_by(OTHER_USER)[0], delivery=signed_by(OTHER_USER)[1], error_cause="ResponseSignatureError"),
    ]  # fmt: skip


def _green() -> list[Mutant]:
    """Correct but different: must stay green."""
    return [
        Mutant("green-other-codes-of-the-set", "other unpublished codes of the same SR's set", "green",
               reply=recode(lambda c: True, {"E010101": "E010102", "E081302": "E081303", "E081303": "E081301",
                                             "E081301": "E081302", "E1": "E2", "E12": "E2"})),
        Mutant("green-http-400-for-bad-signatures", "signature failures refused with HTTP 400", "green",
               reply=http_400),
        Mutant("green-other-chism-column", "CHISM table 3 in the other naming column", "green",
               reply=wan_edit(other_column)),
        Mutant("green-declared-dcc20-column", "the DCC 2.0 column, declared in the statement", "green",
               reply=wan_edit(dcc20_names), statement={"chism_column": "DCC 2.0"}),
        Mutant("green-declared-codes", "the unpublished codes it uses, declared in the statement", "green",
               reply=recode(lambda c: True, {"E010101": "E010102", "E081302": "E081301"}),
               statement={"refusal_codes": {"threshold-index-duplicate": "E010102",
                                            "threshold-index-not-consecutive": "E010102",
                                            "local-response-off-the-list": "E081301"}}),
        Mutant("green-multi-role-user", "one EUI is both the Import and the Gas Supplier (as DCC Boxed's is)",
               "green", statement={"users": [{"role": "IS", "eui": _SUPPLIER}, {"role": "GS", "eui": _SUPPLIER},
                                             {"role": "OU", "eui": OTHER_USER}]}),
        Mutant("green-at-least-once-delivery", "each device response delivered again identically, at once and "
               "signed again 1 s later", "green", redeliver_after_s=1.0),
        Mutant("green-mp081-dcc-before-2020-11", "a June 2020 DCC that already processes as MP081 describes",
               "green", claimed="2020-06", inner="2021-06"),
    ]  # fmt: skip


#: The proxy's mutants, black-box and green, in the order they were designed (strangers' and frames' lists hold
#: both families).
_PROXIED: Final = (
    _coverage, _tariff, _credentials, general_validation, _ch_status, _local_command, _join, _transport, _green,
    strangers, frame_mutations,
)  # fmt: skip


def _of(family: str, *sources: Callable[[], list[Mutant]]) -> dict[str, Mutant]:
    return {m.name: m for source in sources for m in source() if m.family == family}


def reference() -> dict[str, Mutant]:
    """The reference family: the reference DCC's own code broken one way at a time (white box)."""
    return _of("reference", reference_mutants)


def black_box() -> dict[str, Mutant]:
    """The black-box family: one wrong behaviour each, from one side of one registry rule, through the proxy."""
    return _of("black-box", *_PROXIED)


def green() -> dict[str, Mutant]:
    """The green family: endpoints correct but different from the reference, through the proxy: must stay green."""
    return _of("green", *_PROXIED)


FAMILY_CATALOGUES: Final[dict[str, Callable[[], dict[str, Mutant]]]] = {
    "reference": reference,
    "black-box": black_box,
    "green": green,
}


def catalogue(*families: str) -> dict[str, Mutant]:
    """Every mutant of ``families`` (default: all of :data:`~qa.mutants.mutant.FAMILIES`), by name."""
    return {name: m for family in families or FAMILIES for name, m in FAMILY_CATALOGUES[family]().items()}


__all__ = [
    "E0808",
    "E773",
    "E8",
    "JOIN",
    "LOCAL",
    "MP178",
    "ORGCERT",
    "PENDING",
    "REJOIN",
    "SPACE",
    "T3",
    "THRESH",
    "FAMILY_CATALOGUES",
    "black_box",
    "catalogue",
    "green",
    "reference",
]

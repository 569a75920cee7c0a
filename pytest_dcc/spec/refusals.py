"""The refusal cases the suite judges, and which response codes count as "refused" for each.

A code is pinned only where its meaning is published (registry: E081401, E081402, W081401 from MP081's legal text,
E080801 from DP178, and the generic E1-E19 of DUIS, e.g. E13 for the wrong web service) or where the endpoint's
implementation statement declares the code it uses for the case (``refusal_codes:``). Otherwise "refused" means: an
E-code of the Service Request's own XSD code set, or a generic code, or (for a request malformed at the transport
or schema level) an HTTP 4xx; and in every case no observable change of state.

The general validation of DUIS 3.2.5 (signature, signer, counter, URL, command variant, Service Reference, role) is
the same for every Service Request, so its cases (``general``) are judged on whichever SRV a scenario sends: the
case ``id@SR`` (:func:`general_case`) is the case ``id`` judged on SR's own code set, as the registry reads
"refused" ("an E-code of that SR's XSD code set, or a generic code"). A code the statement declares for a general
case is the endpoint's one code for it whatever the SR, so it must be a generic code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Final

from pytest_dcc.spec import RESPONSE_CODES, SERVICE_REFERENCES, SRVS, SchemaVersion

#: The generic codes DUIS publishes with their meanings (authorisation and validation), as far as the XSD has them.
GENERIC_CODES: Final = frozenset({"E1", "E2", "E3", "E4", "E5", "E11", "E12", "E13", "E17", "E19"})
#: HTTP statuses that are an endpoint refusing a request it found malformed (not the harness's or the network's
#: trouble: 401, 403, 407, 408 and 429 are about credentials or capacity, and stay ERROR).
HTTP_REFUSALS: Final = frozenset({400, 404, 405, 413, 415, 422})
_SPECIFIC: Final = re.compile(r"^[EW](\d{2})(\d{2})\d{2}$")


@dataclass(frozen=True, slots=True)
class RefusalCase:
    """One way a request is to be refused."""

    id: str
    sr: str  # the Service Request whose XSD code set applies (e.g. "1.1", "8.13")
    what: str
    published: str | None = None  # the code whose meaning is published for exactly this case
    transport_level: bool = False  # malformed at the schema or transport level: an HTTP 4xx also counts
    general: bool = False  # general validation (DUIS 3.2.5): judged on the SR of the request (``id@SR``)


_ROWS: Final = (
    RefusalCase("threshold-index-duplicate", "1.1", "a BlockThreshold index given twice"),
    RefusalCase("threshold-index-not-consecutive", "1.1", "BlockThreshold indexes not consecutive from 1"),
    RefusalCase(
        "threshold-index-out-of-range", "1.1", "a BlockThreshold index outside 1..3", transport_level=True
    ),
    RefusalCase("threshold-above-maximum", "1.1", "a BlockThreshold above 2^48-1 Wh", transport_level=True),
    RefusalCase(
        "threshold-not-whole", "1.1", "a BlockThreshold that is not a whole number of Wh", transport_level=True
    ),
    RefusalCase("threshold-count", "1.1", "no BlockThreshold, or more than three", transport_level=True),
    RefusalCase("chf-install-not-a-chf", "8.14", "SR 8.14.2 for a device that is not a CHF", published="E081401"),
    RefusalCase(
        "chf-install-in-the-future", "8.14", "SR 8.14.2 with an install date and time in the future", "E081402"
    ),
    RefusalCase("local-response-off-the-list", "8.13", "SR 8.13 for a response the DCC does not need through 8.13"),
    RefusalCase(
        "local-response-without-original-request-id", "8.13", "SR 8.13 of a response without OriginalRequestID"
    ),
    RefusalCase("local-response-not-matching", "8.13", "SR 8.13 whose GBCS response does not match OriginalRequestID"),
    RefusalCase("unjoin-without-smi-join", "8.8", "SR 8.8.x when the SMI holds no join (before 2024-06)", "E080801"),
    # The general validation of DUIS 3.2.5 (MP081-DUIS-3.8.77.3: all that applies to SR 6.24.2), on any SR.
    RefusalCase("wrong-web-service", "6.24", "a request sent to a web service its CV does not use", "E13", True, True),
    RefusalCase("wrong-command-variant", "6.24", "a command variant the SRV does not take", None, True, True),
    RefusalCase("service-reference-mismatch", "6.24", "a Service Reference that does not match the variant", None,
                True, True),
    RefusalCase("signature-invalid", "6.24", "a request whose signature does not verify", None, True, True),
    RefusalCase("signer-unknown", "6.24", "a request signed by a key the DCC does not know", None, True, True),
    RefusalCase("signer-not-originator", "6.24", "a request signed with the certificate of another registered "
                "user than its BusinessOriginatorID", None, True, True),
    RefusalCase("replay", "6.24", "a request whose RequestID was already used", None, True, True),
    RefusalCase("counter-not-increasing", "6.24", "a fresh request whose OriginatorCounter is below one already "
                "accepted from its originator", None, True, True),
    # Authorisation, not a malformed request: no HTTP 4xx. E2's published meaning is exactly this case ("User Role
    # not permitted to send Service Reference"): pinned, so an endpoint that skips the role check and refuses the
    # request later for another reason (E4, the user is not the device's supplier) does not pass. E12 is not pinned
    # for the command variant: a variant of another kind goes to another web service, where E13 fits as well.
    RefusalCase("role-ineligible", "6.24", "a request from a user whose role the DUIS eligibility table does not "
                "allow for the SRV", "E2", general=True),
)  # fmt: skip
_CASES: Final = MappingProxyType({c.id: c for c in _ROWS})


class _Cases(Mapping[str, RefusalCase]):
    """The refusal cases by id (iterated: the cases themselves); a general case is also found as ``id@SR``, the
    case judged on SR's code set (its id stays ``id``, so a code the statement declares for it holds on every SR)."""

    def __getitem__(self, key: str) -> RefusalCase:
        name, at, sr = key.partition("@")
        case = _CASES[name]
        if not at:
            return case
        if not case.general or sr not in SERVICE_REFERENCES:
            raise KeyError(key)
        return replace(case, sr=sr)

    def __iter__(self) -> Iterator[str]:
        return iter(_CASES)

    def __len__(self) -> int:
        return len(_CASES)


REFUSAL_CASES: Final[Mapping[str, RefusalCase]] = _Cases()


def general_case(case_id: str, srv: str) -> str:
    """The refusal case ``case_id`` of the general validation as judged on a request of ``srv`` (``id@SR``)."""
    case = _CASES[case_id]
    if not case.general:
        raise ValueError(f"{case_id} is not a case of the general validation")
    return f"{case_id}@{SRVS[srv].service_reference}"


def sr_codes(sr: str, schema_version: SchemaVersion) -> frozenset[str]:
    """The SR-specific codes (``E``/``W`` + SR digits + number) the schema version's enumeration holds for ``sr``."""
    major, minor = (int(part) for part in sr.split("."))
    found = set()
    for code in RESPONSE_CODES[schema_version]:
        match = _SPECIFIC.match(code)
        if match and (int(match.group(1)), int(match.group(2))) == (major, minor):
            found.add(code)
    return frozenset(found)


def refusal_codes(case: RefusalCase, schema_version: SchemaVersion) -> frozenset[str]:
    """The E-codes that count as refusing ``case`` when no code is pinned: the SR's own E-codes and the generic."""
    own = {c for c in sr_codes(case.sr, schema_version) if c.startswith("E")}
    return frozenset(own | (GENERIC_CODES & set(RESPONSE_CODES[schema_version])))


def declarable(case: RefusalCase, code: str, schema_version: SchemaVersion) -> str | None:
    """Why ``code`` cannot be declared as the endpoint's code for ``case`` (None when it can)."""
    if case.published is not None and code != case.published:
        return f"{case.id} has a published code, {case.published}; {code} cannot replace it"
    generic = GENERIC_CODES & set(RESPONSE_CODES[schema_version])
    if case.general and code not in generic:
        return (
            f"{case.id} is general validation, judged on every SR: its one code must be a generic code "
            f"({', '.join(sorted(generic, key=lambda c: int(c[1:])))}), not {code}"
        )
    if code not in refusal_codes(case, schema_version):
        own = ", ".join(sorted(c for c in sr_codes(case.sr, schema_version) if c.startswith("E"))) or "none"
        return (
            f"{code} is neither an E-code of SR {case.sr} in DUIS {schema_version} ({own}) nor a generic code "
            f"({', '.join(sorted(GENERIC_CODES, key=lambda c: int(c[1:])))})"
        )
    return None


__all__ = [
    "GENERIC_CODES",
    "HTTP_REFUSALS",
    "REFUSAL_CASES",
    "RefusalCase",
    "declarable",
    "general_case",
    "refusal_codes",
    "sr_codes",
]

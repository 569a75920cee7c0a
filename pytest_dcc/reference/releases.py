"""SEC releases as data: which clause behaviours apply and which DUIS schema version the DCC answers in.

A new release is one more :class:`Release` row. Every behaviour that differs between releases is a named flag
here, and the reference DCC asks the flag, never a release name or date.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from pytest_dcc.spec import SchemaVersion

#: The 14 SRVs whose responses SR 8.13 accepts from the November 2020 release (MP081-DUIS-3.8.112.2).
LOCAL_RESPONSE_SRVS_MP081: Final = frozenset(
    {
        "3.2",
        "6.8",
        "6.15.1",
        "6.15.2",
        "6.21",
        "6.23",
        "8.7.1",
        "8.7.2",
        "8.8.1",
        "8.8.2",
        "8.11",
        "8.12.1",
        "8.12.2",
        "11.3",
    }
)
#: Before MP081: the same list without 6.15.1 and 6.21.
LOCAL_RESPONSE_SRVS_BEFORE: Final = LOCAL_RESPONSE_SRVS_MP081 - {"6.15.1", "6.21"}


@dataclass(frozen=True, slots=True)
class Release:
    """One SEC release, as the reference DCC behaves under it."""

    name: str
    title: str
    schema_version: SchemaVersion
    #: MP081: GasThresholdMatrix BlockThreshold values are Wh (before: kWh).
    gas_thresholds_in_wh: bool
    #: MP081: SR 12.1 answers with the CHISM table 3 DCC 2.0 names ("420", "450") and may answer " " for an
    #: availability date with an unconfirmed variant (South & Central). Before: DCC 1.3 names.
    chism_dcc2_names: bool
    #: MP106: " " in the SR 12.1 answer is to be read as "Unknown" (the wire value is unchanged).
    space_means_unknown: bool
    #: MP081: SR 8.14.2 skips E5 and applies E081401 / E081402 / W081401 with the Pending -> InstalledNotCommissioned
    #: update. Before: the general E5 check applies and none of those codes is returned.
    chf_no_wan_rules: bool
    #: MP081: SR 6.24.2 responses update the Inventory and SMKI Repository when the device uses other certificates.
    track_device_credentials: bool
    #: MP081: SR 6.15.1 / 6.21 responses returned through 8.13 update the Organisation Certificates tracked.
    track_org_certificates_locally: bool
    #: The SRVs whose responses SR 8.13 accepts.
    local_response_srvs: frozenset[str]
    #: DP178 / MP178: SR 8.8.x refused with E080801 when the SMI holds no join (True until 2024-06).
    unjoin_requires_smi_join: bool


def _release(name: str, title: str, schema: SchemaVersion, *, mp081: bool, mp106: bool, mp178: bool) -> Release:
    return Release(
        name=name,
        title=title,
        schema_version=schema,
        gas_thresholds_in_wh=mp081,
        chism_dcc2_names=mp081,
        space_means_unknown=mp106,
        chf_no_wan_rules=mp081,
        track_device_credentials=mp081,
        track_org_certificates_locally=mp081,
        local_response_srvs=LOCAL_RESPONSE_SRVS_MP081 if mp081 else LOCAL_RESPONSE_SRVS_BEFORE,
        unjoin_requires_smi_join=not mp178,
    )


_ROWS: Final = (
    _release("2020-06", "June 2020 SEC Release (before MP081)", "5.0", mp081=False, mp106=False, mp178=False),
    _release("2020-11", "November 2020 SEC Release (MP081)", "5.1", mp081=True, mp106=False, mp178=False),
    _release("2021-06", "June 2021 SEC Release (MP106)", "5.1", mp081=True, mp106=True, mp178=False),
    _release("2024-06", "June 2024 SEC Release (MP178)", "5.3a", mp081=True, mp106=True, mp178=True),
    _release("2025-11", "November 2025 SEC Release (DUIS 5.4)", "5.4", mp081=True, mp106=True, mp178=True),
)

RELEASES: Final = MappingProxyType({r.name: r for r in _ROWS})
#: The clauses whose expected behaviour each release flag governs (for release gating: what a release touches).
FLAG_CLAUSES: Final = MappingProxyType(
    {
        "gas_thresholds_in_wh": ("MP081-DUIS-3.8.1.2",),
        "chism_dcc2_names": ("MP081-CHISM-E3-T3", "MP081-CHISM-E3-SPACE"),
        "space_means_unknown": ("MP081-CHISM-E3-SPACE",),
        "chf_no_wan_rules": ("MP081-DUIS-3.8.106.3", "MP081-DUIS-3.8.114.4"),
        "track_device_credentials": ("MP081-DUIS-3.8.77.3", "MP081-DUIS-3.8.77.4"),
        "track_org_certificates_locally": ("MP081-ORGCERT-TRACKING",),
        "local_response_srvs": ("MP081-DUIS-3.8.112.2",),
        "unjoin_requires_smi_join": ("DP178-E080801", "MP178-UNJOIN"),
    }
)

#: The name ``latest`` stands for the newest release.
LATEST: Final = _ROWS[-1].name


def release(name: str) -> Release:
    """The release called ``name`` (``latest`` included); ``ValueError`` naming the known ones otherwise."""
    key = LATEST if name == "latest" else name
    try:
        return RELEASES[key]
    except KeyError:
        known = ", ".join([*RELEASES, "latest"])
        raise ValueError(f"unknown SEC release {name!r} (known: {known})") from None


__all__ = [
    "FLAG_CLAUSES",
    "LATEST",
    "LOCAL_RESPONSE_SRVS_BEFORE",
    "LOCAL_RESPONSE_SRVS_MP081",
    "RELEASES",
    "Release",
    "release",
]

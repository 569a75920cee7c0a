"""SEC releases as the reference DCC runs them: which DUIS schema version it answers in, and its one behaviour flag.

The releases and what each modification did are the SEC's (:mod:`pytest_dcc.spec.releases`). MP081 (2020-11)
changed the text, not the DCC, so the reference DCC processes as MP081 describes under every release; MP106
(2021-06) is reading guidance for Users. The only DSP behaviour that changes across the releases in scope is
MP178's (2024-06): the SMI join check on Unjoin. The reference DCC asks the flag, never a release name or date.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from pytest_dcc.spec import SchemaVersion
from pytest_dcc.spec.releases import LATEST, SEC_RELEASES, at_least, canonical

#: The 14 SRVs whose responses the DCC needs through SR 8.13 (DUIS 3.8.112.2 as MP081 wrote it; MP081 added 6.15.1
#: and 6.21 to the text of a list the DCC already processed).
LOCAL_RESPONSE_SRVS: Final = frozenset(
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

#: The DUIS schema version the reference DCC answers in under each release: this project's choice (the DCC
#: publishes no such table; DUIS 5.1 was current in the 2020-2022 DCC Boxed samples, 5.3a was issued for June 2024,
#: 5.4 for November 2025).
_SCHEMA: Final[dict[str, SchemaVersion]] = {
    "2020-06": "5.0",
    "2020-11": "5.1",
    "2021-06": "5.1",
    "2024-06": "5.3a",
    "2025-11": "5.4",
}


@dataclass(frozen=True, slots=True)
class Release:
    """One SEC release, as the reference DCC behaves under it."""

    name: str
    title: str
    schema_version: SchemaVersion
    #: DP178 / MP178: SR 8.8.x refused with E080801 when the SMI holds no join (True until 2024-06).
    unjoin_requires_smi_join: bool


RELEASES: Final = MappingProxyType(
    {
        name: Release(name, sec.title, _SCHEMA[name], unjoin_requires_smi_join=not at_least(name, "2024-06"))
        for name, sec in SEC_RELEASES.items()
    }
)
#: The clauses whose expected behaviour each flag governs.
FLAG_CLAUSES: Final = MappingProxyType({"unjoin_requires_smi_join": ("DP178-E080801", "MP178-UNJOIN")})


def release(name: str) -> Release:
    """The release called ``name`` (``latest`` included); ``ValueError`` naming the known ones otherwise."""
    return RELEASES[canonical(name)]


__all__ = ["FLAG_CLAUSES", "LATEST", "LOCAL_RESPONSE_SRVS", "RELEASES", "Release", "release"]

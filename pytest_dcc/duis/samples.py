"""Representative, schema-valid body values for each in-scope SRV, addressed to the DUIS template devices
(:mod:`pytest_dcc.duis.estates`).

Used by the smoke features, the schema tests and benchmarks; a scenario that cares about a value sets it itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from pytest_dcc.duis.bodies import gas_thresholds
from pytest_dcc.duis.estates import ADDRESS, BOXED_SUPPLIER, CAD, CHF, ESME, GPF, GSME, POSTCODE
from pytest_dcc.duis.ids import Eui, RequestID
from pytest_dcc.duis.nondevice_bodies import InstallDetails

_CERT: Final = bytes.fromhex("3082010a0282010100") + bytes(range(64))
_WHEN: Final = datetime(2030, 1, 15, 9, 0, tzinfo=UTC)


def sample_values(srv: str) -> dict[str, Any]:
    """Keyword values for :meth:`RequestBuilder.request` (``target`` included for device SRVs)."""
    samples: dict[str, dict[str, Any]] = {
        "1.1.1": {"target": GSME, "thresholds": gas_thresholds(["1000 kWh", "2000 kWh", "3000 kWh"])},
        "3.2": {"target": ESME, "restriction_datetime": _WHEN},
        "6.8": {"target": GSME, "billing_period_start": _WHEN},
        "6.15.1": {
            "target": ESME,
            "remote_party_role": "Supplier",
            "certification_path": [_CERT],
            "digital_signing": _CERT,
        },
        "6.15.2": {"target": ESME, "device_certificate": _CERT},
        "6.21": {
            "target": GPF,
            "remote_party_role": "Supplier",
            "certification_path": [_CERT],
            "digital_signing": _CERT,
        },
        "6.23": {
            "target": ESME,
            "supplier_floor_seq_number": 1,
            "digital_signing": _CERT,
            "certification_path": [_CERT],
            "import_mpxn": "1234567890123",
        },
        "6.24.2": {"target": ESME, "credential_type": "Digital Signature"},
        "8.2": {"device_id": CHF},
        "8.4": {"device_id": CHF, "status": "InstalledNotCommissioned", "communications_hub": True},
        "8.7.1": {"target": ESME, "other_device_id": CAD},
        "8.7.2": {"target": ESME, "other_device_id": CAD},
        "8.8.1": {"target": ESME, "other_device_id": CAD},
        "8.8.2": {"target": ESME, "other_device_id": CAD},
        "8.11": {"target": CHF, "device_id": ESME},
        "8.12.1": {"target": CHF, "old_chf_id": "00-DB-12-34-56-78-90-B2"},
        "8.12.2": {"target": GPF, "old_gpf_id": "00-DB-12-34-56-78-90-B3"},
        "8.13": {
            "device_gbcs_response": bytes.fromhex("df0902000000000003e8"),
            "original_request_id": RequestID(Eui(BOXED_SUPPLIER), Eui(ESME), 1000),
        },
        "8.14.1": {"details": InstallDetails(device_id=CHF, mpxn="1234567890123", install_type="New CHF Install")},
        "8.14.2": {"details": InstallDetails(device_id=CHF, mpxn="1234567890123")},
        "8.14.3": {"device_id": CHF, "other_device_id": ESME},
        "8.14.4": {"device_id": CHF},
        "11.3": {"target": ESME, "firmware_hash": bytes(range(32))},
        "12.1": {"postcode": POSTCODE, "address_identifier": ADDRESS},
        "12.2": {"device_id": GPF, "device_type": "GPF"},
    }
    return dict(samples[srv])


#: The SRVs with a body builder and sample values.
IN_SCOPE_SRVS: Final = (
    "1.1.1", "3.2", "6.8", "6.15.1", "6.15.2", "6.21", "6.23", "6.24.2", "8.2", "8.4", "8.7.1", "8.7.2", "8.8.1",
    "8.8.2", "8.11", "8.12.1", "8.12.2", "8.13", "8.14.1", "8.14.2", "8.14.3", "8.14.4", "11.3", "12.1", "12.2",
)  # fmt: skip

__all__ = ["IN_SCOPE_SRVS", "sample_values"]

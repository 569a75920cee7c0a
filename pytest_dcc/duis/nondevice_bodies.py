"""The bodies of the non-device Service Requests (CV 8): 8.2, 8.4, 8.13, 8.14.x, 12.1, 12.2."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from pytest_dcc.duis.elements import Children, el, eui, opt
from pytest_dcc.duis.ids import RequestID
from pytest_dcc.errors import BuildError

# --- ------------------------------------------------------------------------------------


def read_inventory(
    *,
    device_id: str | None = None,
    uprn: int | None = None,
    mpxn: str | None = None,
    postcode: str | None = None,
    address_identifier: str | None = None,
) -> Children:
    """SRV 8.2: exactly one selector."""
    selectors = [
        eui("DeviceID", device_id) if device_id is not None else None,
        opt("UPRN", uprn),
        opt("MPxN", mpxn),
        _address("PropertyFilter", postcode, address_identifier),
    ]
    chosen: Children = [s for s in selectors if s is not None]
    if len(chosen) != 1:
        raise BuildError("8.2 Read Inventory takes exactly one of device_id, uprn, mpxn, postcode+address_identifier")
    return chosen


def _address(name: str, postcode: str | None, address_identifier: str | None) -> etree._Element | None:
    if postcode is None and address_identifier is None:
        return None
    return el(name, None, el("PostCode", postcode or ""), el("AddressIdentifier", address_identifier or ""))


def update_inventory(
    *,
    device_id: str,
    status: str | None = None,
    communications_hub: bool = False,
    delete: bool = False,
    import_mpxn: str | None = None,
) -> Children:
    """SRV 8.4: set a status (``UpdateDeviceStatusCH`` for CHFs), delete the device or set its MPxN."""
    if sum((status is not None, delete, import_mpxn is not None)) != 1:
        raise BuildError("8.4 Update Inventory takes exactly one of status, delete, import_mpxn")
    if status is not None:
        change = el("UpdateDeviceStatusCH" if communications_hub else "UpdateDeviceStatusExceptCH", status)
    elif delete:
        change = el("DeleteDevice")
    else:
        change = el("UpdateMPxN", None, el("ImportMPxN", import_mpxn))
    return [eui("DeviceID", device_id), change]


def return_local_command_response(*, device_gbcs_response: bytes, original_request_id: RequestID | None) -> Children:
    """SRV 8.13: the GBCS response a device gave to a locally delivered command."""
    return [opt("OriginalRequestID", original_request_id), el("DeviceGBCSResponse", device_gbcs_response)]


@dataclass(frozen=True, slots=True)
class InstallDetails:
    """The data items shared by 8.14.1 and 8.14.2."""

    device_id: str
    mpxn: str
    install_type: str = "CHF Install - no SM WAN"
    install_datetime: datetime | None = None
    user_ref_id: str | None = None
    gis_data: str | None = None
    aerial_install: bool = False
    location: str = "Indoors on external wall"


def _install_head(d: InstallDetails) -> Children:
    return [
        eui("DeviceID", d.device_id),
        el("CHFInstallType", d.install_type),
        opt("InstallDateTime", d.install_datetime),
        opt("UserRefID", d.user_ref_id),
        el("MPxN", d.mpxn),
        opt("GISData", d.gis_data),
        el("AerialInstall", d.aerial_install),
        el("CHFLocation", d.location),
    ]


def chf_install_success(*, details: InstallDetails, additional_information: str | None = None) -> Children:
    """SRV 8.14.1 Communications Hub Status Update - Install Success."""
    return [*_install_head(details), opt("AdditionalInformation", additional_information)]


def chf_install_no_sm_wan(
    *,
    details: InstallDetails,
    premise_type: str = "Terraced",
    metal_obstruction: bool = False,
    connectivity_obstruction: bool = False,
    shared_obstruction: bool = False,
    additional_information: str | None = None,
) -> Children:
    """SRV 8.14.2 Communications Hub Status Update - Install No SM WAN."""
    return [
        *_install_head(details),
        el("PremiseType", premise_type),
        el("MetalObstructionCheck", metal_obstruction),
        el("ConnectivityObstructionCheck", connectivity_obstruction),
        el("SharedObstructionCheck", shared_obstruction),
        opt("AdditionalInformation", additional_information),
    ]


def chf_fault_return(
    *,
    device_id: str,
    other_device_id: str,
    return_type: str = "Fault identified post installation",
    connection_method: str = "Hot-shoe",
    reason: str = "SM WAN Fault",
    user_ref_datetime: datetime | None = None,
) -> Children:
    """SRV 8.14.3 Communications Hub Status Update - Fault Return."""
    return [
        eui("DeviceID", device_id),
        el("CHFFaultReturnType", return_type),
        opt("UserRefDateTime", user_ref_datetime),
        eui("OtherDeviceID", other_device_id),
        el("CHFConnectionMethod", connection_method),
        el("CHFFaultReason", reason),
    ]


def chf_no_fault_return(*, device_id: str, return_type: str = "No Fault Return (general)") -> Children:
    """SRV 8.14.4 Communications Hub Status Update - No Fault Return."""
    return [eui("DeviceID", device_id), el("CHFNoFaultReturnType", return_type)]


def request_wan_matrix(
    *, uprn: int | None = None, postcode: str | None = None, address_identifier: str | None = None
) -> Children:
    """SRV 12.1: a UPRN or a partial address."""
    if (uprn is None) == (postcode is None and address_identifier is None):
        raise BuildError("12.1 Request WAN Matrix takes either uprn or postcode+address_identifier")
    return [el("UPRN", uprn)] if uprn is not None else [_address("PartialAddress", postcode, address_identifier)]


def device_prenotification(
    *,
    device_id: str,
    device_type: str,
    manufacturer: str = "PYTEST-DCC",
    model: str = "REF-1",
    smets_chts_version: str | None = None,
    firmware_version: str | None = None,
    esme_variant: str | None = None,
    associated_gpf_device_id: str | None = None,
) -> Children:
    """SRV 12.2 Device Pre-notification."""
    return [
        eui("DeviceID", device_id),
        el("DeviceManufacturer", manufacturer),
        el("DeviceModel", model),
        el("DeviceType", device_type),
        opt("SMETSCHTSVersion", smets_chts_version),
        opt("FirmwareVersion", firmware_version),
        opt("ESMEVariant", esme_variant),
        eui("AssociatedGPFDeviceID", associated_gpf_device_id) if associated_gpf_device_id else None,
    ]


__all__ = [
    "InstallDetails",
    "chf_fault_return",
    "chf_install_no_sm_wan",
    "chf_install_success",
    "chf_no_fault_return",
    "device_prenotification",
    "read_inventory",
    "request_wan_matrix",
    "return_local_command_response",
    "update_inventory",
]

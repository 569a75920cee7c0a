"""SR 8.14.x Communications Hub Status Update.

Clauses: MP081-DUIS-3.8.106.3 (8.14.2 Install No SM WAN: no E5; E081401 for a device that is not a CHF, E081402
for an install time in the future; W081401 when the CHF is not InstalledNotCommissioned, processed all the same) and
MP081-DUIS-3.8.114.4 (with W081401 a Pending CHF becomes InstalledNotCommissioned, and its GPF too if Pending).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from lxml import etree

from pytest_dcc.errors import Refusal
from pytest_dcc.reference.checks import check_status
from pytest_dcc.reference.inventory import Device
from pytest_dcc.reference.services.base import RequestContext, named_device

CLAUSES: Final = ("MP081-DUIS-3.8.106.3", "MP081-DUIS-3.8.114.4")
SRVS: Final = frozenset({"8.14.1", "8.14.2", "8.14.3", "8.14.4"})


def handle(ctx: RequestContext) -> etree._Element:
    handlers = {"8.14.1": install_wan, "8.14.2": install_no_wan, "8.14.3": chf_return, "8.14.4": chf_return}
    return handlers[ctx.srv.srv](ctx)


def install_no_wan(ctx: RequestContext) -> etree._Element:
    """8.14.2: MP081-DUIS-3.8.106.3 (no E5; E081401, E081402; W081401) and MP081-DUIS-3.8.114.4."""
    chf = named_chf(ctx)
    check_install_time(ctx)
    if chf.status == "InstalledNotCommissioned":
        return ctx.reply("I99")
    if chf.status == "Pending":
        ctx.inventory.set_status(chf.eui, "InstalledNotCommissioned")
        gpf = gpf_of(ctx, chf)
        if gpf is not None and gpf.status == "Pending":
            ctx.inventory.set_status(gpf.eui, "InstalledNotCommissioned")
    return ctx.reply("W081401")


def install_wan(ctx: RequestContext) -> etree._Element:
    """8.14.1: the general checks (E5 included)."""
    chf = named_chf(ctx)
    check_status(chf, ctx.srv.srv)
    check_install_time(ctx)
    return ctx.reply("I99")


def chf_return(ctx: RequestContext) -> etree._Element:
    """8.14.3 / 8.14.4: the CHF (and its GPF) leave the estate: Withdrawn."""
    chf = named_chf(ctx)
    ctx.inventory.set_status(chf.eui, "Withdrawn")
    gpf = gpf_of(ctx, chf)
    if gpf is not None:
        ctx.inventory.set_status(gpf.eui, "Withdrawn")
    return ctx.reply("I99")


def named_chf(ctx: RequestContext) -> Device:
    """The device the request names, which must be a CHF (E081401)."""
    device = named_device(ctx, ctx.text("DeviceID"))
    if device.type != "CHF":
        raise Refusal("E081401", f"{device.eui} is a {device.type}, not a CHF")
    return device


def gpf_of(ctx: RequestContext, chf: Device) -> Device | None:
    """The GPF of the CHF's premises: the one the CHF names, else one that names the CHF."""
    if chf.gpf:
        return ctx.inventory.device(chf.gpf)
    gpfs = [d for d in ctx.inventory.devices_where("chf", chf.eui) if d.type == "GPF"]
    return gpfs[0] if gpfs else None


def check_install_time(ctx: RequestContext) -> None:
    """E081402: the InstallDateTime (when given) must not be in the future."""
    value = ctx.text("InstallDateTime")
    if value is None:
        return
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment > ctx.clock():
        raise Refusal("E081402", f"InstallDateTime {value} is in the future")


__all__ = ["CLAUSES", "SRVS", "check_install_time", "gpf_of", "handle", "named_chf"]

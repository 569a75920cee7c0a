"""The reference DCC's request pipeline, driven in process through the suite's own transport and judge."""

from __future__ import annotations

import pytest

from pytest_dcc.duis.bodies import body_children
from pytest_dcc.duis.build import build_request
from pytest_dcc.duis.ids import RequestID
from pytest_dcc.duis.samples import sample_values
from pytest_dcc.duis.signing import sign
from pytest_dcc.errors import HttpStatusError
from tests.conftest import SHARED
from tests.reference_harness import CHF, ESME, GS, GSME, IS, OU, Harness


@pytest.fixture
def h() -> Harness:
    return Harness()


def _raw(h: Harness, path: str, body: bytes, method: str = "POST", ctype: str = "application/xml") -> tuple[int, str]:
    reply = h.dcc.handle(method, path, {"content-type": ctype}, body)
    return reply.status, reply.body.decode()


def test_http_level_refusals_are_4xx_with_a_reason(h: Harness) -> None:
    request = h.build("8.2", **sample_values("8.2"))
    sign(request.root, h.pki.identity(IS))
    good = request.to_bytes()
    assert _raw(h, "/api/v1/serviceX", good)[0] == 404
    assert _raw(h, "/api/v1/serviceD", good, method="GET")[0] == 405
    assert _raw(h, "/api/v1/serviceD", good, ctype="text/html")[0] == 415
    status, text = _raw(h, "/api/v1/serviceD", b"<sr:Request" + b" " * (3 << 20))
    assert status == 413 and "limit" in text
    assert _raw(h, "/api/v1/serviceD", b"not xml")[0] == 400
    status, text = _raw(h, "/api/v1/serviceD", (SHARED / "dccboxed/responses/duis-xxe.xml").read_bytes())
    assert status == 400 and "DOCTYPE" in text
    status, text = _raw(h, "/api/v1/serviceD", good.replace(b"<sr:CommandVariant>8", b"<sr:CommandVariant>0"))
    assert status == 400 and "CommandVariant" in text
    with pytest.raises(HttpStatusError):
        h.transport.send_to(request, b"garbage", "/api/v1/serviceD")


def test_unsigned_foreign_signed_and_replayed_requests_are_e1(h: Harness) -> None:
    request = h.build("8.2", **sample_values("8.2"))
    assert h.transport.send(request, request.to_bytes()).code == "E1"  # unsigned
    assert h.send(h.build("8.2", **sample_values("8.2")), signer=GS).code == "E1"  # signed by another user
    first = h.build("8.2", **sample_values("8.2"))
    assert h.send(first).code == "I0"
    replay = build_request(
        srv="8.2",
        cv=8,
        request_id=first.request_id,
        body=body_children("8.2", **sample_values("8.2")),
        schema_version=h.version,
    )
    assert h.send(replay).code == "E1"
    assert "replay" in h.dcc.history[-1].reason


def test_a_journaled_request_is_a_replay_even_when_the_counters_were_reset(h: Harness) -> None:
    """The journal is the second line: an operator who empties the counters table does not reopen old RequestIDs."""
    request = h.build("8.14.2", **sample_values("8.14.2"))
    sign(request.root, h.pki.identity(IS))
    body = request.to_bytes()
    assert _raw(h, request.path, body)[0] == 200 and h.dcc.history[-1].reason == "processed"
    h.dcc.inventory.db.execute("DELETE FROM counters")
    before = h.dcc.inventory.dump()
    status, text = _raw(h, request.path, body)
    assert status == 200 and "<sr:ResponseCode>E1</sr:ResponseCode>" in text
    assert "already processed" in h.dcc.history[-1].reason
    assert h.dcc.inventory.dump() == before  # nothing applied twice, nothing lost


def test_command_variant_and_url_rules(h: Harness) -> None:
    wrong_cv = h.build("8.2", cv=8, **sample_values("8.2"))
    wrong_cv.root.find(".//{*}CommandVariant").text = "1"
    assert h.send(wrong_cv, path="/api/v1/serviceD").code == "E12"
    assert h.send(h.build("8.2", **sample_values("8.2")), path="/api/v1/serviceS").code == "E13"


def test_user_checks(h: Harness) -> None:
    assert h.request("8.14.2", user=OU, **sample_values("8.14.2")).code == "E2"
    h.dcc.inventory.db.execute("UPDATE users SET status = 'Suspended' WHERE eui = ?", (OU,))
    assert h.request("8.2", user=OU, **sample_values("8.2")).code == "E3"
    h.dcc.inventory.db.execute("DELETE FROM users WHERE eui = ?", (GS,))
    # With signature checks off, an unregistered originator is still refused: E1.
    h.dcc.verify_signatures = False
    assert h.request("8.2", user=GS, **sample_values("8.2")).code == "E1"


def test_device_checks_e19_e4_e5(h: Harness) -> None:
    assert h.request("3.2", target="00-DB-12-34-56-78-90-FF", **_cot()).code == "E19"
    assert h.request("3.2", user=GS, target=ESME, **_cot()).code == "E4"  # ESME is IS's
    h.dcc.inventory.set_status(ESME, "Suspended")
    assert h.request("3.2", target=ESME, **_cot()).code == "E5"
    h.dcc.inventory.set_status(ESME, "Commissioned")
    assert h.request("3.2", target=ESME, **_cot()).code == "I99"


def _cot() -> dict[str, object]:
    values = dict(sample_values("3.2"))
    values.pop("target")
    return values


def test_a_refused_request_changes_nothing(h: Harness) -> None:
    """The counter of a refused request is rolled back with everything else: it can be used again."""
    refused = h.build("3.2", target="00-DB-12-34-56-78-90-FF", **_cot())
    assert h.send(refused).code == "E19"
    again = build_request(
        srv="3.2",
        cv=1,
        request_id=RequestID(IS, ESME, refused.request_id.counter),
        body=body_children("3.2", **_cot()),
        schema_version=h.version,
    )
    assert h.send(again).code == "I99"


def test_responses_are_signed_by_the_dcc_and_in_the_release_schema_version() -> None:
    for release, attribute in (("2020-06", "5.0"), ("2021-06", "5.1"), ("2024-06", "5.3"), ("latest", "5.4")):
        h = Harness(release)
        exchange = h.request("8.2", **sample_values("8.2"))
        assert exchange.code == "I0"
        assert exchange.judged.signature.verified
        assert exchange.judged.response.schema_version == attribute


def test_critical_flow_pre_command_then_signed_pre_command(h: Harness) -> None:
    first, second = h.critical("6.24.2", target=ESME, credential_type="Digital Signature")
    assert first.judged.response.payload_kind == "PreCommand" and first.request.path == "/api/v1/serviceT"
    assert second.code == "I99" and second.request.path == "/api/v1/serviceS"
    (device_response,) = h.device_responses(second)
    assert device_response.response.code == "I0"
    assert device_response.response.response_id == second.request.request_id.response_id()
    assert device_response.signature.verified


def test_signed_pre_command_without_a_pre_command_is_e17(h: Harness) -> None:
    original = h.build("6.24.2", cv=4, target=ESME, credential_type="Digital Signature")
    follow = h.builder(IS).signed_pre_command(original, b"\xdf\x09" + b"\x00" * 30)
    assert h.send(follow).code == "E17"


def test_tampered_signed_pre_command_is_e17(h: Harness) -> None:
    first = h.request("6.24.2", cv=4, target=ESME, credential_type="Digital Signature")
    payload = bytearray(first.judged.response.gbcs_payload or b"")
    payload[-2] ^= 0xFF  # inside the content
    follow = h.builder(IS).signed_pre_command(first.request, bytes(payload) + b"")
    assert h.send(follow).code == "E17"


def test_read_inventory_by_every_selector(h: Harness) -> None:
    by_id = h.request("8.2", device_id=CHF).judged.response.inventory
    assert [(d.device_id, d.device_type, d.status) for d in by_id] == [(CHF, "CHF", "Commissioned")]
    by_uprn = h.request("8.2", uprn=100023336956).judged.response.inventory
    assert {d.device_type for d in by_uprn} == {"CHF", "GPF", "ESME", "GSME"}
    assert [d.device_id for d in h.request("8.2", mpxn="9876543210").judged.response.inventory] == [GSME]
    at = h.request("8.2", postcode="M22 0RR", address_identifier="Threapwood Road").judged.response.inventory
    assert len(at) == 4
    assert h.request("8.2", device_id="00-DB-12-34-56-78-90-FF").code == "E080201"


def test_update_inventory_and_prenotification(h: Harness) -> None:
    assert h.request("8.4", device_id=ESME, status="Pending").code == "I99"
    assert h.request("8.2", device_id=ESME).judged.response.inventory[0].status == "Pending"
    assert h.request("8.4", device_id=CHF, status="Withdrawn", communications_hub=True).code == "I99"
    assert h.request("8.4", device_id=ESME, status="Withdrawn", communications_hub=True).code == "E080405"
    new = "00-DB-12-34-56-78-90-B7"
    assert h.request("12.2", device_id=new, device_type="ESME").code == "I99"
    assert h.request("12.2", device_id=new, device_type="ESME").code == "E120201"
    assert h.request("8.2", device_id=new).judged.response.inventory[0].status == "Pending"


def test_one_user_may_hold_several_roles() -> None:
    """DCC Boxed's test supplier sends both electricity and gas: entries for one EUI add up to one user with both
    roles, and a request is authorised when any of them is eligible for the SRV (E2 only when none is)."""
    import copy

    from tests.reference_harness import OU, PREMISES

    inventory = copy.deepcopy(PREMISES)
    users = [u for u in inventory["users"] if u["eui"] != OU]
    inventory["users"] = [*users, {"eui": OU, "role": "OU"}, {"eui": OU, "role": "IS"}]
    h = Harness(inventory=inventory)
    user = h.dcc.inventory.user(OU)
    assert user is not None and user.roles == ("OU", "IS")
    assert h.request("12.1", user=OU, uprn=100023336956).code == "I0"  # eligible as OU (and as IS)
    assert h.request("8.14.2", user=OU, details=_install_details()).code != "E2"  # IS and GS only: eligible as IS
    lone = Harness()
    assert lone.request("8.14.2", user=OU, details=_install_details()).code == "E2"


def _install_details():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from pytest_dcc.duis.nondevice_bodies import InstallDetails
    from tests.reference_harness import CHF

    return InstallDetails(device_id=CHF, mpxn="1234567890123", install_datetime=datetime.now(UTC) - timedelta(hours=1))

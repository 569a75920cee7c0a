"""At-least-once delivery (issue 25, item 5): an identical re-delivery of a response is one response, reported and
never an error, whenever it arrives; a second, different response under the same identity is still an ERROR.

"Identical" is the signed content: the same header and body, whatever the signature's (random) ECDSA value and
whatever surrounds the root, so an endpoint that signs each attempt again is at-least-once too.
"""

from __future__ import annotations

import pytest
from lxml import etree

from pytest_dcc.duis import replies
from pytest_dcc.duis.build import RequestBuilder
from pytest_dcc.duis.ids import CounterStore, RequestID
from pytest_dcc.duis.pki import TestPki
from pytest_dcc.duis.schema import load_schema
from pytest_dcc.duis.signing import sign
from pytest_dcc.errors import DuplicateResponseError
from pytest_dcc.spec import DCC_EUI, NS_SR
from pytest_dcc.transport.admission import ResponseJudge
from pytest_dcc.transport.receiver import ResponseInbox

SUPPLIER = "90-B3-D5-1F-30-01-00-00"
ESME = "00-DB-12-34-56-78-90-A0"
SR = f"{{{NS_SR}}}"


@pytest.fixture(scope="module")
def pki() -> TestPki:
    return TestPki.generate([SUPPLIER])


@pytest.fixture
def inbox(pki: TestPki) -> ResponseInbox:
    return ResponseInbox(ResponseJudge(load_schema(None), pki.dsp_trust()))


@pytest.fixture
def request_id(tmp_path) -> RequestID:  # type: ignore[no-untyped-def]
    builder = RequestBuilder(SUPPLIER, CounterStore(tmp_path / "c.json"), "5.4")
    return builder.request("8.8.2", target=ESME, other_device_id="00-DB-12-34-56-78-90-A4").request_id


def _response(
    request_id: RequestID, code: str = "I0", *, with_id: bool = True, at: str | None = None
) -> etree._Element:
    root = replies.build_response(
        schema_version="5.4",
        code=code,
        srv="8.8.2",
        request_id=request_id,
        response_id=request_id.response_id() if with_id else None,
        payload=replies.gbcs_payload(b"\x01\x02\x03") if code == "I0" else None,
    )
    if at is not None:
        node = root.find(f"{SR}Header/{SR}ResponseDateTime")
        assert node is not None
        node.text = at
    return root


def _signed(pki: TestPki, root: etree._Element) -> bytes:
    sign(root, pki.identity(DCC_EUI))
    return replies.to_bytes(root)


@pytest.mark.parametrize("with_id", [True, False], ids=["with-response-id", "without-response-id"])
@pytest.mark.parametrize("again", ["same-bytes", "signed-again", "padded"])
def test_an_identical_redelivery_is_one_response_reported(
    pki: TestPki, inbox: ResponseInbox, request_id: RequestID, with_id: bool, again: str
) -> None:
    first = _signed(pki, _response(request_id, with_id=with_id))
    copy = {
        "same-bytes": first,
        "signed-again": _signed(pki, etree.fromstring(first)),  # a new ECDSA value over the same content
        "padded": first + b"\n\n",
    }[again]
    assert copy == first or again != "same-bytes"
    inbox.deliver(first)
    inbox.deliver(copy)
    inbox.deliver(copy)
    assert len(inbox.accepted) == 1
    assert inbox.redeliveries_of(request_id) == 2
    assert inbox.wait_for(request_id, 0.5)[0].response.code == "I0"
    inbox.check_no_duplicates([request_id], max_wait_s=0.1)  # no error


@pytest.mark.parametrize("with_id", [True, False], ids=["with-response-id", "without-response-id"])
@pytest.mark.parametrize("other", ["another-code", "another-time"])
def test_a_second_different_response_is_still_an_error(
    pki: TestPki, inbox: ResponseInbox, request_id: RequestID, with_id: bool, other: str
) -> None:
    inbox.deliver(_signed(pki, _response(request_id, with_id=with_id)))
    second = (
        _response(request_id, "E21", with_id=with_id)
        if other == "another-code"
        else _response(request_id, with_id=with_id, at="2031-01-01T00:00:00.000Z")
    )
    inbox.deliver(_signed(pki, second))
    with pytest.raises(DuplicateResponseError, match="different asynchronous responses"):
        inbox.check_no_duplicates([request_id], max_wait_s=0.1)
    with pytest.raises(DuplicateResponseError):
        inbox.wait_for(request_id, 0.5)


def test_a_late_identical_redelivery_is_reported_by_the_scenario(
    pki: TestPki, inbox: ResponseInbox, request_id: RequestID
) -> None:
    """A copy arriving after the scenario took its response (1 s later, say) changes nothing but the report."""
    from pytest_dcc.suite.context import Scenario, Target

    first = _signed(pki, _response(request_id))
    inbox.deliver(first)
    target = Target(
        transport=None,  # type: ignore[arg-type]
        inbox=inbox,
        driver=None,  # type: ignore[arg-type]
        release="latest",
        schema_version="5.4",
        counters=None,  # type: ignore[arg-type]
        identities={},
        roles={},
        timeout_s=0.5,
    )
    scenario = Scenario(target)
    scenario.report_redeliveries(request_id)
    assert not scenario.reports
    inbox.deliver(first)
    scenario.report_redeliveries(request_id)
    scenario.report_redeliveries(request_id)  # said once per count
    assert scenario.reports == [f"the response to {request_id} was delivered 2 times, identically: one response"]


# -- the settle after a scenario: a second response right behind the first, waited for only as long as it can come


def test_a_second_response_right_behind_the_first_is_caught_the_moment_it_comes(
    pki: TestPki, inbox: ResponseInbox, request_id: RequestID
) -> None:
    """The HTTP receiver's settle (issue 27, item 4): the check is woken by the second delivery, not by a clock."""
    import threading
    import time

    inbox.settle_s = 10.0  # longer than the test: only the arrival can end the wait early
    inbox.deliver(_signed(pki, _response(request_id)))
    second = _signed(pki, _response(request_id, "E21"))
    threading.Timer(0.05, inbox.deliver, (second,)).start()
    start = time.monotonic()
    with pytest.raises(DuplicateResponseError, match="different asynchronous responses"):
        inbox.check_no_duplicates([request_id], max_wait_s=20.0)
    assert time.monotonic() - start < 5.0


def test_responses_that_came_before_the_settle_cost_no_wait_and_others_requests_do_not_hold_it(
    pki: TestPki, inbox: ResponseInbox, request_id: RequestID, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import time
    import types

    from pytest_dcc.transport import receiver

    skipped = [0.0]  # the inbox's clock runs this much ahead: "ten seconds later" without waiting for them
    monkeypatch.setattr(receiver, "time", types.SimpleNamespace(monotonic=lambda: time.monotonic() + skipped[0]))
    builder = RequestBuilder(SUPPLIER, CounterStore(tmp_path / "o.json"), "5.4")
    other = builder.request("8.8.2", target="00-DB-12-34-56-78-90-A4", other_device_id=ESME).request_id  # its own ID
    inbox.deliver(_signed(pki, _response(request_id)))
    skipped[0] = 10.0
    inbox.deliver(_signed(pki, _response(other)))  # another request's response, just now
    inbox.settle_s = 2.0
    start = time.monotonic()
    inbox.check_no_duplicates([request_id])  # the old settle waited 2 s here, for the other request's delivery
    assert time.monotonic() - start < 1.0  # this request's response came long before: nothing to wait for
    inbox.settle_s = 0.3
    start = time.monotonic()
    inbox.check_no_duplicates([other])  # one that just came: its settle, then no error
    assert time.monotonic() - start >= 0.2

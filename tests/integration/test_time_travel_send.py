"""Time travel: send the awaited event. A waiting run's wait is prefilled from its `if`
expression; sending it stores a real event through ingest, which resumes the wait (the step's
memo is that event) and is audited. Data the wait would not accept is refused with nothing
sent, and so is every send while DEVSERVER_TIME_TRAVEL is off."""

from typing import Any

import pytest

from console import actions
from console.models import AuditEntry
from events.models import Event
from runs.models import RunStatus
from runs.timetravel import NothingToMove, TimeTravelOff
from runs.timetravel_send import NotAwaited, awaited_event_of
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, hashed, ops, wait_for_event

IF = 'async.data.orderId == event.data.orderId && async.data.plan == "pro"'
WAIT = wait_for_event("paid", "shop/order.paid", "1h", if_=IF)


@pytest.fixture
def waiting(fake_sdk: FakeSdk, settings: Any):
    settings.TIME_TRAVEL = True
    fake_sdk.add_function("fake-order", [ops(WAIT), completed("shipped")])
    fake_sdk.sync()
    [run] = send_event("test/go", {"orderId": "o-7"})
    run_until_quiet()
    run.refresh_from_db()
    assert run.status == RunStatus.WAITING
    return run


def test_the_awaited_event_is_prefilled_from_the_wait_expression(waiting):
    step, awaited = awaited_event_of(waiting.id)
    assert step.name == "paid" and awaited.name == "shop/order.paid"
    assert awaited.data == {"orderId": "o-7", "plan": "pro"} and awaited.complete


def test_sending_it_resumes_the_wait_with_a_real_event_and_is_audited(waiting, fake_sdk):
    _, awaited = awaited_event_of(waiting.id)
    sent = actions.send_awaited_event_now(None, waiting.id, "", awaited.data)
    assert sent.resumed and sent.step == "paid"
    event = Event.objects.get(pk=sent.event_id)
    assert event.name == "shop/order.paid" and event.data == {"orderId": "o-7", "plan": "pro"}
    run_until_quiet()
    waiting.refresh_from_db()
    assert waiting.status == RunStatus.COMPLETED
    memo = fake_sdk.calls()[-1].steps[hashed("paid")]
    assert memo["name"] == "shop/order.paid" and memo["data"]["plan"] == "pro"
    [entry] = AuditEntry.objects.filter(action="run.send_awaited_event")
    assert entry.target == waiting.id and entry.detail["event"] == sent.event_id
    with pytest.raises(NothingToMove, match="no waitForEvent step .paid. waiting"):
        actions.send_awaited_event_now(None, waiting.id, "paid", awaited.data)


def test_data_the_wait_would_not_accept_is_refused_and_nothing_is_sent(waiting):
    with pytest.raises(NotAwaited, match="does not satisfy"):
        actions.send_awaited_event_now(None, waiting.id, "paid", {"orderId": "o-7"})
    assert not Event.objects.filter(name="shop/order.paid").exists()
    assert not AuditEntry.objects.exists()
    waiting.refresh_from_db()
    assert waiting.status == RunStatus.WAITING


def test_a_console_without_time_travel_refuses_to_send(waiting, settings):
    settings.TIME_TRAVEL = False
    with pytest.raises(TimeTravelOff):
        actions.send_awaited_event_now(None, waiting.id, "", {"orderId": "o-7", "plan": "pro"})
    assert not Event.objects.filter(name="shop/order.paid").exists()
    assert not AuditEntry.objects.exists()


def test_the_run_page_form_is_prefilled_keeps_a_mistake_and_sends(waiting, client):
    step = waiting.steps.get(name="paid")
    panel = client.get(f"/runs/{waiting.id}/?step={step.hashed_id}").content.decode()
    assert 'id="send-awaited"' in panel
    form = client.get(f"/runs/{waiting.id}/send-awaited?step={step.hashed_id}").content.decode()
    assert "&quot;orderId&quot;: &quot;o-7&quot;" in form and "shop/order.paid" in form
    typed = '{"orderId": "o-7", "plan": "free"}'
    refused = client.post(
        f"/runs/{waiting.id}/send-awaited", {"step": step.hashed_id, "data": typed}
    ).content.decode()
    assert "does not satisfy" in refused and "&quot;free&quot;" in refused
    sent = client.post(
        f"/runs/{waiting.id}/send-awaited",
        {"step": step.hashed_id, "data": '{"orderId": "o-7", "plan": "pro"}'},
    )
    assert sent.status_code == 302 and sent.url.endswith(f"?step={step.hashed_id}")
    assert Event.objects.filter(name="shop/order.paid").count() == 1

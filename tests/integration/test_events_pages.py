"""The events list and event page in process: internal `inngest/*` events hidden unless asked,
"send again" offered (and accepted) only for user events, the live fragments (rows, the runs
of an event), and the list told over its websocket once stored events commit."""

import asyncio
from collections.abc import Callable

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client, override_settings

from devserver.asgi import application
from events.ingest import IncomingEvent, store_events
from events.models import Event
from runs import live
from runs.models import Run
from tests import one_loop
from tests.integration.flow_setup import send, sync_function

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_open_console")]


@pytest.fixture
def _open_console():
    with override_settings(REQUIRE_LOGIN=False):  # who may do what: test_access_control
        yield


def _internal(name: str = "inngest/function.finished") -> Event:
    [stored] = store_events([IncomingEvent.internal(name, {"function_id": "f"})]).stored
    return stored


def _row_ids(html: str) -> list[str]:
    return [part.split('"', 1)[0] for part in html.split('data-event-id="')[1:]]


def test_the_list_hides_internal_events_until_the_toggle_shows_them():
    user = send("shop/order.placed", {"total": 3})
    internal = _internal()
    hidden = Client().get("/events/").content.decode()
    assert user.id in _row_ids(hidden) and internal.id not in _row_ids(hidden)
    shown = Client().get("/events/", {"internal": "1"}).content.decode()
    assert {user.id, internal.id} <= set(_row_ids(shown))
    assert 'id="show-internal"' in shown and "checked" in shown.split('id="show-internal"')[1][:60]


def test_naming_an_internal_event_shows_it_without_the_toggle():
    internal = _internal("inngest/scheduled.timer")
    page = Client().get("/events/", {"name": "inngest/scheduled.timer"}).content.decode()
    assert _row_ids(page) == [internal.id]


def test_a_page_of_user_events_is_full_however_many_internal_events_are_newer():
    users = [send("shop/order.placed", {"n": n}) for n in range(3)]
    for _ in range(60):  # more than a page of internal events, all newer
        _internal()
    page = Client().get("/events/").content.decode()
    assert _row_ids(page) == [e.id for e in reversed(users)]


def test_send_again_is_offered_for_user_events_only():
    user = send("shop/order.placed")
    internal = _internal()
    listing = Client().get("/events/", {"internal": "1"}).content.decode()
    assert f'/events/{user.id}/resend"' in listing
    assert f'/events/{internal.id}/resend"' not in listing
    assert 'id="send-again"' in Client().get(f"/events/{user.id}/").content.decode()
    internal_page = Client().get(f"/events/{internal.id}/").content.decode()
    assert 'id="send-again"' not in internal_page and 'id="internal-note"' in internal_page


def test_an_internal_event_is_not_sent_again_even_when_asked():
    internal = _internal()
    answer = Client().post(f"/events/{internal.id}/resend")
    assert answer.status_code == 302 and answer["Location"] == f"/events/{internal.id}/"
    assert Event.objects.filter(name=internal.name).count() == 1


def test_the_api_and_the_command_refuse_to_send_an_internal_event_again():
    internal = _internal()
    answer = Client().post(f"/api/events/{internal.id}/resend")
    assert answer.status_code == 409 and "internal event" in answer.json()["error"]
    with pytest.raises(CommandError, match="internal event"):
        call_command("events", "resend", internal.id)
    assert Event.objects.filter(name=internal.name).count() == 1


def test_a_user_event_sent_again_is_a_new_event_with_the_same_data():
    user = send("shop/order.placed", {"total": 9})
    answer = Client().post(f"/events/{user.id}/resend")
    again = Event.objects.exclude(pk=user.id).get(name="shop/order.placed")
    assert answer["Location"] == f"/events/{again.id}/" and again.data == {"total": 9}


def test_the_rows_fragment_keeps_the_filters_and_refreshes_live_only_on_the_first_page():
    send("shop/order.placed")
    first = Client().get("/events/", {"name": "shop/order.placed"}).content.decode()
    assert 'data-live-socket="/ws/events/"' in first
    assert "fragment=rows" in first and "name=shop%2Forder.placed" in first
    rows = Client().get("/events/", {"fragment": "rows"}).content.decode()
    assert rows.lstrip().startswith('<tbody id="event-rows"')
    older = Client().get("/events/", {"cursor": "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"}).content.decode()
    assert "data-live-socket" not in older and "data-live-refresh" not in older


def test_times_carry_the_machine_readable_markup():
    user = send("shop/order.placed")
    stamp = user.received_at.isoformat()
    for path in ("/events/", f"/events/{user.id}/"):
        html = Client().get(path).content.decode()
        assert f'<time data-t datetime="{stamp}">' in html


def test_the_runs_fragment_lists_the_runs_an_event_started():
    sync_function("on-order", "shop/order.placed")
    event = send("shop/order.placed")
    html = Client().get(f"/events/{event.id}/runs").content.decode()
    [run] = Run.objects.filter(event=event)
    assert f'data-run-id="{run.id}"' in html and "flow-app-on-order" in html
    quiet = send("shop/nobody.listens")
    assert "No run yet" in Client().get(f"/events/{quiet.id}/runs").content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_events_socket_is_told_once_stored_events_commit(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(live, "_loop", None)  # restored after: this test's loop closes

    async def scenario() -> tuple[dict, bool]:
        live.use_event_loop(asyncio.get_running_loop())
        headers = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]
        communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
        connected, _ = await communicator.connect()
        assert connected
        await sync_to_async(_in_thread(_rolled_back_send))()
        silent = await communicator.receive_nothing(timeout=0.3)
        await sync_to_async(_in_thread(lambda: send("shop/order.placed")))()
        told = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return told, silent

    told, silent_after_rollback = one_loop.run(scenario())
    assert silent_after_rollback
    assert told == {"kind": "events", "count": 1}


def _in_thread(work: Callable[[], object]) -> Callable[[], None]:
    """Run `work` in asgiref's worker thread, closing the connection it opened there (the test
    database cannot be dropped while a connection of that thread stays open)."""

    def run() -> None:
        try:
            work()
        finally:
            connection.close()

    return run


def _rolled_back_send() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        send("shop/order.placed")
        raise RuntimeError("roll the events back")

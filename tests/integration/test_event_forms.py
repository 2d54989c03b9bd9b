"""The send-event and invoke forms in process: what was typed survives an error (with htmx and
without scripts), the known event names come with their latest data as templates, and a sent
event's result follows the runs it starts."""

import html
import json

import pytest
from django.test import Client, override_settings

from console.pages.event_templates import MAX_TEMPLATE_DATA_BYTES, known_templates
from events.ingest import IncomingEvent, store_events
from events.models import Event
from runs.models import Run
from tests.integration.flow_setup import send, sync_function

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_open_console")]
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def _open_console():
    with override_settings(REQUIRE_LOGIN=False):  # who may do what: test_access_control
        yield


def _textarea(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    inner = page[page.index(">", start) + 1 : page.index("</textarea>", start)]
    return html.unescape(inner)


def test_a_send_without_scripts_that_fails_keeps_the_body_as_typed():
    typed = '{"name": "shop/<order>", "data": {'
    answer = Client().post("/events/send/", {"body": typed})
    page = answer.content.decode()
    assert answer.status_code == 422
    assert _textarea(page, "event-body") == typed
    assert 'id="send-error"' in page and "Invalid JSON at line 1" in page
    assert not Event.objects.exists()


def test_a_send_from_htmx_that_fails_answers_the_error_alone():
    answer = Client().post("/events/send/", {"body": '{"data": {}}'}, **HTMX)
    assert answer.status_code == 422
    fragment = answer.content.decode()
    assert 'id="send-error"' in fragment and "name" in fragment and "<textarea" not in fragment


def test_a_sent_event_is_followed_by_a_live_list_of_its_runs():
    body = json.dumps([{"name": "shop/a"}, {"name": "shop/b"}])
    answer = Client().post("/events/send/", {"body": body}, **HTMX)
    fragment = answer.content.decode()
    ids = list(Event.objects.order_by("id").values_list("id", flat=True))
    assert answer.status_code == 200 and "Sent 2 events" in fragment
    for event_id in ids:
        assert f'hx-get="/events/{event_id}/runs"' in fragment
    assert fragment.count("data-live-refresh") == 2


def test_the_send_page_listens_for_runs_so_the_followed_list_refreshes():
    page = Client().get("/events/send/").content.decode()
    assert 'data-live-socket="/ws/runs/"' in page


def test_templates_offer_trigger_names_and_recent_events_with_their_latest_data():
    sync_function("on-order", "shop/order.placed")
    sync_function("on-any", "shop/*")  # a wildcard is not a name one can send
    send("shop/order.placed", {"total": 1})
    send("shop/order.placed", {"total": 2})
    send("shop/refund", {"why": "late"})
    send("shop/huge", {"blob": "x" * MAX_TEMPLATE_DATA_BYTES})
    store_events([IncomingEvent.internal("inngest/function.finished", {"x": 1})])
    templates = {t.name: t for t in known_templates()}
    assert set(templates) == {"shop/order.placed", "shop/refund", "shop/huge"}
    assert (
        templates["shop/order.placed"].data == {"total": 2}
        and templates["shop/order.placed"].from_trigger
    )
    assert (
        templates["shop/refund"].data == {"why": "late"}
        and not templates["shop/refund"].from_trigger
    )
    assert templates["shop/huge"].data == {}
    page = Client().get("/events/send/").content.decode()
    filled = html.escape(templates["shop/refund"].body(), quote=True)
    assert f'data-template="{filled}"' in page


def test_an_invoke_that_fails_keeps_the_data_as_typed_and_says_why():
    function = sync_function("on-order", "shop/order.placed")
    for typed, reason in [('{"a": ', "not valid JSON"), ("[1, 2]", "must be a JSON object")]:
        answer = Client().post(f"/functions/{function.slug}/invoke", {"data": typed})
        page = answer.content.decode()
        assert answer.status_code == 422
        assert _textarea(page, "invoke-data") == typed
        assert 'id="invoke-error"' in page and reason in page
    assert not Run.objects.exists()


def test_an_invoke_opens_the_run_it_started():
    function = sync_function("on-order", "shop/order.placed")
    answer = Client().post(f"/functions/{function.slug}/invoke", {"data": '{"via": "form"}'})
    run = Run.objects.get(function=function)
    assert answer.status_code == 302 and answer["Location"] == f"/runs/{run.id}/"


def test_the_invoke_form_offers_the_latest_data_of_the_functions_trigger_events():
    function = sync_function("on-order", "shop/order.placed")
    send("shop/order.placed", {"total": 5})
    page = Client().get(f"/functions/{function.slug}/").content.decode()
    assert 'id="invoke-templates"' in page
    assert html.escape(json.dumps({"total": 5}, indent=2)) in page

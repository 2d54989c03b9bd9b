"""`POST /e/{key}`: what is accepted, what is refused with a 400 naming the field, and that a
refused request stores nothing."""

import json

import pytest
from django.test import Client, override_settings

from events.models import Event
from tests.harness import EVENT_KEY

pytestmark = pytest.mark.django_db


def post(client: Client, body: object | bytes) -> tuple[int, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.post(f"/e/{EVENT_KEY}", data=raw, content_type="application/json")
    return response.status_code, response.json()


def test_single_event_is_stored_and_its_id_returned(client: Client):
    status, body = post(client, {"name": "shop/order.placed", "data": {"total": 12}})
    assert status == 200 and body["status"] == 200
    [event_id] = body["ids"]
    event = Event.objects.get(pk=event_id)
    assert event.name == "shop/order.placed" and event.data == {"total": 12}


def test_list_of_events_returns_one_id_per_event_in_order(client: Client):
    status, body = post(client, [{"name": f"e/{i}"} for i in range(3)])
    assert status == 200
    assert [Event.objects.get(pk=i).name for i in body["ids"]] == ["e/0", "e/1", "e/2"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{not json", "body is not valid JSON"),
        (b'"just a string"', "body must be an event object or a list of events, got string"),
        (b"[]", "body is an empty list"),
        ({"data": {}}, "name is required"),
        ({"name": 42}, "name must be a non-empty string, got int"),
        ({"name": ""}, "name must be a non-empty string"),
        ({"name": "x", "data": [1, 2]}, "data must be an object, got list"),
        ({"name": "x", "data": "text"}, "data must be an object, got string"),
        ({"name": "x", "user": 3}, "user must be an object, got int"),
        ({"name": "x", "id": 7}, "id must be a string, got int"),
        ({"name": "x", "ts": "yesterday"}, "ts must be a time in ms since the epoch"),
        ([{"name": "ok"}, {"name": "ok"}, {"data": {}}], "events[2].name is required"),
        ([{"name": "ok"}, "nope"], "events[1] must be an object, got string"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(client, payload, message):
    status, body = post(client, payload)
    assert status == 400
    assert message in body["error"]
    assert Event.objects.count() == 0


@override_settings(EVENT_MAX_BYTES=2048)
def test_event_over_the_size_limit_is_refused(client: Client):
    status, body = post(client, [{"name": "small"}, {"name": "big", "data": {"blob": "x" * 4096}}])
    assert status == 400
    assert "events[1] is" in body["error"] and "over the limit of 2048" in body["error"]
    assert Event.objects.count() == 0


def test_request_over_the_request_limit_gets_413(client: Client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    status, body = post(client, {"name": "x", "data": {"blob": "y" * 5000}})
    assert status == 413 and "over the limit" in body["error"]
    assert Event.objects.count() == 0


def test_sender_id_deduplicates_within_24_hours(client: Client):
    _, first = post(client, {"name": "pay", "id": "order-1"})
    _, again = post(client, [{"name": "pay", "id": "order-1"}, {"name": "pay", "id": "order-2"}])
    assert again["ids"][0] == first["ids"][0]
    assert Event.objects.filter(external_id="order-1").count() == 1
    assert Event.objects.count() == 2


def test_events_keep_the_sender_id_as_their_payload_id(client: Client):
    _, body = post(client, {"name": "pay", "id": "order-9", "ts": 1700000000000, "v": "2024-01"})
    payload = Event.objects.get(pk=body["ids"][0]).payload()
    assert payload == {
        "id": "order-9",
        "name": "pay",
        "data": {},
        "ts": 1700000000000,
        "v": "2024-01",
    }


def test_get_is_not_allowed(client: Client):
    assert client.get("/e/key").status_code == 405


def test_nul_characters_are_refused_before_they_reach_the_database(client: Client):
    status, body = post(client, b'{"name": "pay", "data": {"note": "a\\u0000b"}}')
    assert status == 400 and "NUL" in body["error"]
    assert Event.objects.count() == 0
    response = client.get("/api/runs", {"function": "a\x00b"})
    assert response.status_code == 400 and "NUL" in response.json()["error"]


def test_nan_and_infinity_are_not_json_and_are_refused(client: Client):
    for raw in (b'{"name": "pay", "data": {"x": NaN}}', b'[{"name": "pay", "ts": Infinity}]'):
        status, body = post(client, raw)
        assert status == 400 and "not valid JSON" in body["error"]
    assert Event.objects.count() == 0

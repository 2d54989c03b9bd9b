"""`POST /e/{key}` with a list: stored in one insert, sender ids deduplicated within the
request as well as against the last 24 h."""

import json
from datetime import timedelta

import pytest
from django.test import Client

from events.models import Event
from tests.harness import EVENT_KEY

pytestmark = pytest.mark.django_db


def post(client: Client, body: object) -> list[str]:
    response = client.post(f"/e/{EVENT_KEY}", json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["ids"]


def test_repeated_sender_id_in_one_request_is_stored_once(client: Client):
    ids = post(client, [{"name": "pay", "id": "o-1"}, {"name": "pay", "id": "o-1"}, {"name": "x"}])
    assert ids[0] == ids[1] != ids[2]
    assert Event.objects.filter(external_id="o-1").count() == 1
    assert Event.objects.count() == 2


def test_a_batch_of_a_thousand_events_with_sender_ids_is_stored_in_order(client: Client):
    body = [{"name": "bulk", "id": f"b-{i}", "data": {"i": i}} for i in range(1000)]
    ids = post(client, body)
    assert [Event.objects.get(pk=i).data["i"] for i in ids[::111]] == list(range(0, 1000, 111))
    again = post(client, body)  # every sender id is known now: nothing new is stored
    assert again == ids and Event.objects.count() == 1000


def test_sender_id_older_than_24_hours_is_stored_again(client: Client):
    [first] = post(client, {"name": "pay", "id": "o-2"})
    Event.objects.filter(pk=first).update(
        received_at=Event.objects.get(pk=first).received_at - timedelta(hours=25)
    )
    [second] = post(client, {"name": "pay", "id": "o-2"})
    assert second != first
    assert Event.objects.filter(external_id="o-2").count() == 2

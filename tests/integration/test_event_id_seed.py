"""`POST /e/{key}` with the SDK's `x-inngest-event-id-seed`: the events' ids come from the
seed, so a send the SDK retries (same body, same seed: its first answer was lost) is answered
with the same ids and stores nothing again, and its events start their runs once."""

import base64
import json

from django.test import Client

from events.models import Event
from runs.models import Run
from tests.harness import EVENT_KEY
from tests.integration.fake_sdk import FakeSdk, completed

SEED = f"1743130137367,{base64.b64encode(b'0123456789').decode()}"


def post(client: Client, body: object, seed: str | None) -> list[str]:
    headers = {"HTTP_X_INNGEST_EVENT_ID_SEED": seed} if seed else {}
    response = client.post(
        f"/e/{EVENT_KEY}", json.dumps(body), content_type="application/json", **headers
    )
    assert response.status_code == 200, response.content
    return response.json()["ids"]


def test_a_retried_send_is_stored_once_and_starts_its_runs_once(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-seeded", [completed("ok")] * 4)
    fake_sdk.sync()
    client = Client()
    batch = [{"name": "test/go", "data": {"n": 1}}, {"name": "test/go", "data": {"n": 2}}]

    first = post(client, batch, SEED)
    again = post(client, batch, SEED)

    assert again == first and len(set(first)) == 2
    assert sorted(Event.objects.values_list("id", flat=True)) == sorted(first)
    assert Run.objects.filter(event_id__in=first).count() == 2
    assert Run.objects.count() == 2


def test_another_seed_or_none_stores_new_events(fake_sdk: FakeSdk):
    client = Client()
    event = {"name": "test/other", "data": {}}
    seeded = post(client, event, SEED)
    other = post(client, event, f"1743130137367,{base64.b64encode(b'9876543210').decode()}")
    unseeded = [post(client, event, None), post(client, event, "garbage")]
    assert len({*seeded, *other, *(ids[0] for ids in unseeded)}) == 4
    assert Event.objects.count() == 4


def test_a_sender_id_still_deduplicates_a_seeded_send(fake_sdk: FakeSdk):
    client = Client()
    [first] = post(client, {"name": "test/pay", "id": "order-1"}, SEED)
    other_seed = f"1743130137999,{base64.b64encode(b'abcdefghij').decode()}"
    [second] = post(client, {"name": "test/pay", "id": "order-1"}, other_seed)
    assert second == first and Event.objects.count() == 1

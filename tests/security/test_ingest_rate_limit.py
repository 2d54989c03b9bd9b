"""A per-key ingest rate limit: past DEVSERVER_INGEST_RATE_LIMIT requests per second for one
event key, `POST /e/` answers 429 with Retry-After and stores nothing; other keys go on; the
dev server has no limit."""

import json
import time
import uuid

import pytest
from django.test import Client, override_settings

from events.models import Event

BODY = json.dumps({"name": "t/e", "data": {}})
# Keys of this test run only: counters are shared (Redis in staging) and never cleared here.
KEY_A, KEY_B = f"key-a-{uuid.uuid4().hex}", f"key-b-{uuid.uuid4().hex}"


def _send(client: Client, key: str) -> int:
    return client.post(f"/e/{key}", BODY, content_type="application/json").status_code


def _start_of_a_second() -> None:
    """Counting windows are whole seconds: start a burst early in one."""
    time.sleep(1 - time.time() % 1 + 0.01)


@pytest.mark.django_db
@override_settings(EVENT_KEYS=[KEY_A, KEY_B], INGEST_RATE_LIMIT=5)
def test_a_key_over_its_rate_gets_429_with_retry_after_and_stores_nothing():
    client = Client()
    _start_of_a_second()
    codes = [_send(client, KEY_A) for _ in range(8)]
    assert codes == [200] * 5 + [429] * 3
    refused = client.post(f"/e/{KEY_A}", BODY, content_type="application/json")
    assert refused["Retry-After"] == "1" and "requests per second" in refused.json()["error"]
    assert Event.objects.count() == 5
    assert _send(client, KEY_B) == 200  # another key has its own count


@pytest.mark.django_db
@override_settings(EVENT_KEYS=[], INGEST_RATE_LIMIT=0)
def test_the_dev_server_has_no_limit():
    client = Client()
    assert {_send(client, "any") for _ in range(50)} == {200}

"""A per-key ingest rate limit: past DEVSERVER_INGEST_RATE_LIMIT requests per second for one
event key, `POST /e/` answers 429 with Retry-After and stores nothing; other keys go on; the
dev server has no limit."""

import json
import time
import uuid
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from events import rate_limit
from events.models import Event

BODY = json.dumps({"name": "t/e", "data": {}})
# Keys of this test run only: counters are shared (Redis in staging) and never cleared here.
KEY_A, KEY_B = f"key-a-{uuid.uuid4().hex}", f"key-b-{uuid.uuid4().hex}"


def _send(client: Client, key: str) -> int:
    return client.post(f"/e/{key}", BODY, content_type="application/json").status_code


class _Counters:
    """The shared cache, its counters kept a minute instead of 3 s."""

    def add(self, key: str, value: int, timeout: float) -> bool:
        return cache.add(key, value, timeout=60)

    def incr(self, key: str) -> int:
        return cache.incr(key)


@pytest.fixture
def one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request of the test falls in one counting window, however slow the machine: the
    limiter's clock stands still and its counters outlive the test (a burst spread over a
    second's end, or past a counter's 3 s, would start counting afresh)."""
    now = time.time()
    monkeypatch.setattr(rate_limit, "time", SimpleNamespace(time=lambda: now))
    monkeypatch.setattr(rate_limit, "cache", _Counters())


@pytest.mark.django_db
@pytest.mark.usefixtures("one_window")
@override_settings(EVENT_KEYS=[KEY_A, KEY_B], INGEST_RATE_LIMIT=5)
def test_a_key_over_its_rate_gets_429_with_retry_after_and_stores_nothing():
    client = Client()
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

"""Leases: each claim holds its item under its own token, and the heartbeat renews only
items being driven, so a lapsed or abandoned lease can never leave two executors (or none)."""

from datetime import timedelta

import pytest

from foundation import clock
from runs import queue
from runs.models import Function, QueueItem
from runs.registration import parse_registration, register
from runs.triggers import start_run

pytestmark = pytest.mark.django_db


def _queued_item_id() -> str:
    url = "http://127.0.0.1:9/api/inngest"
    step = {"id": "step", "name": "step", "runtime": {"type": "http", "url": url}}
    triggers = [{"event": "l/go"}]
    function = {"id": "l-fn", "name": "fn", "triggers": triggers, "steps": {"step": step}}
    register(parse_registration({"url": url, "appName": "l", "functions": [function]}), 4)
    run = start_run(Function.objects.get(slug="l-fn"), None)
    return run.queue_items.get().id


def _lapse(item_id: str) -> None:
    QueueItem.objects.filter(pk=item_id).update(lease_until=clock.now() - timedelta(seconds=1))


def test_item_claimed_again_in_the_same_process_is_lost_by_the_stale_claim():
    item_id = _queued_item_id()
    stale = queue.claim(item_id)
    _lapse(item_id)  # e.g. the clock jumped forward while its SDK call was in flight
    current = queue.claim(item_id)

    assert stale is not None and current is not None
    with pytest.raises(queue.LeaseLost):
        queue.confirm_lease(stale)  # it must store nothing more
    with pytest.raises(queue.LeaseLost):
        queue.finish(stale)
    queue.confirm_lease(current)


def test_heartbeat_renews_only_the_items_this_process_is_driving():
    item_id = _queued_item_id()
    assert queue.claim(item_id) is not None

    assert queue.renew_leases() == 0  # its executor died: let the lease lapse
    with queue.driving(item_id):
        assert queue.renew_leases() == 1

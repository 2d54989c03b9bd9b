"""The inspector's state (runs/flow_state.py) through its API twin and `manage.py functions
inspect`: a throttle window and the run it queued, a debounce hold with its events and
release time, a rate-limit window that is full, concurrency slots and who holds them."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client

from runs.models import QueueItem

from .flow_setup import (
    frozen_clock_fixture,  # noqa: F401  (the frozen_clock fixture)
    runs_of,
    send,
    sync_function,
)

pytestmark = pytest.mark.django_db


def _flow(slug: str) -> dict:
    response = Client().get(f"/api/functions/{slug}/flow")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_throttle_window_and_the_run_it_queued_are_shown(frozen_clock):
    fn = sync_function("throttled", "test/t", throttle={"limit": 1, "period": "1m"})
    now = frozen_clock.now()
    send("test/t")
    send("test/t")
    [window] = _flow(fn.slug)["windows"]
    assert window["kind"] == "throttle" and window["limit"] == 1 and window["used"] == 1
    # The second run is queued for +1 min, so a third event would start at +2 min.
    assert window["next_allowed_at"].startswith((now + timedelta(minutes=2)).isoformat()[:19])
    [queued] = _flow(fn.slug)["throttled_runs"]
    assert queued["run_id"] == runs_of(fn)[-1].id
    assert queued["due_at"].startswith((now + timedelta(minutes=1)).isoformat()[:19])


def test_a_debounce_hold_lists_its_events_and_release_time(frozen_clock):
    fn = sync_function("debounced", "test/d", debounce={"period": "30s", "key": "event.data.u"})
    first = send("test/d", {"u": "ada"})
    frozen_clock.advance(seconds=10)
    last = send("test/d", {"u": "ada"})
    [hold] = _flow(fn.slug)["holds"]
    assert hold["kind"] == "debounce" and hold["key"] == "ada" and hold["events"] == 2
    assert hold["event_ids"] == [first.id, last.id]
    release = frozen_clock.now() + timedelta(seconds=30)
    assert hold["release_at"].startswith(release.isoformat()[:19])


def test_a_full_rate_limit_window_says_when_it_reopens(frozen_clock):
    fn = sync_function("limited", "test/r", rateLimit={"limit": 1, "period": "1h"})
    send("test/r")
    send("test/r")
    [window] = _flow(fn.slug)["windows"]
    assert window["kind"] == "rateLimit" and window["used"] == 1
    reopen = frozen_clock.now() + timedelta(hours=1)
    assert window["next_allowed_at"].startswith(reopen.isoformat()[:19])


def test_concurrency_slots_name_the_runs_holding_them(frozen_clock):
    fn = sync_function("one-at-a-time", "test/c", concurrency={"limit": 1})
    send("test/c")
    send("test/c")
    holder, waiter = runs_of(fn)
    QueueItem.objects.filter(run=holder).update(
        lease_owner="w#1", lease_until=frozen_clock.now() + timedelta(minutes=1)
    )
    QueueItem.objects.filter(run=waiter).update(waiting_on=f"fn:{fn.slug}:")
    [slot] = _flow(fn.slug)["concurrency"]
    assert slot["key"] == f"fn:{fn.slug}:" and slot["limit"] == 1
    assert (slot["in_use"], slot["holders"], slot["waiting"]) == (1, [holder.id], 1)
    out = io.StringIO()
    call_command("functions", "inspect", fn.slug, stdout=out)
    assert json.loads(out.getvalue())["concurrency"][0]["holders"] == [holder.id]


def test_a_function_with_no_flow_control_state_has_empty_lists(frozen_clock):
    fn = sync_function("plain", "test/p")
    state = _flow(fn.slug)
    assert (state["concurrency"], state["windows"], state["holds"]) == ([], [], [])
    assert Client().get("/api/functions/no-such-fn/flow").status_code == 404

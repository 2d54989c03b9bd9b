"""throttle: over the limit, runs are not dropped but queued until their evenly spaced start
(with `burst` allowed at once); each delay is a Decision linked to the run it delayed."""

from datetime import timedelta

import pytest

from flowcontrol.models import DecisionKind

from .flow_setup import (
    decisions_for,
    frozen_clock_fixture,  # noqa: F401  (the frozen_clock fixture)
    items_of,
    runs_of,
    send,
    sync_function,
)

pytestmark = pytest.mark.django_db

EVENT = "test/throttle"


@pytest.fixture
def throttled(frozen_clock):
    return sync_function(
        "throttled", EVENT, throttle={"limit": 2, "period": "1m", "key": "event.data.user"}
    )


def test_an_event_under_the_limit_queues_its_run_now(throttled, frozen_clock):
    event = send(EVENT, {"user": "u1"})
    [run] = runs_of(throttled)
    [item] = items_of(run)
    assert item.due_at == frozen_clock.now() and item.reason == "start"
    assert decisions_for(event) == []


def test_throttled_event_is_queued_until_its_slot_and_recorded(throttled, frozen_clock):
    now = frozen_clock.now()
    send(EVENT, {"user": "u1"})
    late = send(EVENT, {"user": "u1"})
    [run] = late.runs.all()
    [item] = items_of(run)
    assert item.due_at == now + timedelta(seconds=30) and item.reason == "throttled"
    [decision] = decisions_for(late)
    assert decision.kind == DecisionKind.THROTTLED and decision.run == run
    assert decision.key == "u1" and item.due_at.isoformat() in decision.detail


def test_throttle_never_drops_and_spaces_starts_one_interval_apart(throttled, frozen_clock):
    now = frozen_clock.now()
    for _ in range(5):
        send(EVENT, {"user": "u1"})
    due = [items_of(run)[0].due_at - now for run in runs_of(throttled)]
    assert due == [timedelta(seconds=s) for s in (0, 30, 60, 90, 120)]


def test_throttle_counts_each_key_separately(throttled, frozen_clock):
    send(EVENT, {"user": "u1"})
    send(EVENT, {"user": "u1"})
    other = send(EVENT, {"user": "u2"})
    assert items_of(other.runs.get())[0].due_at == frozen_clock.now()


def test_throttle_burst_starts_that_many_at_once(frozen_clock):
    function = sync_function("bursty", EVENT, throttle={"limit": 1, "period": "10s", "burst": 3})
    now = frozen_clock.now()
    for _ in range(4):
        send(EVENT)
    due = [items_of(run)[0].due_at - now for run in runs_of(function)]
    assert due == [timedelta(0), timedelta(0), timedelta(0), timedelta(seconds=10)]


def test_a_throttle_slot_frees_as_time_passes(throttled, frozen_clock):
    send(EVENT, {"user": "u1"})
    send(EVENT, {"user": "u1"})
    frozen_clock.advance(seconds=61)
    later = send(EVENT, {"user": "u1"})
    assert items_of(later.runs.get())[0].due_at == frozen_clock.now()

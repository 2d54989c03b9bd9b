"""debounce: events are held while more keep arriving; once `period` passes quietly (or
`timeout` after the first), one run starts with the last event, and every held event's
Decision points at it."""

from datetime import timedelta

import pytest

from flowcontrol.models import DecisionKind, Pending
from runs.tasks import flush_pending

from .flow_setup import (
    decisions_for,
    frozen_clock_fixture,  # noqa: F401  (the frozen_clock fixture)
    runs_of,
    send,
    sync_function,
)

pytestmark = pytest.mark.django_db

EVENT = "test/debounce"


@pytest.fixture
def debounced(frozen_clock):
    return sync_function(
        "debounced",
        EVENT,
        debounce={"period": "10s", "key": "event.data.user", "timeout": "30s"},
    )


def test_a_debounced_event_is_held_and_recorded(debounced, frozen_clock):
    event = send(EVENT, {"user": "u1"})
    assert runs_of(debounced) == []
    [pending] = Pending.objects.filter(function=debounced)
    assert pending.kind == "debounce" and pending.key == "u1"
    assert pending.event_ids == [event.id]
    assert pending.due_at == frozen_clock.now() + timedelta(seconds=10)
    [decision] = decisions_for(event)
    assert decision.kind == DecisionKind.DEBOUNCED and decision.run is None


def test_each_new_event_pushes_the_start_back_by_the_period(debounced, frozen_clock):
    send(EVENT, {"user": "u1"})
    frozen_clock.advance(seconds=6)
    send(EVENT, {"user": "u1"})
    assert Pending.objects.get().due_at == frozen_clock.now() + timedelta(seconds=10)


def test_nothing_starts_before_the_period_has_passed_quietly(debounced, frozen_clock):
    send(EVENT, {"user": "u1"})
    frozen_clock.advance(seconds=9)
    flush_pending()
    assert runs_of(debounced) == [] and Pending.objects.count() == 1


def test_last_event_wins_when_the_debounce_ends(debounced, frozen_clock):
    events = [send(EVENT, {"user": "u1", "n": n}) for n in range(4)]
    frozen_clock.advance(seconds=10)
    flush_pending()
    [run] = runs_of(debounced)
    assert run.event_id == events[-1].id and run.batch_event_ids == []
    assert not Pending.objects.exists()
    assert all(decisions_for(event)[0].run == run for event in events)


def test_timeout_caps_the_wait_counted_from_the_first_event(debounced, frozen_clock):
    first_at = frozen_clock.now()
    for _ in range(5):  # an event every 8 s: the 10 s period alone would never run out
        send(EVENT, {"user": "u1"})
        frozen_clock.advance(seconds=8)
    assert Pending.objects.get().due_at == first_at + timedelta(seconds=30)
    flush_pending()  # the clock is at first + 40 s
    [run] = runs_of(debounced)
    assert run.queued_at == first_at + timedelta(seconds=40)


def test_each_key_is_debounced_separately(debounced, frozen_clock):
    a = send(EVENT, {"user": "a"})
    b = send(EVENT, {"user": "b"})
    assert Pending.objects.filter(function=debounced).count() == 2
    frozen_clock.advance(seconds=10)
    flush_pending()
    assert sorted(run.event_id for run in runs_of(debounced)) == sorted([a.id, b.id])


def test_a_matching_cancel_event_drops_the_held_events(frozen_clock):
    function = sync_function(
        "debounced-cancellable",
        EVENT,
        debounce={"period": "10s"},
        cancel=[{"event": "test/debounce.cancel", "if": "event.data.user == async.data.user"}],
    )
    held = send(EVENT, {"user": "u1"})
    send("test/debounce.cancel", {"user": "u2"})  # another user's: no effect
    assert Pending.objects.filter(function=function).exists()
    send("test/debounce.cancel", {"user": "u1"})
    assert not Pending.objects.filter(function=function).exists()
    assert [d.kind for d in decisions_for(held)] == [DecisionKind.DEBOUNCED, DecisionKind.CANCELLED]
    frozen_clock.advance(seconds=10)
    flush_pending()
    assert runs_of(function) == []

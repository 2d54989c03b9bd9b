"""batchEvents: events are gathered per key; a full batch starts one run with all of them in
order, and a partial one starts when its timeout (from the first event) runs out."""

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

EVENT = "test/batch"


@pytest.fixture
def batched(frozen_clock):
    return sync_function("batched", EVENT, batchEvents={"maxSize": 3, "timeout": "5s"})


def test_a_partial_batch_is_held_and_each_event_recorded(batched, frozen_clock):
    first, second = send(EVENT, {"n": 1}), send(EVENT, {"n": 2})
    assert runs_of(batched) == []
    [pending] = Pending.objects.filter(function=batched)
    assert pending.kind == "batch" and pending.event_ids == [first.id, second.id]
    assert pending.due_at == frozen_clock.now() + timedelta(seconds=5)
    [decision] = decisions_for(second)
    assert decision.kind == DecisionKind.BATCHED and "(2 of 3)" in decision.detail


def test_a_full_batch_starts_one_run_with_every_event_in_order(batched):
    events = [send(EVENT, {"n": n}) for n in range(3)]
    [run] = runs_of(batched)
    assert run.batch_event_ids == [e.id for e in events] and run.event_id == events[0].id
    assert not Pending.objects.exists()
    assert all(decisions_for(event)[0].run == run for event in events)


def test_the_event_after_a_full_batch_starts_a_new_batch(batched):
    for n in range(4):
        send(EVENT, {"n": n})
    assert len(runs_of(batched)) == 1
    assert len(Pending.objects.get(function=batched).event_ids) == 1


def test_a_partial_batch_starts_when_its_timeout_runs_out(batched, frozen_clock):
    events = [send(EVENT, {"n": n}) for n in range(2)]
    frozen_clock.advance(seconds=4)
    flush_pending()
    assert runs_of(batched) == []
    frozen_clock.advance(seconds=1)
    flush_pending()
    [run] = runs_of(batched)
    assert run.batch_event_ids == [e.id for e in events]


def test_the_timeout_counts_from_the_first_event_not_the_last(batched, frozen_clock):
    started = frozen_clock.now()
    send(EVENT)
    frozen_clock.advance(seconds=4)
    send(EVENT)
    assert Pending.objects.get().due_at == started + timedelta(seconds=5)


def test_batches_are_gathered_per_key(frozen_clock):
    function = sync_function(
        "batched-by-tenant",
        EVENT,
        batchEvents={"maxSize": 2, "timeout": "1m", "key": "event.data.tenant"},
    )
    a1, b1, a2 = (
        send(EVENT, {"tenant": "a"}),
        send(EVENT, {"tenant": "b"}),
        send(EVENT, {"tenant": "a"}),
    )
    [run] = runs_of(function)
    assert run.batch_event_ids == [a1.id, a2.id]
    assert Pending.objects.get(function=function).event_ids == [b1.id]


def test_an_event_failing_the_batch_condition_runs_on_its_own(frozen_clock):
    function = sync_function(
        "batched-if",
        EVENT,
        batchEvents={"maxSize": 5, "timeout": "1m", "if": "event.data.bulk == true"},
    )
    single = send(EVENT, {"bulk": False})
    send(EVENT, {"bulk": True})
    [run] = runs_of(function)
    assert run.event_id == single.id and run.batch_event_ids == []
    assert decisions_for(single) == []

"""priority.run: an expression giving seconds (-600..600) by which a run's queue item jumps
ahead of (or falls behind) others waiting in the same queue."""

from datetime import timedelta

import pytest

from .flow_setup import (
    frozen_clock_fixture,  # noqa: F401  (the frozen_clock fixture)
    items_of,
    send,
    sync_function,
)

pytestmark = pytest.mark.django_db

EVENT = "test/priority"


@pytest.fixture
def prioritized(frozen_clock):
    return sync_function("prioritized", EVENT, priority={"run": "event.data.priority"})


@pytest.mark.parametrize(
    ("priority", "shift"),
    [(120, -120), (-30, 30), (0, 0), (5000, -600), (-5000, 600), (1.5, -1.5)],
)
def test_priority_moves_the_run_in_the_queue_by_its_seconds_within_ten_minutes(
    prioritized, frozen_clock, priority, shift
):
    event = send(EVENT, {"priority": priority})
    [item] = items_of(event.runs.get())
    assert item.due_at - frozen_clock.now() == timedelta(seconds=shift)


@pytest.mark.parametrize("data", [{}, {"priority": "high"}, {"priority": True}])
def test_a_priority_that_is_not_a_number_leaves_the_run_in_place(prioritized, frozen_clock, data):
    event = send(EVENT, data)
    assert items_of(event.runs.get())[0].due_at == frozen_clock.now()


def test_a_high_priority_run_is_queued_ahead_of_earlier_ones(prioritized):
    low = [send(EVENT, {"priority": 0}) for _ in range(3)]
    high = send(EVENT, {"priority": 60})
    due = {event.id: items_of(event.runs.get())[0].due_at for event in [*low, high]}
    assert min(due, key=due.get) == high.id

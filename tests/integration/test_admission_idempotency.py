"""idempotency: one run per key in 24 hours; a repeat is skipped and says which run it
repeated."""

import pytest

from flowcontrol.models import DecisionKind, IdempotencyKey

from .flow_setup import (
    decisions_for,
    frozen_clock_fixture,  # noqa: F401  (the frozen_clock fixture)
    runs_of,
    send,
    sync_function,
)

pytestmark = pytest.mark.django_db

EVENT = "test/idempotent"


@pytest.fixture
def idempotent(frozen_clock):
    return sync_function("idempotent", EVENT, idempotency="event.data.order")


def test_a_repeated_idempotency_key_is_skipped_and_names_the_first_run(idempotent):
    send(EVENT, {"order": "o-1"})
    repeat = send(EVENT, {"order": "o-1", "note": "sent twice"})
    [run] = runs_of(idempotent)
    assert not repeat.runs.exists()
    [decision] = decisions_for(repeat)
    assert decision.kind == DecisionKind.IDEMPOTENCY_HIT and decision.key == "o-1"
    assert run.id in decision.detail


def test_the_key_is_linked_to_the_run_it_started(idempotent):
    send(EVENT, {"order": "o-1"})
    [key] = IdempotencyKey.objects.filter(function=idempotent)
    assert key.key == "o-1" and key.run == runs_of(idempotent)[0]


def test_different_keys_each_start_a_run(idempotent):
    for order in ("o-1", "o-2", "o-3"):
        send(EVENT, {"order": order})
    assert len(runs_of(idempotent)) == 3


def test_the_same_key_starts_a_run_again_after_24_hours(idempotent, frozen_clock):
    send(EVENT, {"order": "o-1"})
    frozen_clock.advance(hours=23, minutes=59)
    assert not send(EVENT, {"order": "o-1"}).runs.exists()
    frozen_clock.advance(minutes=2)
    assert send(EVENT, {"order": "o-1"}).runs.exists()
    assert IdempotencyKey.objects.filter(function=idempotent).count() == 1


def test_the_key_belongs_to_one_function(idempotent):
    other = sync_function("idempotent-too", EVENT, idempotency="event.data.order")
    send(EVENT, {"order": "o-1"})
    assert len(runs_of(idempotent)) == len(runs_of(other)) == 1


def test_a_rate_limited_event_does_not_use_up_the_idempotency_key(frozen_clock):
    """rateLimit decides first: an event it drops never claims the key, so a later event
    with that key may still start a run."""
    function = sync_function(
        "limited-idempotent",
        EVENT,
        rateLimit={"limit": 1, "period": "1m"},
        idempotency="event.data.order",
    )
    send(EVENT, {"order": "o-1"})
    dropped = send(EVENT, {"order": "o-2"})
    assert decisions_for(dropped)[0].kind == DecisionKind.RATE_LIMITED
    frozen_clock.advance(minutes=2)
    assert send(EVENT, {"order": "o-2"}).runs.exists()
    assert len(runs_of(function)) == 2

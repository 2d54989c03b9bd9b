"""Concurrency limits: a claimed queue item holds a slot of its key; a claim finding every
slot taken waits on the key, and the next waiter is chosen by due time (priority), then age."""

from datetime import timedelta

import pytest

from flowcontrol.concurrency import constraints_for
from runs.cancellation import cancel_run
from runs.queue import claim, next_waiter

from .flow_setup import (
    frozen_clock_fixture,  # noqa: F401  (the frozen_clock fixture)
    items_of,
    send,
    sync_function,
)

pytestmark = pytest.mark.django_db

EVENT = "test/concurrency"
SLUG = "flow-app-limited"


@pytest.fixture
def limited(frozen_clock):
    return sync_function(
        "limited",
        EVENT,
        concurrency=[{"limit": 1, "key": "event.data.user"}],
        priority={"run": "event.data.priority"},
    )


def item_for(event):
    [item] = items_of(event.runs.get())
    return item


@pytest.mark.parametrize(
    ("option", "constraints"),
    [
        (3, [{"key": f"fn:{SLUG}:", "limit": 3}]),
        ({"limit": 2}, [{"key": f"fn:{SLUG}:", "limit": 2}]),
        (
            [{"limit": 1, "key": "event.data.user"}, {"limit": 5, "scope": "env", "key": "'x'"}],
            [{"key": f"fn:{SLUG}:u1", "limit": 1}, {"key": "env:x", "limit": 5}],
        ),
        ([{"limit": 4, "scope": "account"}], [{"key": "account:", "limit": 4}]),
        ([{"limit": 0}, {"key": "event.data.user"}], []),
        (
            [{"limit": 1}, {"limit": 2}, {"limit": 3}],
            [{"key": f"fn:{SLUG}:", "limit": 1}, {"key": f"fn:{SLUG}:", "limit": 2}],
        ),
        (None, []),
    ],
    ids=["number", "object", "keys-and-scopes", "account", "no-limit", "at-most-two", "none"],
)
def test_the_concurrency_option_resolves_to_keyed_limits_in_every_sdk_form(option, constraints):
    options = {} if option is None else {"concurrency": option}
    function = sync_function("limited", EVENT, **options)
    payload = {"name": EVENT, "data": {"user": "u1"}}
    assert constraints_for(function.flow, function.slug, payload) == constraints


def test_a_run_carries_its_keys_and_its_queue_item_holds_them(limited):
    event = send(EVENT, {"user": "u1"})
    run = event.runs.get()
    assert run.concurrency == [{"key": f"fn:{SLUG}:u1", "limit": 1}]
    item = item_for(event)
    assert (item.ckey1, item.ckey2) == (f"fn:{SLUG}:u1", "")


def test_a_claimed_item_holds_the_slot_and_the_next_claim_waits_on_the_key(limited):
    first, second = send(EVENT, {"user": "u1"}), send(EVENT, {"user": "u1"})
    assert claim(item_for(first).id) is not None
    assert claim(item_for(second).id) is None
    waiting = item_for(second)
    assert waiting.waiting_on == f"fn:{SLUG}:u1"
    assert waiting.lease_owner == "" and waiting.lease_until is None


def test_other_key_values_have_their_own_slots(limited):
    first, other = send(EVENT, {"user": "u1"}), send(EVENT, {"user": "u2"})
    assert claim(item_for(first).id) is not None
    assert claim(item_for(other).id) is not None


def test_a_limit_of_two_lets_two_claims_hold_slots_at_once(frozen_clock):
    sync_function("limited", EVENT, concurrency={"limit": 2})
    events = [send(EVENT) for _ in range(3)]
    claimed = [claim(item_for(event).id) for event in events]
    assert [c is not None for c in claimed] == [True, True, False]


def test_the_next_waiter_is_the_earliest_due_then_the_oldest(limited):
    holder = send(EVENT, {"user": "u1"})
    claim(item_for(holder).id)
    waiters = [send(EVENT, {"user": "u1"}) for _ in range(3)]
    for event in reversed(waiters):  # the order of the claims does not matter
        claim(item_for(event).id)
    assert next_waiter(f"fn:{SLUG}:u1").id == item_for(waiters[0]).id


def test_a_higher_priority_waiter_goes_before_older_ones(limited):
    holder = send(EVENT, {"user": "u1"})
    claim(item_for(holder).id)
    older = send(EVENT, {"user": "u1"})
    urgent = send(EVENT, {"user": "u1", "priority": 30})
    claim(item_for(older).id)
    claim(item_for(urgent).id)
    assert next_waiter(f"fn:{SLUG}:u1").id == item_for(urgent).id


def test_a_lapsed_lease_frees_the_slot(limited, frozen_clock, settings):
    holder, waiter = send(EVENT, {"user": "u1"}), send(EVENT, {"user": "u1"})
    claim(item_for(holder).id)
    assert claim(item_for(waiter).id) is None
    frozen_clock.advance(seconds=settings.LEASE_SECONDS + 1)
    assert claim(item_for(waiter).id) is not None
    assert item_for(waiter).waiting_on == ""


def test_cancelling_the_holder_frees_its_slot_for_the_waiter(limited):
    holder, waiter = send(EVENT, {"user": "u1"}), send(EVENT, {"user": "u1"})
    claim(item_for(holder).id)
    assert claim(item_for(waiter).id) is None
    cancel_run(holder.runs.get().id)
    assert claim(item_for(waiter).id) is not None


def test_an_item_not_yet_due_is_not_claimed_and_does_not_wait_on_a_slot(frozen_clock):
    sync_function(
        "limited", EVENT, concurrency=[{"limit": 1}], throttle={"limit": 1, "period": "1m"}
    )
    send(EVENT)
    later = send(EVENT)
    assert item_for(later).due_at == frozen_clock.now() + timedelta(minutes=1)
    assert claim(item_for(later).id) is None
    assert item_for(later).waiting_on == ""  # not waiting on a slot: simply not due

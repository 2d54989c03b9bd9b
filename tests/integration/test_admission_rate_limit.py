"""rateLimit: at most `limit` runs per `period` and key; the rest are dropped, each with a
Decision saying why."""

import pytest

from flowcontrol.models import DecisionKind, Limiter

from .flow_setup import (
    decisions_for,
    frozen_clock_fixture,  # noqa: F401  (the frozen_clock fixture)
    runs_of,
    send,
    sync_function,
)

pytestmark = pytest.mark.django_db

EVENT = "test/rate"


@pytest.fixture
def limited(frozen_clock):
    return sync_function(
        "rate-limited", EVENT, rateLimit={"limit": 2, "period": "1h", "key": "event.data.user"}
    )


def test_events_within_the_limit_each_start_a_run(limited):
    first, second = send(EVENT, {"user": "u1"}), send(EVENT, {"user": "u1"})
    assert [run.event_id for run in runs_of(limited)] == [first.id, second.id]
    assert decisions_for(first) == decisions_for(second) == []


def test_rate_limited_event_is_skipped_and_recorded(limited):
    send(EVENT, {"user": "u1"})
    send(EVENT, {"user": "u1"})
    skipped = send(EVENT, {"user": "u1"})
    assert len(runs_of(limited)) == 2
    assert not skipped.runs.exists()
    [decision] = decisions_for(skipped)
    assert decision.kind == DecisionKind.RATE_LIMITED and decision.key == "u1"
    assert decision.function == limited and decision.run is None
    assert "rate limit of 2 per 1h reached" in decision.detail


def test_rate_limit_counts_each_key_separately(limited):
    for _ in range(3):
        send(EVENT, {"user": "u1"})
    other = send(EVENT, {"user": "u2"})
    assert [run.event_id for run in runs_of(limited)][-1] == other.id
    assert len(runs_of(limited)) == 3


def test_rate_limit_admits_again_once_the_oldest_start_leaves_the_window(limited, frozen_clock):
    send(EVENT, {"user": "u1"})
    frozen_clock.advance(minutes=30)
    send(EVENT, {"user": "u1"})
    frozen_clock.advance(minutes=29)
    assert not send(EVENT, {"user": "u1"}).runs.exists()  # both starts are within the hour
    frozen_clock.advance(minutes=1, seconds=1)
    assert send(EVENT, {"user": "u1"}).runs.exists()  # the first start left the window
    assert len(runs_of(limited)) == 3


def test_skipped_events_do_not_use_up_the_window(limited, frozen_clock):
    send(EVENT, {"user": "u1"})
    send(EVENT, {"user": "u1"})
    for _ in range(5):
        send(EVENT, {"user": "u1"})
    [limiter] = Limiter.objects.filter(kind="rateLimit", key="u1")
    assert len(limiter.window) == 2


def test_a_rate_limit_without_a_key_limits_all_events_together(frozen_clock):
    function = sync_function("rate-global", EVENT, rateLimit={"limit": 1, "period": "10s"})
    send(EVENT, {"user": "a"})
    skipped = send(EVENT, {"user": "b"})
    assert len(runs_of(function)) == 1
    assert decisions_for(skipped)[0].key == ""

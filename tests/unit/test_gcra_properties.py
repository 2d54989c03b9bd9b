"""Property tests for the rate arithmetic behind rateLimit (drop) and throttle (delay)."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from flowcontrol.gcra import decide, sliding_window

START = datetime(2030, 1, 1, tzinfo=UTC)
arrivals = st.lists(st.integers(min_value=0, max_value=600_000), min_size=1, max_size=60)
limits = st.integers(min_value=1, max_value=20)
periods = st.integers(min_value=1, max_value=300).map(lambda s: timedelta(seconds=s))


def admitted_by_rate_limit(offsets_ms: list[int], limit: int, period: timedelta) -> list[datetime]:
    window: list[datetime] = []
    admitted = []
    for offset in sorted(offsets_ms):
        now = START + timedelta(milliseconds=offset)
        allowed, window = sliding_window(window, now, limit, period)
        if allowed:
            admitted.append(now)
    return admitted


@settings(max_examples=300)
@given(arrivals, limits, periods)
def test_rate_limit_never_admits_more_than_limit_in_any_period(offsets, limit, period):
    admitted = admitted_by_rate_limit(offsets, limit, period)
    for i, start in enumerate(admitted):
        in_window = [t for t in admitted[i:] if t < start + period]
        assert len(in_window) <= limit


@settings(max_examples=300)
@given(arrivals, limits, periods)
def test_rate_limit_admits_whenever_the_window_has_room(offsets, limit, period):
    admitted = admitted_by_rate_limit(offsets, limit, period)
    for offset in offsets:
        now = START + timedelta(milliseconds=offset)
        if now not in admitted:
            recent = [t for t in admitted if now - period < t <= now]
            assert len(recent) >= limit  # skipped only because the window was full


@settings(max_examples=300)
@given(arrivals, limits, periods)
def test_rate_limit_admits_the_first_event_of_an_idle_key(offsets, limit, period):
    assert admitted_by_rate_limit(offsets, limit, period)[0] == START + timedelta(
        milliseconds=min(offsets)
    )


@settings(max_examples=300)
@given(arrivals, limits, periods, st.integers(min_value=1, max_value=5))
def test_throttle_delays_but_never_drops_and_keeps_the_spacing(offsets, limit, period, burst):
    tat, starts = None, []
    for offset in sorted(offsets):
        now = START + timedelta(milliseconds=offset)
        decision = decide(tat, now, limit, period, burst)
        assert decision.allowed_at >= now
        tat = decision.new_tat
        starts.append(decision.allowed_at)
    assert len(starts) == len(offsets)  # every arrival gets a start time
    assert starts == sorted(starts)  # queued in order
    interval = period / limit
    # GCRA's promise: k starts after a burst of `burst`, the k-th is k intervals later.
    epsilon = timedelta(microseconds=1)
    for i, earlier in enumerate(starts):
        for k in range(burst, len(starts) - i):
            assert starts[i + k] - earlier >= interval * (k - burst + 1) - epsilon

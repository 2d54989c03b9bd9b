"""Durations as the SDKs write them, and Sleep targets; anything unusable is a DurationError
(registration maps that to a message naming the field), never another exception."""

from datetime import UTC, datetime, timedelta

import pytest

from foundation.durations import DurationError, parse_duration, parse_wake_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10s", timedelta(seconds=10)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("7d", timedelta(days=7)),
        ("1w", timedelta(weeks=1)),
        ("1.5s", timedelta(seconds=1.5)),
        ("0s", timedelta(0)),
        ("  2m  ", timedelta(minutes=2)),
        ("45", timedelta(seconds=45)),
    ],
)
def test_duration_strings_the_sdks_send(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(("ms", "expected"), [(1500, 1.5), (0, 0.0), (250.5, 0.2505)])
def test_numbers_are_milliseconds_as_the_js_sdk_sends_them(ms, expected):
    assert parse_duration(ms).total_seconds() == pytest.approx(expected)


@pytest.mark.parametrize(
    "value", [True, False, None, [1], {"s": 1}, "soon", "-5s", "1e400s", "1000000000d"]
)
def test_values_that_are_not_durations_are_refused(value):
    with pytest.raises(DurationError, match="invalid duration"):
        parse_duration(value)


@pytest.mark.parametrize(
    "ms",
    [-5, -0.5, float("nan"), float("inf"), 10**20, 10**400],
    ids=["negative", "negative-fraction", "nan", "inf", "1e20", "1e400-int"],
)
def test_numbers_that_are_negative_or_out_of_range_are_refused(ms):
    """A JSON body can carry 1e400 (infinity), a huge integer or a negative number: each
    must be a DurationError, which registration reports, not a crash (OverflowError)."""
    with pytest.raises(DurationError, match="invalid duration"):
        parse_duration(ms)


def test_sleep_until_an_iso_time_in_utc():
    assert parse_wake_time("2030-01-02T03:04:05Z") == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_sleep_until_keeps_an_explicit_offset():
    wake = parse_wake_time("2030-01-02T05:04:05+02:00")
    assert wake.utcoffset() == timedelta(hours=2)
    assert wake == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_sleep_until_a_naive_time_is_taken_as_utc():
    assert parse_wake_time("2030-01-02T03:04:05") == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_wake_time("2030-01-02T03:04:05").utcoffset() == timedelta(0)


def test_sleep_for_a_duration_is_measured_from_now():
    before = datetime.now(UTC)
    wake = parse_wake_time(" 2s ")
    assert before + timedelta(seconds=2) <= wake <= datetime.now(UTC) + timedelta(seconds=2)


def test_sleep_target_that_is_neither_a_time_nor_a_duration_is_refused():
    with pytest.raises(DurationError):
        parse_wake_time("tomorrow-ish")


def test_sleep_for_longer_than_the_calendar_allows_is_a_duration_error():
    """now + 3,000,000 days is past year 9999: a DurationError the executor can report."""
    with pytest.raises(DurationError):
        parse_wake_time("3000000d")

"""Durations as the SDKs write them ("10s", "1h30m", "7d") and sleep targets."""

from datetime import datetime, timedelta

from pytimeparse2 import parse as parse_seconds

from foundation import clock


class DurationError(ValueError):
    """A duration or time we cannot read."""


# Longer than this would overflow timedelta (and any datetime it is added to) anyway.
_MAX_MS = timedelta.max / timedelta(milliseconds=1)


def parse_duration(value: str | int | float) -> timedelta:
    """A duration string, or a number of milliseconds (as the JS SDK may send)."""
    if isinstance(value, bool):
        raise DurationError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        # NaN fails both comparisons; 1e400 (a valid JSON number) is infinity.
        if not 0 <= value < _MAX_MS:
            raise DurationError(
                f"invalid duration {value!r}: a number of milliseconds must be finite, 0 or more"
            )
        return timedelta(milliseconds=value)
    seconds = parse_seconds(value.strip()) if isinstance(value, str) else None
    if seconds is None or seconds < 0:
        raise DurationError(f"invalid duration {value!r}: use forms like 30s, 10m, 1h30m, 7d")
    return timedelta(seconds=seconds)


def parse_wake_time(value: str) -> datetime:
    """A Sleep op's target: an ISO 8601 time (sleepUntil, Python SDK) or a duration (JS)."""
    text = value.strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            return clock.now() + parse_duration(text)
        except OverflowError:
            raise DurationError(f"sleep target {value!r} is past the year 9999") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=clock.now().tzinfo)
    return when

"""When to try again after a failed attempt: exponential backoff with jitter."""

from datetime import datetime, timedelta

from django.conf import settings

from foundation import clock


def backoff_delay(attempt: int) -> timedelta:
    """Delay before attempt `attempt + 1`: base * 2^attempt, capped, with "equal jitter"
    (half fixed, half random) so retries of many runs do not land together."""
    ceiling = min(settings.RETRY_MAX_SECONDS, settings.RETRY_BASE_SECONDS * (2 ** min(attempt, 30)))
    return timedelta(seconds=ceiling / 2 + clock.jitter_fraction() * ceiling / 2)


def next_attempt_at(attempt: int, retry_at: datetime | None) -> datetime:
    """The SDK's Retry-After wins over our backoff."""
    if retry_at is not None:
        return retry_at
    return clock.now() + backoff_delay(attempt)

"""The rate arithmetic: a sliding-window log for rateLimit (drop: never more than `limit`
starts in any `period`) and the generic cell rate algorithm for throttle (delay: evenly
spaced starts, with bursts). Pure functions over a small state that fits in one row."""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class GcraDecision:
    allowed_at: datetime  # when this arrival may go (== now when it may go at once)
    new_tat: datetime  # the key's state if the arrival is admitted at `allowed_at`


def decide(
    tat: datetime | None, now: datetime, limit: int, period: timedelta, burst: int
) -> GcraDecision:
    """`limit` arrivals per `period`, spread evenly, with up to `burst` of them at once."""
    interval = period / max(limit, 1)
    tolerance = interval * max(burst - 1, 0)
    current = tat if tat is not None and tat > now else now
    allowed_at = max(now, current - tolerance)
    return GcraDecision(allowed_at=allowed_at, new_tat=max(current, allowed_at) + interval)


def sliding_window(
    admitted: list[datetime], now: datetime, limit: int, period: timedelta
) -> tuple[bool, list[datetime]]:
    """May one more start happen at `now`? Returns the verdict and the window to keep (the
    starts of the last `period`, at most `limit` of them)."""
    recent = sorted(t for t in admitted if t > now - period)
    if len(recent) >= max(limit, 1):
        return False, recent
    return True, [*recent, now]

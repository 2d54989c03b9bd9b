"""Cron schedules as functions register them: the optional `TZ=Zone` prefix Inngest accepts,
checked (a schedule that can never fire is refused), and the next tick after a moment."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter


class CronError(ValueError):
    """A cron expression or time zone we cannot use."""


def split_cron(spec: str) -> tuple[str, ZoneInfo]:
    """`"TZ=Europe/Paris 0 9 * * *"` -> ("0 9 * * *", Europe/Paris); UTC by default."""
    text = spec.strip()
    zone = ZoneInfo("UTC")
    if text.upper().startswith(("TZ=", "CRON_TZ=")):
        prefix, _, text = text.partition(" ")
        name = prefix.split("=", 1)[1]
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise CronError(f"unknown time zone {name!r} in cron {spec!r}") from None
    if not croniter.is_valid(text.strip()):
        raise CronError(f"invalid cron expression {spec!r}")
    try:  # valid fields can still name a date that never comes (Feb 31)
        croniter(text.strip(), datetime(2000, 1, 1, tzinfo=zone)).get_next(datetime)
    except CroniterBadDateError:
        raise CronError(f"cron {spec!r} never fires: no date matches it") from None
    return text.strip(), zone


def next_fire_time(spec: str, after: datetime) -> datetime:
    expression, zone = split_cron(spec)
    return croniter(expression, after.astimezone(zone)).get_next(datetime)

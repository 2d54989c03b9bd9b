"""Cron schedules with the optional `TZ=Zone` prefix Inngest accepts."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter


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
    return text.strip(), zone


def next_fire_time(spec: str, after: datetime) -> datetime:
    expression, zone = split_cron(spec)
    return croniter(expression, after.astimezone(zone)).get_next(datetime)

"""Cron schedules with the optional `TZ=Zone` prefix Inngest accepts."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter
from django.db import transaction

from events.ingest import IncomingEvent, store_events
from foundation import clock

from .models import CronTrigger, Function
from .triggers import start_run


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


def sync_cron_triggers(function: Function) -> None:
    """Keep one CronTrigger row per cron trigger of an active function (and none otherwise)."""
    specs = [] if function.archived else [t["cron"] for t in function.triggers if t.get("cron")]
    CronTrigger.objects.filter(function=function).exclude(spec__in=specs).delete()
    existing = set(CronTrigger.objects.filter(function=function).values_list("spec", flat=True))
    now = clock.now()
    for spec in specs:
        if spec not in existing:
            CronTrigger.objects.create(
                function=function, spec=spec, next_fire_at=next_fire_time(spec, now)
            )


def claim_tick(cron: CronTrigger, now: datetime) -> bool:
    """Move the trigger to its next tick only if nobody else did since we read it."""
    moved = CronTrigger.objects.filter(pk=cron.pk, next_fire_at=cron.next_fire_at).update(
        next_fire_at=next_fire_time(cron.spec, now)
    )
    return bool(moved)


def fire_due_crons() -> int:
    """Start a run for every due tick. Claiming a tick is a conditional update, so with several
    beat processes each tick still starts exactly one run; missed ticks are not replayed."""
    now = clock.now()
    fired = 0
    for cron in CronTrigger.objects.filter(next_fire_at__lte=now).select_related("function"):
        with transaction.atomic():
            if not claim_tick(cron, now):
                continue
            [event] = store_events(
                [IncomingEvent.internal("inngest/scheduled.timer", {"cron": cron.spec})]
            ).stored
            start_run(cron.function, event)
            fired += 1
    return fired

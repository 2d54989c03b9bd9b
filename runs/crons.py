"""Cron triggers: one row per schedule of an active function, and the ticks that start runs
(each claimed exactly once, however many beat processes run). Parsing: foundation/schedules."""

from datetime import datetime

from django.db import transaction

from events.ingest import IncomingEvent, store_events
from foundation import clock
from foundation.schedules import next_fire_time

from .models import CronTrigger, Function
from .triggers import start_run


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

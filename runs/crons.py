"""Cron triggers: one row per schedule of an active function, and the ticks that start runs
(each claimed exactly once, however many beat processes run). Parsing: foundation/schedules.

`jitter` (npm inngest 4.x `{cron, jitter}`, PyPI inngest `TriggerCron(jitter=...)`): the tick
is still claimed at its scheduled time, and its run is queued to start a random offset in
[0, jitter) later, so functions sharing a schedule do not all start in the same instant. The
offset is chosen once, by the process that claimed the tick."""

import random
from datetime import datetime, timedelta

from django.db import transaction

from events.ingest import IncomingEvent, store_events
from foundation import clock
from foundation.schedules import next_fire_time

from .models import CronTrigger, Function
from .triggers import start_run


def sync_cron_triggers(function: Function) -> None:
    """Keep one CronTrigger row per cron trigger of an active function (and none otherwise),
    with the trigger's current jitter."""
    triggers = [] if function.archived else [t for t in function.spec.triggers if t.cron]
    jitters = {t.cron: t.jitter for t in triggers}
    CronTrigger.objects.filter(function=function).exclude(spec__in=list(jitters)).delete()
    existing = {c.spec: c for c in CronTrigger.objects.filter(function=function)}
    now = clock.now()
    for spec, jitter in jitters.items():
        cron = existing.get(spec)
        if cron is None:
            CronTrigger.objects.create(
                function=function, spec=spec, jitter=jitter, next_fire_at=next_fire_time(spec, now)
            )
        elif cron.jitter != jitter:
            CronTrigger.objects.filter(pk=cron.pk).update(jitter=jitter)


def claim_tick(cron: CronTrigger, now: datetime) -> bool:
    """Move the trigger to its next tick only if nobody else did since we read it."""
    moved = CronTrigger.objects.filter(pk=cron.pk, next_fire_at=cron.next_fire_at).update(
        next_fire_at=next_fire_time(cron.spec, now)
    )
    return bool(moved)


def fire_due_crons() -> int:
    """Start a run for every due tick. Claiming a tick is a conditional update, so with several
    beat processes each tick still starts exactly one run; missed ticks are not replayed. A
    paused function's ticks are claimed and start nothing (resuming replays none)."""
    now = clock.now()
    fired = 0
    due = CronTrigger.objects.filter(next_fire_at__lte=now).select_related("function")
    for cron in due:
        with transaction.atomic():
            if not claim_tick(cron, now):
                continue
            if cron.function.paused_at is not None:
                continue
            [event] = store_events(
                [IncomingEvent.internal("inngest/scheduled.timer", {"cron": cron.spec})]
            ).stored
            start_run(cron.function, event, due_at=now + jitter_offset(cron.jitter))
            fired += 1
    return fired


def jitter_offset(jitter: timedelta | None) -> timedelta:
    """A uniformly random delay in [0, jitter) (whole milliseconds); none without a jitter.
    Not a secret: the standard generator will do."""
    if not jitter or jitter <= timedelta(0):
        return timedelta(0)
    milliseconds = int(jitter / timedelta(milliseconds=1))
    return timedelta(milliseconds=random.randrange(milliseconds))  # noqa: S311 (not a secret)

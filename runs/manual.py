"""Runs started by hand (dashboard, API, commands): invoke a function with data, or fire one of
its cron schedules now. Both go through the same events and run start as everything else."""

from typing import Any

from django.db import transaction

from events.ingest import IncomingEvent, store_events

from .invocations import INVOKED
from .models import Function, Run
from .triggers import start_run


class CannotStart(ValueError):
    """The function cannot be started this way (archived, or no cron trigger)."""


def invoke(function: Function, data: dict[str, Any]) -> Run:
    """Start a run whose trigger is `inngest/function.invoked` carrying `data`."""
    if function.archived:
        raise CannotStart(f"function {function.slug} is archived")
    with transaction.atomic():
        event_data = {**data, "_inngest": {"fn_id": function.slug, "source": "dashboard"}}
        [event] = store_events([IncomingEvent.internal(INVOKED, event_data)]).stored
        return start_run(function, event)


def fire_cron_now(function: Function) -> Run:
    """One extra tick of the function's cron, now; the schedule itself does not move."""
    specs = [t["cron"] for t in function.triggers if t.get("cron")]
    if function.archived or not specs:
        raise CannotStart(f"function {function.slug} has no active cron trigger")
    with transaction.atomic():
        timer = IncomingEvent.internal("inngest/scheduled.timer", {"cron": specs[0]})
        [event] = store_events([timer]).stored
        return start_run(function, event)

"""Match stored events to function triggers and start runs, in the events' own transaction."""

from typing import Any

from devserver import clock
from events.expressions import matches
from events.models import Event

from . import queue
from .durations import parse_duration
from .models import Function, Run, RunStatus, Step


def start_runs_for_events(events: list[Event], functions: list[Function]) -> None:
    for event in events:
        payload = event.payload()
        for function in functions:
            if _triggered_by(function, payload):
                start_run(function, event)


def start_run(function: Function, event: Event | None, invoked_by: Step | None = None) -> Run:
    now = clock.now()
    start_timeout = (function.config.get("timeouts") or {}).get("start")
    run = Run.objects.create(
        id=clock.new_id(),
        function=function,
        event=event,
        status=RunStatus.QUEUED,
        queued_at=now,
        invoked_by=invoked_by,
        timeout_at=now + parse_duration(start_timeout) if start_timeout else None,
    )
    queue.enqueue(run)
    return run


def _triggered_by(function: Function, payload: dict[str, Any]) -> bool:
    for trigger in function.triggers:
        name = trigger.get("event")
        if not name or not event_name_matches(name, payload["name"]):
            continue
        if matches(trigger.get("expression"), {"event": payload}):
            return True
    return False


def event_name_matches(pattern: str, name: str) -> bool:
    """Exact names, plus Inngest's trailing wildcard (`app/user.*`)."""
    if pattern.endswith("*"):
        return name.startswith(pattern[:-1])
    return pattern == name

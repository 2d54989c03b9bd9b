"""Everything newly stored events do to runs, in the storing transaction: resume waiting
steps, cancel runs whose `cancelOn` matches, then start triggered runs."""

from typing import Any

from django.db.models import Count, Max

from events.models import Event

from .cancellation import cancel_runs_for_events
from .models import Function
from .triggers import start_runs_for_events
from .waits import resume_waiting_runs

_cache: tuple[tuple[Any, ...], list[Function]] | None = None


def on_events_stored(sender: Any, events: list[Event], **_: Any) -> None:
    resume_waiting_runs(events)
    functions = active_functions()
    if not functions:
        return
    cancel_runs_for_events(events, functions)
    start_runs_for_events(events, functions)


def active_functions() -> list[Function]:
    """The active functions, decoded once per change: every stored event (lifecycle events
    included) is matched against them, and a stamp query is far cheaper than the configs."""
    global _cache
    active = Function.objects.filter(archived=False)
    stamp = active.aggregate(count=Count("id"), latest=Max("updated_at"), top=Max("id"))
    key = (stamp["count"], stamp["latest"], stamp["top"])
    if _cache is None or _cache[0] != key:
        _cache = (key, list(active.select_related("app")))
    return _cache[1]

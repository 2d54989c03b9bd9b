"""Everything newly stored events do to runs, in the storing transaction: resume waiting
steps, cancel runs whose `cancelOn` matches, then start triggered runs."""

from typing import Any

from events.models import Event

from .cancellation import cancel_runs_for_events
from .models import Function
from .triggers import start_runs_for_events
from .waits import resume_waiting_runs


def on_events_stored(sender: Any, events: list[Event], **_: Any) -> None:
    resume_waiting_runs(events)
    functions = list(Function.objects.filter(archived=False).select_related("app"))
    if not functions:
        return
    cancel_runs_for_events(events, functions)
    start_runs_for_events(events, functions)

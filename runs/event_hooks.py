"""Everything newly stored events do to runs, in the storing transaction: resume waiting
steps, cancel runs whose `cancelOn` matches, then start triggered runs."""

from typing import Any

from django.db import connection

from events.models import Event
from foundation.fast_sql import column, table

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
    key = _functions_stamp()
    if _cache is None or _cache[0] != key:
        active = Function.objects.filter(archived=False).select_related("app")
        _cache = (key, list(active))
    return _cache[1]


def _functions_stamp() -> tuple[Any, ...]:
    """Changes whenever a function is added, changed, archived or removed."""
    pk, updated = column(Function, "id"), column(Function, "updated_at")
    sql = (
        f"SELECT COUNT({pk}), MAX({updated}), MAX({pk}) FROM {table(Function)}"
        f" WHERE {column(Function, 'archived')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [False])
        return tuple(cursor.fetchone())

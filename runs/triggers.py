"""Everything newly stored events do to runs, in the storing transaction (the `events_stored`
signal): resume waiting steps, cancel runs whose `cancelOn` matches, then match the events to
function triggers and start runs, flow control deciding first."""

from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction

from events.expressions import evaluate, matches
from events.models import Event
from flowcontrol.admission import (
    admit,
    link_decisions,
    link_held_events,
    record_paused,
    take_due,
)
from flowcontrol.concurrency import constraints_for
from foundation import clock
from foundation.fast_sql import column, table

from . import queue, states, wakeups
from .cancellation import RunAlreadyEnded, cancel_run, cancel_runs_for_events
from .event_routes import EventRoutes
from .models import Function, Run, Step
from .statuses import ACTIVE_RUN_STATUSES, QueueReason
from .waits import resume_waiting_runs
from .wakeups import Task

_cache: tuple[tuple[Any, ...], EventRoutes] | None = None


def on_events_stored(sender: Any, events: list[Event], **_: Any) -> None:
    """The receiver of `events_stored` (connected in apps.py)."""
    resume_waiting_runs(events)
    routes = active_routes()
    if not routes.functions:
        return
    cancel_runs_for_events(events, routes)
    start_runs_for_events(events, routes)


def active_routes() -> EventRoutes:
    """The active functions, decoded once per change: every stored event (lifecycle events
    included) is matched against them, and a stamp query is far cheaper than the configs."""
    global _cache
    key = _functions_stamp()
    if _cache is None or _cache[0] != key:
        active = Function.objects.filter(archived=False).select_related("app")
        _cache = (key, EventRoutes(list(active)))
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


def start_runs_for_events(events: list[Event], routes: EventRoutes) -> None:
    for event in events:
        listening = routes.triggered_by(event.name)
        if not listening:
            continue
        payload = event.payload()
        for function in listening:
            if _triggered_by(function, payload):
                _admit_and_start(function, event)


def _admit_and_start(function: Function, event: Event) -> None:
    """Flow control decides first (skip, hold, delay, cancel others); then the run starts.
    A paused function starts nothing: the event is recorded as skipped, never replayed."""
    if function.paused_at is not None:
        record_paused(function, event)
        return
    admission = admit(function, event, _active_runs)
    if admission.flush_at is not None:  # a debounce or batch holds the event until then
        wakeups.send_on_commit(Task.FLUSH_PENDING, at=admission.flush_at)
    for run_id in admission.cancel_run_ids:
        with suppress(RunAlreadyEnded):
            cancel_run(run_id, f"singleton: replaced by a run for event {event.id}")
    if not admission.start:
        return
    batch = admission.batch_event_ids
    first = Event.objects.get(pk=batch[0]) if batch else event
    run = start_run(
        function,
        first,
        due_at=admission.start_at,
        batch_event_ids=batch,
        singleton_key=admission.singleton_key,
    )
    link_decisions(admission, run.id)
    if batch:
        link_held_events(function.id, batch, run.id)


def _active_runs(function_id: int, singleton_key: str) -> list[str]:
    """The singleton gate's question: this function's active runs with this key, newest first."""
    active = Run.objects.filter(
        function_id=function_id, singleton_key=singleton_key, status__in=ACTIVE_RUN_STATUSES
    )
    return list(active.values_list("id", flat=True))


def start_held_runs() -> int:
    """Debounces and batches whose time came: each starts one run (last event / all events)."""
    started = 0
    with transaction.atomic():
        due = take_due(clock.now())
        functions = Function.objects.select_related("app").in_bulk({f for f, _ in due})
        for function_id, event_ids in due:
            function = functions.get(function_id)
            events = {e.id: e for e in Event.objects.filter(pk__in=event_ids)}
            kept = [i for i in event_ids if i in events]
            if not kept or function is None or function.archived:
                continue
            if function.flow.batch is not None:
                run = start_run(function, events[kept[0]], batch_event_ids=kept)
            else:  # debounce: the last event wins
                run = start_run(function, events[kept[-1]])
            link_held_events(function.id, kept, run.id)
            started += 1
    return started


def start_run(
    function: Function,
    event: Event | None,
    invoked_by: Step | None = None,
    due_at: datetime | None = None,
    batch_event_ids: list[str] | None = None,
    singleton_key: str = "",
) -> Run:
    now = clock.now()
    payload = event.payload() if event else {}
    spec = function.spec
    due_at = _shift_by_priority(function, payload, due_at or now)
    run = Run(
        id=clock.new_id(),
        function=function,
        event=event,
        queued_at=now,
        invoked_by=invoked_by,
        batch_event_ids=batch_event_ids or [],
        singleton_key=singleton_key,
        concurrency=constraints_for(spec.flow, function.slug, payload),
        timeout_at=now + spec.start_timeout if spec.start_timeout else None,
    )
    states.create_run(run)
    reason = QueueReason.THROTTLED if due_at > now else QueueReason.START
    queue.enqueue(run, due_at=due_at, reason=reason)
    return run


def _shift_by_priority(function: Function, payload: dict[str, Any], due_at: datetime) -> datetime:
    """`priority.run`: seconds (-600..600) by which this run jumps ahead of (or behind) others
    waiting in the same queue."""
    expression = function.spec.priority
    if not expression:
        return due_at
    factor = evaluate(expression, {"event": payload})
    if isinstance(factor, bool) or not isinstance(factor, int | float):
        return due_at
    return due_at - timedelta(seconds=max(-600, min(600, factor)))


def _triggered_by(function: Function, payload: dict[str, Any]) -> bool:
    for trigger in function.spec.triggers:
        if not trigger.event or not event_name_matches(trigger.event, payload["name"]):
            continue
        if matches(trigger.expression, {"event": payload}):
            return True
    return False


def event_name_matches(pattern: str, name: str) -> bool:
    """Exact names, plus Inngest's trailing wildcard (`app/user.*`)."""
    if pattern.endswith("*"):
        return name.startswith(pattern[:-1])
    return pattern == name

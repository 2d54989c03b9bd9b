"""Cancelling runs (API, `cancelOn` events, timeouts): a cancelled run stops at its next step
boundary and is marked Cancelled."""

from datetime import timedelta

from django.db import transaction

from events.expressions import matches
from events.models import Event
from flowcontrol.admission import cancel_held
from foundation import clock

from . import queue, states
from .event_routes import EventRoutes
from .models import Function, QueueItem, Run
from .spec import CancelOn
from .statuses import ACTIVE_RUN_STATUSES, TERMINAL_RUN_STATUSES, ErrorName, RunStatus

ACTIVE = sorted(ACTIVE_RUN_STATUSES)


class RunAlreadyEnded(Exception):
    """Only a run that has not ended can be cancelled."""


def cancel_run(run_id: str, reason: str = "cancelled through the API") -> Run:
    with transaction.atomic():
        run = (
            Run.objects.select_for_update(of=("self",))
            .select_related("function", "event")
            .get(pk=run_id)
        )
        if run.status in TERMINAL_RUN_STATUSES:
            raise RunAlreadyEnded(f"run {run_id} already ended as {run.status}")
        # Deleting the items makes a worker mid-call lose its lease: it stores nothing more.
        items = QueueItem.objects.filter(run=run)
        keys = [k for pair in items.values_list("ckey1", "ckey2") for k in pair]
        items.delete()
        queue.wake_waiters(keys)
        error = {"name": ErrorName.RUN_CANCELLED, "message": reason}
        if not states.try_move_run(run, RunStatus.CANCELLED, error=error):
            # Ended between our read and the update (SQLite has no row lock): nothing to undo,
            # since the items of an ended run are gone already.
            raise RunAlreadyEnded(f"run {run_id} ended before it could be cancelled")
    return run


def cancel_runs_for_events(events: list[Event], routes: EventRoutes) -> None:
    """`cancelOn`: an event matching one of a function's cancel options cancels its active
    runs."""
    for event in events:
        for function, cancel in routes.cancels_on(event.name):
            _cancel_matching(function, cancel, event)


def _cancel_matching(function: Function, cancel: CancelOn, event: Event) -> None:
    incoming = event.payload()
    window = cancel.timeout
    now = clock.now()
    runs = Run.objects.filter(function=function, status__in=ACTIVE).select_related("event")
    for run in runs:
        if window is not None and now - run.queued_at > window:
            continue
        original = run.event.payload() if run.event else {}
        if matches(cancel.condition, {"event": original, "async": incoming}):
            cancel_run(run.id, f"cancelled by event {event.name} ({event.id})")
    # Debounced or batched events have no run yet: drop the hold so none starts.
    cancel_held(function, cancel.condition, event)


def cancel_timed_out_runs() -> int:
    """`timeouts.start` / `timeouts.finish`: cancel runs past their deadline."""
    now = clock.now()
    late = list(
        Run.objects.filter(timeout_at__lt=now, status__in=ACTIVE).values_list("id", "status")
    )
    for run_id, status in late:
        which = "start" if status == RunStatus.QUEUED else "finish"
        try:
            cancel_run(run_id, f"the run exceeded its timeouts.{which}")
        except RunAlreadyEnded:
            continue
    return len(late)


def finish_deadline(run: Run) -> timedelta | None:
    """`timeouts.finish`: how long the run may take once started (None: as long as it needs)."""
    return run.function.spec.finish_timeout

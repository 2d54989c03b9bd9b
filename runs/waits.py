"""Steps that wait on something outside the run: waitForEvent, waitForSignal and invoke. A
waiting step is a row with a deadline; an arriving event (or signal, or child run) completes it
and wakes the run."""

from datetime import datetime
from typing import Any

from django.db import connection, transaction

from events.expressions import matches
from events.models import Event
from foundation.fast_sql import column, table

from . import queue, states
from .models import Run, Step
from .protocol import Opcode
from .statuses import ErrorName, StepStatus


def complete_waiting_step(step: Step, memo: Any, status: str = StepStatus.COMPLETED) -> bool:
    """Resolve a waiting step once: whoever moves it out of Waiting first wins (event vs
    timeout vs child run); then the run's queue item is due now. False: someone else won."""
    position = Step.objects.filter(run_id=step.run_id, position__isnull=False).count()
    released = {"wait_signal": ""} if step.wait_signal else {}  # a signal wait lets go of it
    if not states.try_move_step(step, status, memo=memo, position=position, **released):
        return False
    queue.wake_run(step.run_id)
    return True


def resume_waiting_runs(events: list[Event]) -> None:
    """Called in the ingest transaction: each event resumes every run waiting for it."""
    names = {event.name for event in events}
    if not _anyone_waits_for(names):
        return
    waiting = list(
        Step.objects.filter(status=StepStatus.WAITING, wait_event__in=names).select_related(
            "run__event"
        )
    )
    for event in events:
        incoming = event.payload()
        for step in waiting:
            if step.wait_event != event.name or step.status != StepStatus.WAITING:
                continue
            if _accepts(step, incoming):
                complete_waiting_step(step, incoming)


def _anyone_waits_for(names: set[str]) -> bool:
    """Every stored event asks this, and almost always nobody waits: one index probe, with
    its SQL built once (the ORM spends far longer building the query than running it)."""
    marks = ", ".join(["%s"] * len(names))
    sql = (
        f"SELECT 1 FROM {table(Step)} WHERE {column(Step, 'wait_event')} IN ({marks})"
        f" AND {column(Step, 'status')} = %s LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*names, StepStatus.WAITING])
        return cursor.fetchone() is not None


def _accepts(step: Step, incoming: dict[str, Any]) -> bool:
    expression = (step.opts or {}).get("if")
    original = step.run.event.payload() if step.run.event else {}
    return matches(expression, {"event": original, "async": incoming})


def expire_waits(run: Run, now: datetime) -> list[Step]:
    """Waiting steps of `run` whose deadline passed: resolved as timed out (null for
    waitForEvent, an error for invoke). Returns the steps this call resolved."""
    resolved = []
    for step in Step.objects.filter(run=run, status=StepStatus.WAITING, wake_at__lte=now):
        if step.opcode == Opcode.INVOKE:
            memo = {
                "error": {
                    "name": ErrorName.INVOKE_TIMEOUT,
                    "message": "Timed out waiting for invoked function to complete",
                }
            }
            status = StepStatus.FAILED
        else:
            memo, status = None, StepStatus.COMPLETED
        with transaction.atomic():
            if complete_waiting_step(step, memo, status):
                resolved.append(step)
    return resolved

"""Steps that wait on something outside the run: waitForEvent and invoke. A waiting step is a
row with a deadline; an arriving event (or child run) completes it and wakes the run."""

from datetime import datetime
from typing import Any

from django.db import connection, transaction

from devserver import clock
from devserver.fast_sql import column, table
from events.expressions import matches
from events.models import Event

from . import queue
from .models import QueueItem, Run, Step, StepStatus


def complete_waiting_step(step: Step, memo: Any, status: str = StepStatus.COMPLETED) -> bool:
    """Resolve a waiting step once: whoever flips it from Waiting first wins (event vs timeout
    vs child run). Then make the run's queue item due now."""
    position = Step.objects.filter(run_id=step.run_id, position__isnull=False).count()
    resolved = Step.objects.filter(pk=step.pk, status=StepStatus.WAITING).update(
        status=status, memo=memo, position=position, ended_at=clock.now()
    )
    if resolved:
        wake_run(step.run_id)
    return bool(resolved)


def wake_run(run_id: str) -> None:
    """Make the run's idle queue items due now and dispatch them after commit."""
    now = clock.now()
    items = list(
        QueueItem.objects.filter(run_id=run_id, lease_owner="").values_list("id", flat=True)
    )
    QueueItem.objects.filter(pk__in=items).update(due_at=now, dispatched_at=now)
    for item_id in items:
        queue.dispatch_on_commit(item_id, now)


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
            if _accepts(step, incoming) and complete_waiting_step(step, incoming):
                step.status = StepStatus.COMPLETED


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
        if step.opcode == "InvokeFunction":
            memo = {
                "error": {
                    "name": "InngestInvokeTimeoutError",
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

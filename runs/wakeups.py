"""Wake-ups: the engine's Celery tasks by name, and the one way to send them. A message only
says "look at this now"; every task re-reads the database, so a lost or repeated one is safe.
Senders name the task here and never import runs.tasks, which only the worker loads."""

from datetime import datetime
from enum import StrEnum

from celery import current_app
from django.db import transaction

from foundation import clock


class Task(StrEnum):
    """Task names, as registered by runs/tasks.py and scheduled by the beat. Celery is always
    given `.value`: a signature takes a member's `.name` (`EXECUTE_ITEM`) for the task name."""

    EXECUTE_ITEM = "runs.execute_item"
    RECONCILE = "runs.reconcile"
    RUN_BULK_ACTION = "runs.run_bulk_action"
    FLUSH_PENDING = "runs.flush_pending"
    FIRE_CRONS = "runs.fire_crons"
    SYNC_APP = "runs.sync_app"
    POLL_APPS = "runs.poll_apps"
    PURGE = "runs.purge"


def send(task: Task, *args: object, at: datetime | None = None) -> None:
    """Send now: call it once the work it announces is committed. `at` (not before) becomes a
    delay, since the worker's timer runs on the operating system's clock, not ours."""
    delay = (at - clock.now()).total_seconds() if at is not None else 0.0
    current_app.send_task(task.value, args=list(args), countdown=delay if delay > 0 else None)


def send_on_commit(task: Task, *args: object, at: datetime | None = None) -> None:
    """Send once the current transaction commits (nothing if it rolls back)."""
    transaction.on_commit(lambda: send(task, *args, at=at))

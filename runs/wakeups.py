"""Wake-ups: the engine's Celery tasks by name, and the one way to send them. A message only
says "look at this now"; every task re-reads the database, so a lost or repeated one is safe.
Senders name the task here and never import runs.tasks, which only the worker loads."""

from collections.abc import Callable
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


# Timed wake-ups (a sleep, a retry's backoff: anything sent with a delay) travel on their own
# queue, which workers consume beside the default one: a due timer then waits behind at most
# the messages a worker has prefetched, not behind a backlog of starts (issue 16: at 50 starts
# a second, one queue made sleeps wake 8 s late).
TIMERS_QUEUE = "timers"

# What carries wake-ups in this process: Celery unless the embedded server installed its
# in-process worker (devserver/inprocess_worker.py), which takes (task name, args, delay in
# seconds or None) and keeps the same two lanes.
Sender = Callable[[str, list[object], float | None], None]
_sender: Sender | None = None


def use_sender(sender: Sender | None) -> None:
    """Carry this process's wake-ups with `sender` (None: back to Celery)."""
    global _sender
    _sender = sender


def send(task: Task, *args: object, at: datetime | None = None) -> None:
    """Send now: call it once the work it announces is committed. `at` (not before) becomes a
    delay, since the worker's timer runs on the operating system's clock, not ours."""
    delay = (at - clock.now()).total_seconds() if at is not None else 0.0
    countdown = delay if delay > 0 else None
    if _sender is not None:
        _sender(task.value, list(args), countdown)
    elif countdown is None:
        current_app.send_task(task.value, args=list(args))
    else:
        current_app.send_task(task.value, args=list(args), countdown=countdown, queue=TIMERS_QUEUE)


def send_on_commit(task: Task, *args: object, at: datetime | None = None) -> None:
    """Send once the current transaction commits (nothing if it rolls back)."""
    transaction.on_commit(lambda: send(task, *args, at=at))

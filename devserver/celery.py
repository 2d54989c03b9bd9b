"""The Celery app. Tasks only carry wake-ups; every decision re-reads the database."""

import os
from typing import Any

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun, worker_init
from django.conf import settings
from django.db import close_old_connections
from kombu import Queue

from runs.wakeups import TIMERS_QUEUE, Task

from . import (
    memory_broker,  # noqa: F401  (registers the embedded broker's transport)
    wake,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devserver.settings")

app = Celery("devserver")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every app with a tasks.py (the engine's only): a task missing here is "unregistered" in the
# worker, and beat's messages for it are dropped (the retention purge once never ran for that
# reason; tests/integration/test_task_names.py holds every name to a registered task).
app.autodiscover_tasks(["runs"])


@worker_init.connect
def _start_lease_heartbeat(**_: object) -> None:
    """A standalone worker keeps its leases alive while its SDK calls are in flight."""
    # Inside the handler: this module loads with the settings, before the models can.
    from runs.heartbeat import start_lease_heartbeat

    start_lease_heartbeat()


# Workers consume both queues: timed wake-ups have their own (runs/wakeups.py TIMERS_QUEUE).
app.conf.task_queues = tuple(
    Queue(name, routing_key=name) for name in (app.conf.task_default_queue, TIMERS_QUEUE)
)


def periodic_schedule() -> list[tuple[float, Task, str]]:
    """(seconds, task, name): the beat's schedule, and the embedded worker's."""
    return [
        (settings.RECONCILE_INTERVAL, Task.RECONCILE, "reconcile"),
        (1.0, Task.FIRE_CRONS, "crons"),
        (settings.POLL_INTERVAL, Task.POLL_APPS, "poll apps"),
        (settings.PURGE_INTERVAL, Task.PURGE, "retention"),
    ]


@task_prerun.connect
@task_postrun.connect
def _drop_old_connections(**_: object) -> None:
    """Around each task, as Django does around each request: close this thread's connection
    if it broke (a Postgres restart) or outlived CONN_MAX_AGE, and keep it otherwise (the
    fixup's close after every task is off: settings.CELERY_DB_REUSE_MAX)."""
    close_old_connections()


@app.on_after_finalize.connect
def _schedule_periodic_tasks(sender: Celery, **_: object) -> None:
    for seconds, task, name in periodic_schedule():
        sender.add_periodic_task(seconds, sender.signature(task.value), name=name)


@before_task_publish.connect
def _forward_to_embedded_server(
    sender: str, body: tuple, headers: dict[str, Any] | None = None, **_: object
) -> None:
    """A command's wake-up also goes to the running embedded server (devserver/wake.py): this
    process's in-memory broker has no worker. A no-op in staging and in the server itself."""
    args = list(body[0]) if isinstance(body, tuple | list) and body else []
    wake.forward(sender, args, (headers or {}).get("eta"))

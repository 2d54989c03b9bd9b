"""Embedded mode: the engine's tasks run by an in-process worker (devserver/inprocess_worker.py)
with its periodic tasks on the same timer heap, and the socket through which commands run
elsewhere wake it (devserver/wake.py). Staging runs the same tasks on Celery workers and beat."""

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings

from runs import queue, wakeups
from runs.heartbeat import start_lease_heartbeat

from . import wake
from .celery import app, periodic_schedule
from .inprocess_worker import InProcessWorker

logger = logging.getLogger(__name__)


def _task_function(name: str) -> Callable[..., Any]:
    """The plain function behind a registered task (no Celery tracing around it)."""
    return app.tasks[name].run


def make_worker() -> InProcessWorker:
    """The same tasks as staging, taken from in-memory lanes by a pool of threads (started by
    start_all), with the beat's periodic tasks on its timer heap."""
    app.autodiscover_tasks(["runs"], force=True)  # registers runs/tasks.py by name
    worker = InProcessWorker(_task_function, threads=settings.CELERY_WORKER_THREADS)
    worker.every([(seconds, task.value) for seconds, task, _ in periodic_schedule()])
    return worker


def start_all() -> None:
    worker = make_worker()
    wakeups.use_sender(worker.send)
    wake.listen(worker.send_at)  # first: commands run meanwhile hand their wake-ups to us
    recovered = queue.recover_sole_process()
    if recovered:
        logger.info("recovered %d queue items from the previous process", recovered)
        wakeups.send(wakeups.Task.RECONCILE)  # now, rather than one interval from now
    worker.start()
    start_lease_heartbeat()

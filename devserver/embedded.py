"""Embedded mode: a Celery worker and beat running as threads inside the server process, and
the socket through which commands run elsewhere wake it (devserver/wake.py)."""

import logging
import threading
from datetime import datetime
from typing import Any

from celery.beat import EmbeddedService
from django.conf import settings

from runs import queue
from runs.heartbeat import start_lease_heartbeat

from . import wake
from .celery import app

logger = logging.getLogger(__name__)


def start_worker() -> threading.Thread:
    """The same tasks as staging, consumed from the in-memory transport by a thread pool."""
    worker = app.WorkController(
        hostname=f"embedded@{queue.WORKER_ID}",
        pool_cls="threads",
        concurrency=settings.CELERY_WORKER_THREADS,
        loglevel="WARNING",
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
    )
    thread = threading.Thread(target=worker.start, name="celery-worker", daemon=True)
    thread.start()
    return thread


def start_beat() -> None:
    beat = EmbeddedService(app, thread=True, schedule_filename=settings.CELERY_BEAT_SCHEDULE_FILE)
    # celery-types declares _Process without its multiprocessing.Process base (which has start).
    beat.start()  # type: ignore[union-attr]


def _send(task: str, args: list[Any], eta: datetime | None) -> None:
    app.send_task(task, args=args, eta=eta)


def start_all() -> None:
    wake.listen(_send)  # first: commands run meanwhile hand their wake-ups to this process
    recovered = queue.recover_sole_process()
    if recovered:
        logger.info("recovered %d queue items from the previous process", recovered)
    start_worker()
    start_beat()
    start_lease_heartbeat()

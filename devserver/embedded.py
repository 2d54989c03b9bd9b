"""Embedded mode: a Celery worker and beat running as threads inside the server process."""

import logging
import threading
import time

from celery.beat import EmbeddedService
from django.conf import settings
from django.db import close_old_connections

from runs import queue

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
    beat.start()


_heartbeat: threading.Thread | None = None


def start_lease_heartbeat() -> threading.Thread:
    """Keep this process's leases alive while its SDK calls are in flight (once per process)."""
    global _heartbeat
    if _heartbeat is not None:
        return _heartbeat

    def beat() -> None:
        interval = settings.LEASE_SECONDS / 3
        while True:
            time.sleep(interval)
            try:
                # This thread never sees a request or task end, where Django drops a broken
                # connection: do it here, or a database restart stops the heartbeat for good.
                close_old_connections()
                queue.renew_leases()
            except Exception:
                logger.exception("lease heartbeat failed")

    _heartbeat = threading.Thread(target=beat, name="lease-heartbeat", daemon=True)
    _heartbeat.start()
    return _heartbeat


def start_all() -> None:
    recovered = queue.recover_sole_process()
    if recovered:
        logger.info("recovered %d queue items from the previous process", recovered)
    start_worker()
    start_beat()
    start_lease_heartbeat()

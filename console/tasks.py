"""Celery tasks of the console (thin: they call plain functions)."""

import logging

from celery import shared_task

from runs.wakeups import Task

from . import retention

logger = logging.getLogger(__name__)


@shared_task(name=Task.PURGE.value, ignore_result=True)
def purge() -> None:
    """On beat every PURGE_INTERVAL seconds; safe to run twice or at once (each batch is one
    transaction that skips rows another holds)."""
    counts = retention.purge_expired()
    if counts["runs"] or counts["events"]:
        logger.info("retention: purged %(runs)d runs and %(events)d events", counts)

"""Celery tasks for runs (thin: they call plain functions). Registered under the names in
wakeups.Task; nothing imports this module but the worker's autodiscovery."""

import logging

from celery import shared_task

from . import bulk, cancellation, crons, executor, queue, retention, states, sync, triggers
from .wakeups import Task

logger = logging.getLogger(__name__)


@shared_task(name=Task.EXECUTE_ITEM.value, ignore_result=True)
def execute_item(item_id: str) -> None:
    with queue.driving(item_id):  # the lease heartbeat renews only what is being driven
        executor.execute_item(item_id)


@shared_task(name=Task.RECONCILE.value, ignore_result=True)
def reconcile() -> None:
    queue.reconcile()
    cancellation.cancel_timed_out_runs()
    triggers.start_held_runs()
    bulk.resume_stalled()
    states.run_late_end_hooks()


@shared_task(name=Task.RUN_BULK_ACTION.value, ignore_result=True)
def run_bulk_action(action_id: int) -> None:
    bulk.execute(action_id)


@shared_task(name=Task.FLUSH_PENDING.value, ignore_result=True)
def flush_pending() -> None:
    triggers.start_held_runs()


@shared_task(name=Task.FIRE_CRONS.value, ignore_result=True)
def fire_crons() -> None:
    crons.fire_due_crons()


@shared_task(name=Task.POLL_APPS.value, ignore_result=True)
def poll_apps() -> None:
    sync.poll_apps()


@shared_task(name=Task.SYNC_APP.value, ignore_result=True)
def sync_app(url: str) -> None:
    sync.sync_app(url)


@shared_task(name=Task.PURGE.value, ignore_result=True)
def purge() -> None:
    """On beat every PURGE_INTERVAL seconds; safe to run twice or at once (each batch is one
    transaction that skips rows another holds)."""
    counts = retention.purge_expired()
    if counts["runs"] or counts["events"]:
        logger.info("retention: purged %(runs)d runs and %(events)d events", counts)

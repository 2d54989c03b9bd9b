"""Celery tasks for runs (thin: they call plain functions)."""

from celery import shared_task

from . import bulk, cancellation, crons, executor, queue, states, triggers


@shared_task(name="runs.execute_item", ignore_result=True)
def execute_item(item_id: str) -> None:
    with queue.driving(item_id):  # the lease heartbeat renews only what is being driven
        executor.execute_item(item_id)


@shared_task(name="runs.reconcile", ignore_result=True)
def reconcile() -> None:
    queue.reconcile()
    cancellation.cancel_timed_out_runs()
    triggers.start_held_runs()
    bulk.resume_stalled()
    states.run_late_end_hooks()


@shared_task(name="runs.run_bulk_action", ignore_result=True)
def run_bulk_action(action_id: int) -> None:
    bulk.execute(action_id)


@shared_task(name="runs.flush_pending", ignore_result=True)
def flush_pending() -> None:
    triggers.start_held_runs()


@shared_task(name="runs.fire_crons", ignore_result=True)
def fire_crons() -> None:
    crons.fire_due_crons()

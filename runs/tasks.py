"""Celery tasks for runs (thin: they call plain functions)."""

from celery import shared_task

from . import cancellation, crons, executor, queue


@shared_task(name="runs.execute_item", ignore_result=True)
def execute_item(item_id: str) -> None:
    executor.execute_item(item_id)


@shared_task(name="runs.reconcile", ignore_result=True)
def reconcile() -> None:
    queue.reconcile()
    cancellation.cancel_timed_out_runs()


@shared_task(name="runs.fire_crons", ignore_result=True)
def fire_crons() -> None:
    crons.fire_due_crons()

"""Celery tasks of the console (thin: they call plain functions)."""

from celery import shared_task

from . import retention


@shared_task(name="console.purge", ignore_result=True)
def purge() -> None:
    retention.purge_expired()

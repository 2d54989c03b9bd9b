"""Celery tasks of the project wiring (thin: they call plain functions)."""

from celery import shared_task

from runs.wakeups import Task

from . import sync


@shared_task(name=Task.POLL_APPS.value, ignore_result=True)
def poll_apps() -> None:
    sync.poll_apps()


@shared_task(name=Task.SYNC_APP.value, ignore_result=True)
def sync_app(url: str) -> None:
    sync.sync_app(url)

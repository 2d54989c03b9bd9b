"""Celery tasks of the project wiring (thin: they call plain functions)."""

from celery import shared_task

from . import sync


@shared_task(name="devserver.poll_apps", ignore_result=True)
def poll_apps() -> None:
    sync.poll_apps()


@shared_task(name="devserver.sync_app", ignore_result=True)
def sync_app(url: str) -> None:
    sync.sync_app(url)

"""Project wiring: settings, ASGI and Celery apps, SDK sync and the `devserver` command."""

from .celery import app as celery_app

__all__ = ["celery_app"]

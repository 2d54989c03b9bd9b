"""Project wiring: settings, URLs, the APIs assembled, ASGI and websocket routing, the Celery app
and its beat schedule, the embedded worker, the `devserver` command and the speed pieces."""

from .celery import app as celery_app

__all__ = ["celery_app"]

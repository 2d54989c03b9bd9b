"""The Celery app. Tasks only carry wake-ups; every decision re-reads the database."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devserver.settings")

app = Celery("devserver")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["runs", "devserver"])


@app.on_after_finalize.connect
def _schedule_periodic_tasks(sender: Celery, **_: object) -> None:
    from django.conf import settings

    sender.add_periodic_task(
        settings.RECONCILE_INTERVAL, sender.signature("runs.reconcile"), name="reconcile"
    )
    sender.add_periodic_task(1.0, sender.signature("runs.fire_crons"), name="crons")
    sender.add_periodic_task(
        settings.POLL_INTERVAL, sender.signature("devserver.poll_apps"), name="poll apps"
    )

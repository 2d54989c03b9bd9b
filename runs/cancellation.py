"""Cancelling a run: it stops at its next step boundary and is marked Cancelled."""

from django.db import transaction

from . import states
from .models import QueueItem, Run, RunStatus


class RunAlreadyEnded(Exception):
    """Only a run that has not ended can be cancelled."""


def cancel_run(run_id: str) -> Run:
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run_id)
        if run.status in states.TERMINAL_RUN_STATUSES:
            raise RunAlreadyEnded(f"run {run_id} already ended as {run.status}")
        # Deleting the items makes a worker mid-call lose its lease: it stores nothing more.
        QueueItem.objects.filter(run=run).delete()
        states.transition_run(run, RunStatus.CANCELLED)
    return run

"""Publishing run and step changes to live views (websocket groups over the channel layer)."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .models import Run, Step

logger = logging.getLogger(__name__)


def run_group(run_id: str) -> str:
    return f"run-{run_id}"


RUNS_GROUP = "runs"


def publish_run(run: Run) -> None:
    message = {"type": "run.changed", "run_id": run.id, "status": run.status}
    transaction.on_commit(lambda: _send([RUNS_GROUP, run_group(run.id)], message))


def publish_step(step: Step) -> None:
    message = {"type": "step.changed", "run_id": step.run_id, "step": step.hashed_id}
    transaction.on_commit(lambda: _send([run_group(step.run_id)], message))


def _send(groups: list[str], message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        for group in groups:
            async_to_sync(layer.group_send)(group, message)
    except Exception:  # a live view missing an update must never fail a run
        logger.exception("could not publish %s", message["type"])

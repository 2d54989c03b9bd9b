"""Checkpoints from the JS SDK v4: steps it ran inside one request, reported as it goes. They
are stored exactly like steps reported in a response, so a run stays durable and inspectable."""

from typing import Any

from django.db import transaction

from foundation import clock

from . import defer, queue, states
from .metadata import record_op_metadata
from .models import QueueItem, Run, Step
from .protocol import Opcode, ProtocolError, parse_ops
from .statuses import TERMINAL_RUN_STATUSES, StepStatus


class StaleDispatch(Exception):
    """The request that checkpoints no longer holds the run (cancelled, ended, taken over)."""


class BadCheckpoint(ValueError):
    """The checkpoint body cannot be read."""


def record_checkpoint(run_id: str, body: Any) -> int:
    """Store the reported steps; returns how many were new."""
    if not isinstance(body, dict):
        raise BadCheckpoint("checkpoint body must be a JSON object")
    try:
        steps = body.get("steps")
        ops = parse_ops(steps) if steps else []
    except ProtocolError as exc:
        raise BadCheckpoint(str(exc)) from None
    with transaction.atomic():
        item = QueueItem.objects.filter(pk=str(body.get("qi_id") or ""), run_id=run_id).first()
        run = Run.objects.filter(pk=run_id).first()
        if item is None or not item.lease_owner or run is None:
            raise StaleDispatch(f"run {run_id} is not held by queue item {body.get('qi_id')!r}")
        if run.status in TERMINAL_RUN_STATUSES:
            raise StaleDispatch(f"run {run_id} already ended as {run.status}")
        stored = _store_steps(run, ops)
        defer.record_lazy_ops(run, ops)
        record_op_metadata(run, ops)
        if not queue.renew_held_lease(item):
            raise StaleDispatch(f"run {run_id}: queue item {item.id} was taken over meanwhile")
    return stored


def _store_steps(run: Run, ops: list) -> int:
    known = set(Step.objects.filter(run=run).values_list("hashed_id", flat=True))
    position = Step.objects.filter(run=run, position__isnull=False).count()
    stored = 0
    now = clock.now()
    for op in ops:
        if op.opcode is not Opcode.STEP_RUN or op.hashed_id in known:
            continue
        recorded = states.record_step(
            run,
            StepStatus.COMPLETED,
            hashed_id=op.hashed_id,
            name=op.label,
            opcode=Opcode.STEP_RUN,
            memo={"data": op.data},
            opts=op.step_input,
            position=position,
            started_at=now,
            ended_at=now,
        )
        if recorded is not None:  # None: the executor stored the same step meanwhile
            position += 1
            stored += 1
    return stored

"""Store what a step produced: its memoized output, written once, at its place in the stack."""

from datetime import datetime
from typing import Any

from foundation import clock

from . import states
from .memo import RunMemo
from .models import Step
from .protocol import Opcode, StepOp
from .statuses import ErrorName, StepStatus


def store_finished_step(memo: RunMemo, op: StepOp, started: datetime, attempt: int) -> None:
    """A StepRun or StepFailed op: the step's output (or final error) becomes its memo.
    `started`: when this attempt's call to the SDK began (kept as attempt_started_at)."""
    value: Any  # the step's memoized output: what the SDK gets back on replay
    if op.opcode is Opcode.STEP_FAILED:
        error = op.error or {"name": ErrorName.GENERIC, "message": ""}
        status, value = StepStatus.FAILED, {"error": error}
    else:
        status, value = StepStatus.COMPLETED, {"data": op.data}
    existing = memo.existing_step(op.hashed_id)
    if existing is not None and existing.status in (StepStatus.COMPLETED, StepStatus.FAILED):
        memo.remember(existing.hashed_id, existing.memo)  # reported again: the first result stays
        return
    opts = op.step_input
    if existing is not None:
        states.move_step(
            existing,
            status,
            memo=value,
            position=memo.next_position,
            attempts=attempt + 1,
            attempt_started_at=started,
            **({"opts": opts} if opts else {}),
        )
    else:
        stored = states.record_step(
            memo.run,
            status,
            hashed_id=op.hashed_id,
            name=op.label,
            opcode=Opcode.STEP_RUN,
            memo=value,
            opts=opts,
            position=memo.next_position,
            attempts=attempt + 1,
            started_at=started,
            attempt_started_at=started,
            ended_at=clock.now(),
        )
        if stored is None:  # stored meanwhile (a checkpoint of the same step): the first stays
            value = stored_step(memo, op.hashed_id).memo
    memo.remember(op.hashed_id, value)


def stored_step(memo: RunMemo, hashed_id: str) -> Step:
    return Step.objects.get(run=memo.run, hashed_id=hashed_id)

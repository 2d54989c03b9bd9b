"""Parallel steps: planned steps fan out to one queue item each, and rejoin the run.

Wire shape: several `StepPlanned` ops in one 206 answer, each perhaps with
`opts.parallelMode` (protocol.ParallelMode). Wait mode (the default): the last parallel step
to end calls the SDK again. Race mode (JS 4.x `group.parallel()`, Python
`parallel_mode=RACE`): each one calls it again as it ends, as inngest/inngest schedules a
"discovery request" after every parallel step of a race; the SDK then reports a sibling still
in flight as planned again, and that sibling keeps its one item. The stack keeps the order in
which steps ended, so on every later replay a race resolves with the same winner."""

from datetime import datetime

from . import queue
from .memo import RunMemo
from .models import QueueItem
from .protocol import Opcode, StepOp
from .statuses import PARALLEL_REASONS, QueueReason
from .step_results import store_finished_step

FINISHED_OPCODES = (Opcode.STEP_RUN, Opcode.STEP_FAILED)


def fan_out(memo: RunMemo, item: QueueItem, ops: list[StepOp], started: datetime) -> bool:
    """Store the finished ops, give each planned step not yet in flight an item of its own.
    True: steps were planned, this item's work is handed on (the caller finishes it); False:
    nothing was planned, discovery goes on in this item."""
    for op in ops:
        if op.opcode in FINISHED_OPCODES:
            store_finished_step(memo, op, started, 0)
    planned = [op for op in ops if op.opcode is Opcode.STEP_PLANNED]
    if not planned:
        return False
    queue.lock_run(memo.run.id)  # two racing discoveries must not both plan the same step
    in_flight = queue.steps_in_flight(item)
    for op in planned:
        if op.hashed_id not in in_flight:
            reason = QueueReason.RACE if op.races else QueueReason.PLANNED
            queue.enqueue(memo.run, target_step=op.hashed_id, reason=reason)
    return True


def before_storing(memo: RunMemo, item: QueueItem) -> None:
    """A parallel step is about to store its output: siblings store theirs meanwhile, so take
    turns and count them, and the stack keeps the order in which the steps ended (the JS SDK
    replays memoized steps in that order: a race's winner stays the winner)."""
    if item.reason in PARALLEL_REASONS:
        queue.lock_run(memo.run.id)
        memo.reload()


def should_stop(memo: RunMemo, item: QueueItem) -> bool:
    """After a step ended: True when this was one of several wait-mode parallel steps and
    others are still pending (the last of them goes on). A race-mode step goes on at once:
    the function sees the fastest branch first while the others carry on."""
    if item.reason == QueueReason.RACE:
        memo.reload()  # what siblings stored since this worker loaded the run
    elif item.reason == QueueReason.PLANNED:
        if queue.other_planned_items(item):
            return True
        # The last sibling: the others stored their steps after this worker loaded the run.
        memo.reload()
    return False


def retry_reason(item: QueueItem) -> QueueReason:
    # A parallel step keeps its mark through retries so the join (or the race) still works.
    return QueueReason(item.reason) if item.reason in PARALLEL_REASONS else QueueReason.RETRY

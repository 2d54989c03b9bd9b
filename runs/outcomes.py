"""Apply what the SDK answered to the stored run: steps, retries, sleeps, completion."""

import enum
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from events.expressions import ExpressionError, validate_expression
from foundation import clock
from foundation.durations import DurationError, parse_duration, parse_wake_time

from . import ai_gateway, defer, fetch_gateway, parallel, queue, signals, states, step_results
from .ai_gateway import ModelCall
from .invocations import start_child_run
from .memo import RunMemo
from .models import Attempt, QueueItem
from .protocol import (
    FunctionCompleted,
    FunctionErrored,
    Opcode,
    SdkOutcome,
    StepOp,
    StepsReported,
    unsupported_opcode,
)
from .retries import next_attempt_at
from .statuses import (
    FINISHED_STEP_STATUSES,
    ErrorName,
    QueueReason,
    RunStatus,
    StepStatus,
)

# An invoke without a timeout waits as long as the child runs; the item still needs a date.
INVOKE_NO_TIMEOUT = timedelta(days=366)


class Next(enum.Enum):
    CONTINUE = "continue"  # call the SDK again right away
    STOP = "stop"  # the item was released, handed on or finished


def apply_outcome(memo: RunMemo, item: QueueItem, outcome: SdkOutcome, started: datetime) -> Next:
    # A model call (step.ai.infer) or a step.fetch can take seconds: it happens before the
    # transaction opens, never while one holds the database (SQLite has a single writer).
    lazy_ops, answer = defer.split_lazy_ops(outcome)  # defer() ops ride beside the others
    model_call = _gateway_call(answer) if answer is not None else None
    with transaction.atomic():
        defer.record_lazy_ops(memo.run, lazy_ops)
        if answer is None:
            return _continue_or_join(memo, item)
        outcome = answer
        if isinstance(outcome, FunctionCompleted):
            queue.finish(item)
            states.move_run(memo.run, RunStatus.COMPLETED, output=outcome.output)
            return Next.STOP
        if isinstance(outcome, FunctionErrored):
            return _function_errored(memo, item, outcome, started)
        return _steps_reported(memo, item, outcome, started, model_call)


def _gateway_call(outcome: SdkOutcome) -> ModelCall | None:
    """The request an AIGateway or Gateway op asks the server to make, made."""
    if isinstance(outcome, StepsReported) and len(outcome.ops) == 1:
        op = outcome.ops[0]
        if op.opcode is Opcode.AI_GATEWAY:
            return ai_gateway.call_model(op.opts)
        if op.opcode is Opcode.GATEWAY:
            return fetch_gateway.fetch(op.opts)
    return None


def _function_errored(
    memo: RunMemo, item: QueueItem, outcome: FunctionErrored, started: datetime
) -> Next:
    Attempt.objects.create(
        run=memo.run,
        step_hashed_id=item.target_step,
        number=item.attempt,
        started_at=started,
        ended_at=clock.now(),
        error=outcome.error,
        retry_at=None,
    )
    if outcome.no_retry or item.attempt + 1 >= memo.execution_state(0).max_attempts:
        queue.finish(item)
        states.move_run(memo.run, RunStatus.FAILED, error=outcome.error)
        return Next.STOP
    queue.release(
        item,
        next_attempt_at(item.attempt, outcome.retry_at),
        attempt=item.attempt + 1,
        reason=parallel.retry_reason(item),
    )
    return Next.STOP


def _steps_reported(
    memo: RunMemo,
    item: QueueItem,
    outcome: StepsReported,
    started: datetime,
    model_call: ModelCall | None = None,
) -> Next:
    ops = outcome.ops
    if ops[-1].opcode is Opcode.RUN_COMPLETE:
        return _run_complete(memo, item, ops, started)
    if len(ops) > 1:
        return _fan_out_or_refuse(memo, item, ops, started)
    op = ops[0]
    if op.opcode in (Opcode.STEP_RUN, Opcode.STEP_FAILED):
        parallel.before_storing(memo, item)
        step_results.store_finished_step(memo, op, started, item.attempt)
        return _continue_or_join(memo, item)
    if op.opcode is Opcode.STEP_ERROR:
        return _step_errored(memo, item, outcome, started)
    if op.opcode is Opcode.STEP_PLANNED and op.races:
        return _fan_out_or_refuse(memo, item, ops, started)
    if op.opcode is Opcode.STEP_PLANNED:
        queue.confirm_lease(item, target_step=op.hashed_id)
        return Next.CONTINUE
    if op.opcode is Opcode.SLEEP:
        return _sleep(memo, item, op, started)
    if op.opcode is Opcode.WAIT_FOR_EVENT:
        return _wait_for_event(memo, item, op, started)
    if op.opcode is Opcode.INVOKE:
        return _invoke(memo, item, op, started)
    if op.opcode is Opcode.WAIT_FOR_SIGNAL:
        return _wait_for_signal(memo, item, op, started)
    if op.opcode in (Opcode.AI_GATEWAY, Opcode.GATEWAY) and model_call is not None:
        return _gateway(memo, item, op, started, model_call)
    return _unsupported(memo, item, op)


def _run_complete(memo: RunMemo, item: QueueItem, ops: list[StepOp], started: datetime) -> Next:
    """Checkpointed run finished in this request; steps still buffered come first."""
    for op in ops[:-1]:
        if op.opcode in (Opcode.STEP_RUN, Opcode.STEP_FAILED) and op.hashed_id not in memo.memos:
            step_results.store_finished_step(memo, op, started, 0)
    queue.finish(item)
    states.move_run(memo.run, RunStatus.COMPLETED, output=ops[-1].data)
    return Next.STOP


def _step_errored(
    memo: RunMemo, item: QueueItem, outcome: StepsReported, started: datetime
) -> Next:
    op = outcome.ops[0]
    error = op.error or {"name": ErrorName.GENERIC, "message": "step failed"}
    Attempt.objects.create(
        run=memo.run,
        step_hashed_id=op.hashed_id,
        step_name=op.label,
        number=item.attempt,
        started_at=started,
        ended_at=clock.now(),
        error=error,
    )
    max_attempts = memo.execution_state(0).max_attempts
    if outcome.no_retry or item.attempt + 1 >= max_attempts:
        # The SDK did not mark it final, but the retries are spent: fail the step for good and
        # let the function decide (catch it, or fail the run).
        failed = StepOp(Opcode.STEP_FAILED, op.hashed_id, op.name, op.display_name, error=error)
        step_results.store_finished_step(memo, failed, started, item.attempt)
        return _continue_or_join(memo, item)
    step = memo.existing_step(op.hashed_id)
    if step is None:
        states.record_step(
            memo.run,
            StepStatus.RETRYING,
            hashed_id=op.hashed_id,
            name=op.label,
            opcode=Opcode.STEP_RUN,
            attempts=item.attempt + 1,
            started_at=started,
        )
    else:
        states.move_step(step, StepStatus.RETRYING, attempts=item.attempt + 1)
    retry_at = next_attempt_at(item.attempt, outcome.retry_at)
    queue.release(item, retry_at, attempt=item.attempt + 1, reason=parallel.retry_reason(item))
    return Next.STOP


def _sleep(memo: RunMemo, item: QueueItem, op: StepOp, started: datetime) -> Next:
    target = op.opts.get("duration") or op.name
    try:
        wake_at = parse_wake_time(str(target))
    except DurationError as exc:
        return _fail_run(memo, item, {"name": ErrorName.INVALID_SLEEP, "message": str(exc)})
    stored = states.record_step(
        memo.run,
        StepStatus.SLEEPING,
        hashed_id=op.hashed_id,
        name=op.label,
        opcode=Opcode.SLEEP,
        opts={"until": wake_at.isoformat()},
        started_at=started,
        wake_at=wake_at,
    )
    if stored is None:
        return _resume_stored(memo, item, op)
    return _park(memo, item, wake_at, QueueReason.SLEEP, RunStatus.SLEEPING)


def _wait_for_event(memo: RunMemo, item: QueueItem, op: StepOp, started: datetime) -> Next:
    event_name = op.opts.get("event") or op.name
    try:
        wake_at = clock.now() + parse_duration(op.opts.get("timeout") or "0s")
        if op.opts.get("if"):  # checked now: at ingest a bad one would match nothing, silently
            validate_expression(str(op.opts["if"]))
    except (DurationError, ExpressionError) as exc:
        error = {"name": ErrorName.INVALID_WAIT_FOR_EVENT, "message": str(exc)}
        return _fail_run(memo, item, error)
    stored = states.record_step(
        memo.run,
        StepStatus.WAITING,
        hashed_id=op.hashed_id,
        name=op.label,
        opcode=Opcode.WAIT_FOR_EVENT,
        wait_event=event_name,
        wake_at=wake_at,
        started_at=started,
        opts={"event": event_name, "if": op.opts.get("if"), "timeout": op.opts.get("timeout")},
    )
    if stored is None:
        return _resume_stored(memo, item, op)
    return _park(memo, item, wake_at, QueueReason.WAIT)


def _wait_for_signal(memo: RunMemo, item: QueueItem, op: StepOp, started: datetime) -> Next:
    """Hold the op's signal until POST /v1/signals or the timeout (runs/signals.py)."""
    try:
        if not signals.signal_of(op):
            raise DurationError("a WaitForSignal op needs opts.signal")
        wake_at = clock.now() + parse_duration(op.opts.get("timeout") or "0s")
    except DurationError as exc:
        error = {"name": ErrorName.INVALID_WAIT_FOR_SIGNAL, "message": str(exc)}
        return _fail_run(memo, item, error)
    recorded = signals.record_signal_wait(memo.run, op, started, wake_at)
    if recorded is None:
        return _resume_stored(memo, item, op)
    if isinstance(recorded, signals.SignalTaken):  # the step fails; the function may catch it
        error = {"name": ErrorName.SIGNAL_CONFLICT, "message": recorded.message}
        failed = StepOp(Opcode.STEP_FAILED, op.hashed_id, op.name, op.display_name, error=error)
        step_results.store_finished_step(memo, failed, started, item.attempt)
        return _continue_or_join(memo, item)
    return _park(memo, item, wake_at, QueueReason.WAIT)


def _invoke(memo: RunMemo, item: QueueItem, op: StepOp, started: datetime) -> Next:
    timeout = op.opts.get("timeout")
    try:
        wake_at = clock.now() + (parse_duration(timeout) if timeout else INVOKE_NO_TIMEOUT)
    except DurationError as exc:
        return _fail_run(memo, item, {"name": ErrorName.INVALID_INVOKE, "message": str(exc)})
    slug = str(op.opts.get("function_id") or "")
    step = states.record_step(
        memo.run,
        StepStatus.WAITING,
        hashed_id=op.hashed_id,
        name=op.label,
        opcode=Opcode.INVOKE,
        wake_at=wake_at,
        started_at=started,
        opts={"function_id": slug, "timeout": timeout},
    )
    if step is None:
        return _resume_stored(memo, item, op)
    child = start_child_run(memo.run, step, slug, op.opts.get("payload") or {})
    if child is None:
        missing = {"name": ErrorName.GENERIC, "message": f"could not find function with ID: {slug}"}
        states.move_step(
            step, StepStatus.FAILED, memo={"error": missing}, position=memo.next_position
        )
        memo.remember(step.hashed_id, step.memo)
        return _continue_or_join(memo, item)
    step.opts = {**(step.opts or {}), "run_id": child.id}
    step.save(update_fields=["opts"])
    return _park(memo, item, wake_at, QueueReason.INVOKE)


def _gateway(
    memo: RunMemo, item: QueueItem, op: StepOp, started: datetime, call: ModelCall
) -> Next:
    """The model call or step.fetch (made between two SDK requests) recorded; retried like a
    step. Neither stores its credentials (the key, an Authorization header)."""
    if call.ok or item.attempt + 1 >= memo.execution_state(0).max_attempts:
        status = StepStatus.COMPLETED if call.ok else StepStatus.FAILED
        existing = memo.existing_step(op.hashed_id)
        fields = {
            "memo": call.memo,
            "position": memo.next_position,
            "attempts": item.attempt + 1,
            "attempt_started_at": started,
        }
        if existing is not None:
            states.move_step(existing, status, **fields)
        else:
            states.record_step(
                memo.run,
                status,
                hashed_id=op.hashed_id,
                name=op.label,
                opcode=op.opcode,
                opts=_safe_opts(op),
                started_at=started,
                ended_at=clock.now(),
                **fields,
            )
        memo.remember(op.hashed_id, call.memo)
        return _continue_or_join(memo, item)
    failed = StepOp(
        Opcode.STEP_ERROR, op.hashed_id, op.name, op.display_name, error=call.memo["error"]
    )
    return _step_errored(memo, item, StepsReported([failed]), started)


def _safe_opts(op: StepOp) -> dict[str, Any]:
    if op.opcode is Opcode.GATEWAY:
        return fetch_gateway.safe_opts(op.opts)
    return ai_gateway.safe_opts(op.opts)


def _resume_stored(memo: RunMemo, item: QueueItem, op: StepOp) -> Next:
    """The SDK reported a sleep, wait or invoke whose step is stored already (reported again
    before it was due): go by the stored step, never start it twice."""
    step = step_results.stored_step(memo, op.hashed_id)
    if step.status in FINISHED_STEP_STATUSES:
        memo.remember(step.hashed_id, step.memo)
        return _continue_or_join(memo, item)
    if op.opcode is Opcode.SLEEP:
        return _park(memo, item, step.wake_at or clock.now(), QueueReason.SLEEP, RunStatus.SLEEPING)
    waits = (Opcode.WAIT_FOR_EVENT, Opcode.WAIT_FOR_SIGNAL)
    reason = QueueReason.WAIT if op.opcode in waits else QueueReason.INVOKE
    return _park(memo, item, step.wake_at or clock.now(), reason)


def _park(
    memo: RunMemo,
    item: QueueItem,
    wake_at: datetime,
    reason: QueueReason,
    status: RunStatus = RunStatus.WAITING,
) -> Next:
    """The run sleeps or waits for something outside it; its item is due at the deadline."""
    states.move_run(memo.run, status)
    queue.release(item, wake_at, attempt=0, target_step="", reason=reason)
    return Next.STOP


def _fan_out_or_refuse(
    memo: RunMemo, item: QueueItem, ops: list[StepOp], started: datetime
) -> Next:
    """Several ops at once (parallel steps, runs/parallel.py), or one race-mode planned step."""
    known = (*parallel.FINISHED_OPCODES, Opcode.STEP_PLANNED)
    others = [op for op in ops if op.opcode not in known]
    if others:
        return _unsupported(memo, item, others[0])
    if parallel.fan_out(memo, item, ops, started):
        queue.finish(item)
        return Next.STOP
    queue.confirm_lease(item, attempt=0, target_step="")
    return Next.CONTINUE


def _continue_or_join(memo: RunMemo, item: QueueItem) -> Next:
    """After a step ended: go on discovering, unless parallel siblings go on instead."""
    if parallel.should_stop(memo, item):
        queue.finish(item)
        return Next.STOP
    queue.confirm_lease(item, attempt=0, target_step="", reason=QueueReason.CONTINUE)
    return Next.CONTINUE


def _unsupported(memo: RunMemo, item: QueueItem, op: StepOp) -> Next:
    sdk = memo.run.function.app.sdk
    return _fail_run(memo, item, unsupported_opcode(op.opcode.value, sdk, op.label))


def _fail_run(memo: RunMemo, item: QueueItem, error: dict[str, Any]) -> Next:
    queue.finish(item)
    states.move_run(memo.run, RunStatus.FAILED, error=error)
    return Next.STOP

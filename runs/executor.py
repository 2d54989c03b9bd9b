"""Drive one queue item: call the SDK, record what it reports, and keep going until the run
ends or has to wait (sleep, retry backoff). A completed step is stored before the next call."""

import dataclasses
import logging
from datetime import datetime

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction

from foundation import clock, fast_get

from . import defer, endpoint_calls, queue, states, tracing
from .cancellation import cancel_timed_out_runs, finish_deadline
from .memo import RunMemo
from .metadata import record_op_metadata
from .models import Attempt, QueueItem, Run, Step
from .outcomes import Next, apply_outcome
from .protocol import StepsReported, build_request_body
from .retries import next_attempt_at
from .sdk_client import call_function, step_url
from .statuses import TERMINAL_RUN_STATUSES, ErrorName, QueueReason, RunStatus, StepStatus
from .waits import expire_waits

logger = logging.getLogger(__name__)


def execute_item(item_id: str) -> None:
    """Entry point for a wake-up. Safe to call twice: only one caller claims the item."""
    item = queue.claim(item_id)
    if item is None:
        queue.redispatch_if_early(item_id)
        return
    try:
        drive(item)
    except queue.LeaseLost:
        logger.info("item %s was cancelled or taken over; stopping", item_id)
    except states.LostRace as exc:
        logger.info("item %s: %s; looking again", item_id, exc)
        _release(item, clock.now(), reason=item.reason)
    except (OperationalError, InterfaceError):
        # The database went away: the attempt is not the app's fault and is not counted.
        logger.exception("database unavailable while driving item %s; it will be retried", item_id)
        _release(item, next_attempt_at(item.attempt, None), reason=QueueReason.CRASH)
    except Exception as exc:
        logger.exception("executor failed on item %s; the attempt counts as failed", item_id)
        _fail_attempt(item, exc)


def drive(item: QueueItem) -> None:
    # The function's registration config and triggers are not read while driving a run, and
    # decoding them cost more than the rest of the row (the spec holds what is needed).
    run = fast_get.get(
        Run, item.run_id, ("function__app", "event"), ("function__config", "function__triggers")
    )
    if run.status in TERMINAL_RUN_STATUSES:
        with transaction.atomic():
            queue.finish(item)
        return
    if item.reason == QueueReason.ENDPOINT_TIMEOUT:  # a Durable Endpoint's request never ended
        endpoint_calls.time_out(run, item)
        return
    if run.timeout_at and run.timeout_at < clock.now():
        cancel_timed_out_runs()
        return
    memo = RunMemo.load(run)
    if memo.has_due_timers:
        expire_waits(run, clock.now())
        memo.reload()
    with transaction.atomic():
        if memo.has_due_timers:
            _wake_sleeping_steps(memo)
        if run.status != RunStatus.RUNNING:
            first_start = run.started_at is None
            states.move_run(run, RunStatus.RUNNING)
            if first_start:
                _start_finish_timeout(run)
        queue.confirm_lease(item)
    may_checkpoint = settings.CHECKPOINTING and run.function.app.sdk.startswith("js:")
    sends_defers = run.function.app.sdk.startswith("js:")
    urls: dict[str, str] = {}  # by target step: most calls of a run go to the same URL
    while True:
        url = urls.get(item.target_step)
        if url is None:
            url = urls[item.target_step] = step_url(
                run.function.step_url, run.function.slug, item.target_step
            )
        started = clock.now()
        state = memo.execution_state(item.attempt, queue_item_id=item.id)
        if sends_defers:  # JS 4.4+ reads the run's defers (runs/defer.py)
            state = dataclasses.replace(state, defers=defer.prior_defers(run))
        trace = tracing.request_headers(run.id, item.id, run.function.app.name, run.function.slug)
        if endpoint_calls.is_endpoint_run(run):  # its own URL and method, state over the API
            call = endpoint_calls.call_back(run, item.target_step)
            outcome = call_function(call.url, call.body, {**trace, **call.headers}, call.method)
        else:
            outcome = call_function(url, build_request_body(state), trace)
        if isinstance(outcome, StepsReported):
            record_op_metadata(run, outcome.ops)
        if may_checkpoint:
            memo = RunMemo.load(run)  # steps checkpointed during the call are in the database
        if apply_outcome(memo, item, outcome, started) is Next.STOP:
            return


def _wake_sleeping_steps(memo: RunMemo) -> None:
    """Sleeps that are due become completed steps (memoized as null) before the next call."""
    now = clock.now()
    due = Step.objects.filter(run=memo.run, status=StepStatus.SLEEPING, wake_at__lte=now)
    for step in due.order_by("wake_at", "id"):
        states.move_step(
            step, StepStatus.COMPLETED, memo={"data": None}, position=memo.next_position
        )
        memo.remember(step.hashed_id, step.memo)


def _start_finish_timeout(run: Run) -> None:
    deadline = finish_deadline(run)
    assert run.started_at is not None  # move_run set it: the run has just started Running
    timeout_at = run.started_at + deadline if deadline else None
    if timeout_at != run.timeout_at:  # the start deadline gives way to the finish deadline
        run.timeout_at = timeout_at
        run.save(update_fields=["timeout_at"])


def _release(item: QueueItem, due_at: datetime, **changes: object) -> None:
    try:
        with transaction.atomic():
            queue.release(item, due_at, **changes)
    except queue.LeaseLost:
        pass  # cancelled or taken over meanwhile: nothing of ours to give back
    except Exception:
        logger.exception("could not release item %s; the reconciler will", item.id)


def _fail_attempt(item: QueueItem, exc: Exception) -> None:
    """Something in the app's answer (or a bug of ours) made applying it raise. That attempt
    failed like any other: recorded, retried with backoff, and the run fails once its retries
    are spent, so a poisonous answer costs a bounded number of calls to the app."""
    error = {
        "name": ErrorName.EXECUTOR_ERROR,
        "message": f"the server could not apply the app's answer: {type(exc).__name__}: "
        f"{str(exc)[:500]}",
    }
    try:
        with transaction.atomic():
            run = Run.objects.select_related("function").get(pk=item.run_id)
            now = clock.now()
            Attempt.objects.create(
                run=run,
                step_hashed_id=item.target_step,
                number=item.attempt,
                started_at=now,
                ended_at=now,
                error=error,
            )
            if item.attempt + 1 >= run.function.retries + 1:
                queue.finish(item)
                states.try_move_run(run, RunStatus.FAILED, error=error)
            else:
                retry_at = next_attempt_at(item.attempt, None)
                queue.release(item, retry_at, attempt=item.attempt + 1, reason=QueueReason.CRASH)
    except queue.LeaseLost:
        pass
    except Exception:
        logger.exception("could not record the failed attempt of item %s", item.id)
        _release(item, next_attempt_at(item.attempt, None), reason=QueueReason.CRASH)

"""Drive one queue item: call the SDK, record what it reports, and keep going until the run
ends or has to wait (sleep, retry backoff). A completed step is stored before the next call."""

import logging

from django.conf import settings
from django.db import transaction

from devserver import clock

from . import queue, states
from .cancellation import cancel_timed_out_runs, finish_deadline
from .memo import RunMemo
from .models import QueueItem, Run, RunStatus, Step, StepStatus
from .outcomes import Next, apply_outcome
from .protocol import build_request_body
from .sdk_client import call_function, step_url
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
    except Exception:
        logger.exception("executor crashed on item %s; it will be retried", item_id)
        _release_after_crash(item)


def drive(item: QueueItem) -> None:
    run = Run.objects.select_related("function__app", "event").get(pk=item.run_id)
    if run.status in states.TERMINAL_RUN_STATUSES:
        with transaction.atomic():
            queue.finish(item)
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
            states.transition_run(run, RunStatus.RUNNING)
            if first_start:
                _start_finish_timeout(run)
        queue.confirm_lease(item)
    may_checkpoint = settings.CHECKPOINTING and run.function.app.sdk.startswith("js:")
    urls: dict[str, str] = {}  # by target step: most calls of a run go to the same URL
    while True:
        url = urls.get(item.target_step)
        if url is None:
            url = urls[item.target_step] = step_url(
                run.function.step_url, run.function.slug, item.target_step
            )
        started = clock.now()
        state = memo.execution_state(item.attempt, queue_item_id=item.id)
        outcome = call_function(url, build_request_body(state))
        if may_checkpoint:
            memo = RunMemo.load(run)  # steps checkpointed during the call are in the database
        if apply_outcome(memo, item, outcome, started) is Next.STOP:
            return


def _wake_sleeping_steps(memo: RunMemo) -> None:
    """Sleeps that are due become completed steps (memoized as null) before the next call."""
    now = clock.now()
    due = Step.objects.filter(run=memo.run, status=StepStatus.SLEEPING, wake_at__lte=now)
    for step in due.order_by("wake_at", "id"):
        states.transition_step(
            step, StepStatus.COMPLETED, memo={"data": None}, position=memo.next_position
        )
        memo.remember(step.hashed_id, step.memo)


def _start_finish_timeout(run: Run) -> None:
    deadline = finish_deadline(run)
    timeout_at = run.started_at + deadline if deadline else None
    if timeout_at != run.timeout_at:  # the start deadline gives way to the finish deadline
        run.timeout_at = timeout_at
        run.save(update_fields=["timeout_at"])


def _release_after_crash(item: QueueItem) -> None:
    from .retries import next_attempt_at

    try:
        with transaction.atomic():
            queue.release(item, next_attempt_at(item.attempt, None), reason="crash")
    except Exception:
        logger.exception("could not release item %s; the reconciler will", item.id)

"""Bulk cancel, replay and retry: preview the exact runs, then work through them in the
background. Progress is stored with each run handled, in the same transaction, so a worker
that dies resumes where it stopped and never handles a run twice; and a run already retried or
replayed since the action was prepared (by another action confirmed at the same time) is
skipped, so two operators confirming the same clean-up act once per run."""

from dataclasses import replace
from datetime import timedelta

from django.db import transaction

from foundation import clock

from . import live, states, wakeups
from .cancellation import ACTIVE, RunAlreadyEnded, cancel_run
from .forks import ForkNotAllowed, fork
from .models import BulkAction, BulkKind, Run, RunOrigin
from .selectors import RunSelector
from .statuses import TERMINAL_RUN_STATUSES, BulkStatus, RunStatus
from .wakeups import Task

MOST_RUNS = 10_000  # per bulk action; a bigger clean-up is several actions
STALLED_AFTER = timedelta(seconds=30)


def eligible(kind: str, selector: RunSelector) -> RunSelector:
    """Cancel applies to active runs; retry to failed ones; replay to failed ones unless a
    status is set explicitly, or to any ended run among runs chosen one by one."""
    chosen = bool(selector.run_ids)
    if kind == BulkKind.RETRY or (kind == BulkKind.REPLAY and not selector.status and not chosen):
        return replace(selector, status=RunStatus.FAILED)
    return selector


def preview(kind: str, selector: RunSelector) -> list[Run]:
    runs = list(eligible(kind, selector).all_matching(MOST_RUNS))
    if kind == BulkKind.CANCEL:
        runs = [r for r in runs if r.status in ACTIVE]
    elif kind == BulkKind.REPLAY and selector.run_ids:
        runs = [r for r in runs if r.status in TERMINAL_RUN_STATUSES]
    return runs


def not_eligible(action: BulkAction) -> list[str]:
    """The runs chosen one by one that the action left out (already ended, not failed...)."""
    chosen = RunSelector.from_stored(action.selector).chosen_ids()
    included = set(action.run_ids)
    return [run_id for run_id in chosen if run_id not in included]


def prepare(kind: str, selector: RunSelector, requested_by: str) -> BulkAction:
    """Record the exact runs the action would touch; nothing happens until it is confirmed."""
    if kind not in BulkKind.values:
        raise ValueError(f"unknown bulk action {kind!r}")
    run_ids = [run.id for run in preview(kind, selector)]
    now = clock.now()
    return BulkAction.objects.create(
        kind=kind,
        selector=selector.as_params(),
        run_ids=run_ids,
        total=len(run_ids),
        status=BulkStatus.PREVIEW,
        requested_by=requested_by,
        created_at=now,
        heartbeat_at=now,
    )


def confirm(action: BulkAction) -> bool:
    """Hand a previewed action to a worker. True for the one call that confirmed it; False when
    it was confirmed already (the caller audits only a True, in the same transaction)."""
    with transaction.atomic():
        confirmed = states.try_move_bulk(action, BulkStatus.QUEUED, heartbeat_at=clock.now())
        if confirmed:
            wakeups.send_on_commit(Task.RUN_BULK_ACTION, action.pk)
    action.refresh_from_db()
    return confirmed


def execute(action_id: int) -> None:
    """Handle the runs not handled yet, one transaction per run."""
    while True:
        with transaction.atomic():
            action = BulkAction.objects.select_for_update().get(pk=action_id)
            position = action.done + action.skipped
            if action.status in (BulkStatus.PREVIEW, BulkStatus.COMPLETED):
                return
            if position >= action.total:
                states.try_move_bulk(action, BulkStatus.COMPLETED)
                return
            if action.status == BulkStatus.QUEUED:
                states.try_move_bulk(action, BulkStatus.RUNNING)
            handled = _handle(action, action.run_ids[position])
            action.done += handled
            action.skipped += not handled
            action.heartbeat_at = clock.now()
            action.save(update_fields=["done", "skipped", "heartbeat_at"])
        if position % 5 == 0 or position + 1 >= action.total:
            live.publish_bulk(action)


def resume_stalled() -> int:
    """Re-dispatch actions whose worker went quiet (a lost message or a killed worker)."""
    cutoff = clock.now() - STALLED_AFTER
    unfinished = [BulkStatus.QUEUED, BulkStatus.RUNNING]
    stalled = BulkAction.objects.filter(status__in=unfinished, heartbeat_at__lt=cutoff)
    ids = list(stalled.values_list("id", flat=True))
    for action_id in ids:
        wakeups.send(Task.RUN_BULK_ACTION, action_id)
    return len(ids)


def _handle(action: BulkAction, run_id: str) -> bool:
    """Apply the action to one run; False when it no longer applies (skipped)."""
    kind = action.kind
    # The run's row lock makes two actions handling the same run take turns (Postgres; SQLite
    # has one writer at a time anyway), so the second sees the first one's new run.
    run = (
        Run.objects.select_for_update(of=("self",))
        .select_related("function", "event")
        .filter(pk=run_id)
        .first()
    )
    if run is None:
        return False
    if kind == BulkKind.CANCEL:
        try:
            cancel_run(run_id, "cancelled by a bulk action")
        except RunAlreadyEnded:
            return False
        return True
    origin = RunOrigin.RETRY if kind == BulkKind.RETRY else RunOrigin.REPLAY
    if run.derived_runs.filter(origin=origin, queued_at__gte=action.created_at).exists():
        return False  # another action (or an operator) did it since this one was prepared
    try:
        fork(run, origin)
    except ForkNotAllowed:
        return False
    return True

"""Bulk cancel, replay and retry: preview the exact runs, then work through them in the
background. Progress is stored with each run handled, in the same transaction, so a worker
that dies resumes where it stopped and never handles a run twice."""

from datetime import timedelta

from django.db import transaction

from devserver import clock

from . import live
from .cancellation import ACTIVE, RunAlreadyEnded, cancel_run
from .forks import ForkNotAllowed, fork
from .models import BulkAction, BulkKind, Run, RunOrigin, RunStatus
from .selectors import RunSelector

MOST_RUNS = 10_000  # per bulk action; a bigger clean-up is several actions
STALLED_AFTER = timedelta(seconds=30)
PREVIEW = "Preview"  # prepared and shown, not confirmed: never runs by itself


def eligible(kind: str, selector: RunSelector) -> RunSelector:
    """Cancel applies to active runs; replay and retry to failed ones (unless a status is set
    explicitly for replay)."""
    if kind == BulkKind.RETRY or (kind == BulkKind.REPLAY and not selector.status):
        return RunSelector(**{**selector.__dict__, "status": RunStatus.FAILED})
    return selector


def preview(kind: str, selector: RunSelector) -> list[Run]:
    runs = list(eligible(kind, selector).all_matching(MOST_RUNS))
    if kind == BulkKind.CANCEL:
        runs = [r for r in runs if r.status in ACTIVE]
    return runs


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
        status=PREVIEW,
        requested_by=requested_by,
        created_at=now,
        heartbeat_at=now,
    )


def confirm(action: BulkAction) -> None:
    """Hand a previewed action to a worker (once: confirming twice does nothing more)."""
    from .tasks import run_bulk_action

    updated = BulkAction.objects.filter(pk=action.pk, status=PREVIEW).update(
        status="Queued", heartbeat_at=clock.now()
    )
    if updated:
        transaction.on_commit(lambda: run_bulk_action.delay(action.pk))
    action.refresh_from_db()


def execute(action_id: int) -> None:
    """Handle the runs not handled yet, one transaction per run."""
    while True:
        with transaction.atomic():
            action = BulkAction.objects.select_for_update().get(pk=action_id)
            position = action.done + action.skipped
            if action.status == PREVIEW:
                return
            if position >= action.total:
                if action.status != "Completed":
                    action.status, action.finished_at = "Completed", clock.now()
                    action.save(update_fields=["status", "finished_at"])
                    live.publish_bulk(action)
                return
            handled = _handle(action.kind, action.run_ids[position])
            action.done += handled
            action.skipped += not handled
            action.status = "Running"
            action.heartbeat_at = clock.now()
            action.save(update_fields=["done", "skipped", "status", "heartbeat_at"])
        if position % 5 == 0 or position + 1 >= action.total:
            live.publish_bulk(action)


def resume_stalled() -> int:
    """Re-dispatch actions whose worker went quiet (a lost message or a killed worker)."""
    from .tasks import run_bulk_action

    cutoff = clock.now() - STALLED_AFTER
    stalled = BulkAction.objects.filter(status__in=["Queued", "Running"], heartbeat_at__lt=cutoff)
    ids = list(stalled.values_list("id", flat=True))
    for action_id in ids:
        run_bulk_action.delay(action_id)
    return len(ids)


def _handle(kind: str, run_id: str) -> bool:
    """Apply the action to one run; False when it no longer applies (skipped)."""
    run = Run.objects.select_related("function", "event").filter(pk=run_id).first()
    if run is None:
        return False
    if kind == BulkKind.CANCEL:
        try:
            cancel_run(run_id, "cancelled by a bulk action")
        except RunAlreadyEnded:
            return False
        return True
    origin = RunOrigin.RETRY if kind == BulkKind.RETRY else RunOrigin.REPLAY
    try:
        fork(run, origin)
    except ForkNotAllowed:
        return False
    return True

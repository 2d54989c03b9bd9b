"""The state gateway: every status change of a run, a step or a bulk action happens here.

Each change is `UPDATE … WHERE id = … AND status IN (allowed from)` with the row count checked,
so a lost race is a value the caller handles, never an overwrite; each writes one StatusChange
row in the same transaction. What follows a change runs after the commit, from hooks others
register here: live pushes (best effort) and a run's end (durable: its StatusChange row stays
`hooks_due` until the hooks ran, and the reconciler runs what a crash left behind)."""

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import cache, partial
from typing import Any

from django.db import models, transaction

from foundation import clock, fast_sql

from .models import BulkAction, Defer, Run, StatusChange, Step
from .state_size import json_size
from .statuses import (
    FINISHED_STEP_STATUSES,
    TERMINAL_RUN_STATUSES,
    BulkStatus,
    DeferStatus,
    RunStatus,
    StepStatus,
    Subject,
)

logger = logging.getLogger(__name__)

_R, _S, _B = RunStatus, StepStatus, BulkStatus
# Allowed changes, from -> to. Terminal statuses lead nowhere: a memoized step output and a
# run's outcome are written once.
RUN_TRANSITIONS: dict[str, frozenset[str]] = {
    _R.QUEUED: frozenset({_R.RUNNING, _R.COMPLETED, _R.FAILED, _R.CANCELLED}),
    _R.RUNNING: frozenset({_R.SLEEPING, _R.WAITING, _R.COMPLETED, _R.FAILED, _R.CANCELLED}),
    _R.SLEEPING: frozenset({_R.RUNNING, _R.FAILED, _R.CANCELLED}),
    _R.WAITING: frozenset({_R.RUNNING, _R.FAILED, _R.CANCELLED}),
    _R.COMPLETED: frozenset(),
    _R.FAILED: frozenset(),
    _R.CANCELLED: frozenset(),
}
STEP_TRANSITIONS: dict[str, frozenset[str]] = {
    _S.RUNNING: frozenset({_S.COMPLETED, _S.FAILED, _S.RETRYING}),
    _S.RETRYING: frozenset({_S.RETRYING, _S.COMPLETED, _S.FAILED}),
    _S.SLEEPING: frozenset({_S.COMPLETED, _S.FAILED}),
    _S.WAITING: frozenset({_S.COMPLETED, _S.FAILED}),
    _S.COMPLETED: frozenset(),
    _S.FAILED: frozenset(),
}
BULK_TRANSITIONS: dict[str, frozenset[str]] = {
    _B.PREVIEW: frozenset({_B.QUEUED}),
    _B.QUEUED: frozenset({_B.RUNNING, _B.COMPLETED}),
    _B.RUNNING: frozenset({_B.COMPLETED}),
    _B.COMPLETED: frozenset(),
}
_D = DeferStatus
# A defer is written once; only one waiting for its run's end may still change (runs/defer.py).
DEFER_TRANSITIONS: dict[str, frozenset[str]] = {
    _D.AFTER_RUN: frozenset({_D.ABORTED, _D.SCHEDULED}),
    _D.ABORTED: frozenset(),
    _D.REJECTED: frozenset(),
    _D.SCHEDULED: frozenset(),
}
# A run's end whose hooks have not run this long after it is picked up by the reconciler.
END_HOOKS_LATE_AFTER = timedelta(seconds=10)


class LostRace(Exception):
    """The row was no longer in a status the change may start from: another worker, an
    operator or a timeout changed it first. Nothing was written by this change."""


class InvalidTransition(Exception):
    """A change no status allows (a bug in the caller, not a race)."""


RunHook = Callable[[Run], None]
StepHook = Callable[[Step], None]
BulkHook = Callable[[BulkAction], None]
_run_changed: list[RunHook] = []
_step_changed: list[StepHook] = []
_bulk_changed: list[BulkHook] = []
_run_ended: list[RunHook] = []


def on_run_changed(hook: RunHook) -> None:
    """After the commit of any run status change (best effort: live views)."""
    _register(_run_changed, hook)


def on_step_changed(hook: StepHook) -> None:
    """After the commit of a step's creation or status change (best effort: live views)."""
    _register(_step_changed, hook)


def on_bulk_changed(hook: BulkHook) -> None:
    _register(_bulk_changed, hook)


def on_run_ended(hook: RunHook) -> None:
    """After a run's end commits, once, durably: all ended-hooks run in one transaction that
    also clears the end's `hooks_due` mark, so they run again only if that transaction failed."""
    _register(_run_ended, hook)


def _register(hooks: list[Any], hook: Any) -> None:
    if hook not in hooks:  # ready() may run twice (tests, management commands)
        hooks.append(hook)


# -- runs ------------------------------------------------------------------------------------


def create_run(run: Run) -> None:
    """Insert a new run as Queued."""
    run.status = _R.QUEUED
    fast_sql.insert(run)
    _record(Subject.RUN, "", _R.QUEUED, run_id=run.id)
    _after_commit(_run_changed, run)


def try_move_run(run: Run, to: str, **fields: Any) -> bool:
    """Move `run` to `to` (saving `fields` too) unless its stored status forbids it. True: done,
    and `run` updated in memory; False: a lost race, nothing written. Call inside a transaction."""
    now = clock.now()
    changes = dict(fields)
    if to == _R.RUNNING and run.started_at is None:
        changes["started_at"] = now
    if to in TERMINAL_RUN_STATUSES:
        changes["ended_at"] = now
    before = run.status
    if not _guarded_update(Subject.RUN, run, to, changes):
        return False
    ended = to in TERMINAL_RUN_STATUSES
    has_end_hooks = ended and bool(_run_ended)
    change_id = _record(Subject.RUN, before, to, run_id=run.id, hooks_due=has_end_hooks)
    _after_commit(_run_changed, run)
    if has_end_hooks:
        transaction.on_commit(lambda: run_end_hooks(change_id, run))
    return True


def move_run(run: Run, to: str, **fields: Any) -> None:
    """`try_move_run`, raising LostRace when the race was lost (the caller's transaction then
    rolls back whatever it wrote with it)."""
    if not try_move_run(run, to, **fields):
        raise LostRace(f"run {run.id} could not move to {to}: its status changed meanwhile")


def run_end_hooks(change_id: int, ended: Run | None = None) -> bool:
    """Run the ended-hooks of one run end, if nobody has yet. False: already done. `ended`:
    the run as its end was just committed (the caller's copy saves re-reading it; the
    reconciler passes none and the run is read back)."""
    try:
        with transaction.atomic():
            claimed = fast_sql.update(
                StatusChange, {"id": change_id, "hooks_due": True}, hooks_due=False
            )
            if not claimed:
                return False
            run = ended if ended is not None else _ended_run(change_id)
            for hook in _run_ended:
                hook(run)
        return True
    except Exception:
        logger.exception("end hooks of status change %s failed; the reconciler retries", change_id)
        return False


def forgo_end_hooks(run: Run) -> None:
    """Mark the run's end handled without running its hooks: a run imported from another
    server ended there, and its hooks (onFailure, `function.finished`) ran there. Call in the
    transaction that ended the run, so the on-commit claim finds nothing to do."""
    StatusChange.objects.filter(run=run, subject=Subject.RUN, hooks_due=True).update(
        hooks_due=False
    )


def _ended_run(change_id: int) -> Run:
    run_id = StatusChange.objects.values_list("run_id", flat=True).get(pk=change_id)
    return Run.objects.select_related("function__app", "event").get(pk=run_id)


def run_late_end_hooks(limit: int = 200) -> int:
    """Reconciler: run ends whose hooks a crash (or a failing hook) left undone."""
    cutoff = clock.now() - END_HOOKS_LATE_AFTER
    late = StatusChange.objects.filter(hooks_due=True, at__lt=cutoff).order_by("at")[:limit]
    return sum(run_end_hooks(change_id) for change_id in late.values_list("id", flat=True))


# -- steps -----------------------------------------------------------------------------------


def record_step(run: Run, status: str, **fields: Any) -> Step | None:
    """Create a step that first shows up in `status` (a step that ran inline, a sleep, a wait).
    None: a step with that id was already stored for the run (its output is write-once); the
    refused write is logged and nothing else changes. Call inside a transaction."""
    if status not in STEP_TRANSITIONS:
        raise InvalidTransition(f"unknown step status {status!r}")
    if "memo" in fields:
        fields["memo_size"] = json_size(fields["memo"])
    step = Step(run=run, status=status, **fields)
    if not fast_sql.insert(step, if_absent=True):
        logger.warning(
            "run %s: step %s was already stored; a second write was refused",
            run.id,
            step.hashed_id,
        )
        return None
    _record(Subject.STEP, "", status, run_id=run.id, step_hashed_id=step.hashed_id)
    _after_commit(_step_changed, step)
    return step


def try_move_step(step: Step, to: str, **fields: Any) -> bool:
    """Move a stored step to `to` unless its stored status forbids it (a finished step never
    moves again). True: done and `step` updated; False: lost race, nothing written."""
    changes = dict(fields)
    if "memo" in changes:
        changes["memo_size"] = json_size(changes["memo"])
    if to in FINISHED_STEP_STATUSES and step.ended_at is None:
        changes["ended_at"] = clock.now()
    before = step.status
    if not _guarded_update(Subject.STEP, step, to, changes):
        return False
    _record(Subject.STEP, before, to, run_id=step.run_id, step_hashed_id=step.hashed_id)
    _after_commit(_step_changed, step)
    return True


def move_step(step: Step, to: str, **fields: Any) -> None:
    """`try_move_step`, raising LostRace when the race was lost."""
    if not try_move_step(step, to, **fields):
        raise LostRace(f"step {step.hashed_id} of run {step.run_id} could not move to {to}")


def copy_steps(run: Run, steps: Iterable[Step]) -> None:
    """Finished steps carried into a new run (replay, retry, rerun), as completed steps."""
    now = clock.now()
    copies = [
        Step(
            run=run,
            hashed_id=s.hashed_id,
            name=s.name,
            opcode=s.opcode,
            status=_S.COMPLETED,
            memo=s.memo,
            memo_size=json_size(s.memo) if s.memo_size is None else s.memo_size,
            opts=s.opts,
            position=index,
            attempts=0,  # never attempted in this run: its output was carried over
            started_at=now,
            ended_at=now,
        )
        for index, s in enumerate(steps)
    ]
    Step.objects.bulk_create(copies)
    StatusChange.objects.bulk_create(
        StatusChange(
            subject=Subject.STEP,
            run_id=run.id,
            step_hashed_id=s.hashed_id,
            to_status=_S.COMPLETED,
            at=now,
        )
        for s in copies
    )


# -- bulk actions ----------------------------------------------------------------------------


def try_move_bulk(action: BulkAction, to: str, **fields: Any) -> bool:
    """Move a bulk action to `to` unless its stored status forbids it (confirming twice, two
    workers finishing it). True: done; False: lost race, nothing written."""
    changes = dict(fields)
    if to == _B.COMPLETED:
        changes["finished_at"] = clock.now()
    before = action.status
    if not _guarded_update(Subject.BULK, action, to, changes):
        return False
    _record(Subject.BULK, before, to, bulk_id=action.id)
    _after_commit(_bulk_changed, action)
    return True


# -- defers ----------------------------------------------------------------------------------


def record_defer(defer: Defer) -> bool:
    """Insert a run's defer in its first status. False: one with that hashed id is stored
    already (the SDK sent it again), and nothing was written. Call inside a transaction."""
    if defer.status not in DEFER_TRANSITIONS:
        raise InvalidTransition(f"unknown defer status {defer.status!r}")
    if not fast_sql.insert(defer, if_absent=True):
        return False
    _record(Subject.DEFER, "", defer.status, run_id=defer.run_id, step_hashed_id=defer.hashed_id)
    return True


def try_move_defer(defer: Defer, to: str, **fields: Any) -> bool:
    """Abort or schedule a defer still waiting for its run's end. False: it was aborted or
    scheduled meanwhile (by a retransmit, or the end hook running twice); nothing written."""
    before = defer.status
    if not _guarded_update(Subject.DEFER, defer, to, dict(fields)):
        return False
    _record(Subject.DEFER, before, to, run_id=defer.run_id, step_hashed_id=defer.hashed_id)
    return True


# -- shared ----------------------------------------------------------------------------------


def _guarded_update(
    subject: Subject, row: Run | Step | BulkAction | Defer, to: str, changes: dict[str, Any]
) -> bool:
    """The one guarded write: `UPDATE … SET status = to WHERE id = … AND status IN (allowed
    from)`. True: written, and `row` updated in memory; False: the race was lost."""
    where = {"id": row.pk, "status": _allowed_from(subject, to)}
    if not fast_sql.update(type(row), where, status=to, **changes):
        return False
    row.status = to
    for name, value in changes.items():
        setattr(row, name, value)
    return True


_TABLES = {
    Subject.RUN: RUN_TRANSITIONS,
    Subject.STEP: STEP_TRANSITIONS,
    Subject.BULK: BULK_TRANSITIONS,
    Subject.DEFER: DEFER_TRANSITIONS,
}


@cache
def _allowed_from(subject: str, to: str) -> frozenset[str]:
    table = _TABLES[Subject(subject)]
    allowed = frozenset(source for source, targets in table.items() if to in targets)
    if not allowed:
        raise InvalidTransition(f"no {subject} status may change to {to!r}")
    return allowed


def _record(subject: str, before: str, to: str, hooks_due: bool = False, **about: Any) -> int:
    change = StatusChange(
        subject=subject,
        from_status=before,
        to_status=to,
        at=clock.now(),
        hooks_due=hooks_due,
        **about,
    )
    fast_sql.insert(change)
    return change.id


def _after_commit(hooks: list[Callable[[Any], None]], subject: models.Model) -> None:
    for hook in hooks:
        transaction.on_commit(partial(_quietly, hook, subject))


def _quietly(hook: Callable[[Any], None], subject: models.Model) -> None:
    """A live push that fails must never fail the worker that committed the change."""
    try:
        hook(subject)
    except Exception:
        logger.exception("a status hook failed for %r", subject)

"""The one state machine for runs and for steps. Every status change goes through here."""

from typing import Any

from devserver import clock, fast_sql

from . import live
from .models import Run, RunStatus, Step, StepStatus


class InvalidTransition(Exception):
    """A status change the state machine does not allow (a bug, or a race lost cleanly)."""


_R = RunStatus
RUN_TRANSITIONS: dict[str, set[str]] = {
    _R.QUEUED: {_R.RUNNING, _R.COMPLETED, _R.FAILED, _R.CANCELLED},
    _R.RUNNING: {_R.RUNNING, _R.SLEEPING, _R.WAITING, _R.COMPLETED, _R.FAILED, _R.CANCELLED},
    _R.SLEEPING: {_R.RUNNING, _R.FAILED, _R.CANCELLED},
    _R.WAITING: {_R.RUNNING, _R.FAILED, _R.CANCELLED},
    _R.COMPLETED: set(),
    _R.FAILED: set(),
    _R.CANCELLED: set(),
}
TERMINAL_RUN_STATUSES = frozenset({_R.COMPLETED, _R.FAILED, _R.CANCELLED})

_S = StepStatus
STEP_TRANSITIONS: dict[str, set[str]] = {
    _S.RUNNING: {_S.COMPLETED, _S.FAILED, _S.RETRYING},
    _S.RETRYING: {_S.RETRYING, _S.COMPLETED, _S.FAILED},
    _S.SLEEPING: {_S.COMPLETED, _S.FAILED},
    _S.WAITING: {_S.COMPLETED, _S.FAILED},
    _S.COMPLETED: set(),
    _S.FAILED: set(),
}


def transition_run(run: Run, status: str, **fields: Any) -> None:
    """Move `run` to `status`, saving only what changed. Call inside a transaction."""
    if status not in RUN_TRANSITIONS[run.status]:
        raise InvalidTransition(f"run {run.id}: {run.status} -> {status}")
    changed = ["status", *fields]
    run.status = status
    for name, value in fields.items():
        setattr(run, name, value)
    if status == _R.RUNNING and run.started_at is None:
        run.started_at = clock.now()
        changed.append("started_at")
    if status in TERMINAL_RUN_STATUSES:
        run.ended_at = clock.now()
        changed.append("ended_at")
    fast_sql.update(Run, {"id": run.id}, **{name: getattr(run, name) for name in changed})
    live.publish_run(run)
    if status in TERMINAL_RUN_STATUSES:
        from .lifecycle import on_run_ended

        on_run_ended(run)


def transition_step(step: Step, status: str, **fields: Any) -> None:
    """Move an existing step to `status`. Call inside a transaction."""
    if status not in STEP_TRANSITIONS[step.status]:
        raise InvalidTransition(
            f"step {step.hashed_id} of run {step.run_id}: {step.status} -> {status}"
        )
    step.status = status
    for name, value in fields.items():
        setattr(step, name, value)
    if status in {_S.COMPLETED, _S.FAILED} and step.ended_at is None:
        step.ended_at = clock.now()
        fields = {**fields, "ended_at": step.ended_at}
    saved = {"status", *fields}
    fast_sql.update(Step, {"id": step.id}, **{name: getattr(step, name) for name in saved})
    live.publish_step(step)


def record_new_step(run: Run, status: str, **fields: Any) -> Step:
    """Create a step that first shows up in `status` (e.g. a step that ran inline)."""
    if status not in STEP_TRANSITIONS:
        raise InvalidTransition(f"unknown step status {status}")
    step = Step(run=run, status=status, **fields)
    fast_sql.insert(step)
    live.publish_step(step)
    return step

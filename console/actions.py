"""Operator actions: one function each, called alike by the pages, the APIs and the commands.
Each asks the engine to act and writes its audit row in the same transaction, so an action that
failed (or lost a race) is never audited and one that happened always is. `by` is the request
that asked (its user, or the API key), or None for `manage.py`."""

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from runs import cancellation, forks
from runs.models import Run

from . import audit

Actor = HttpRequest | None


# -- runs ------------------------------------------------------------------------------------


def cancel_run(by: Actor, run_id: str, reason: str) -> Run:
    """Cancel an active run; RunAlreadyEnded (nothing audited) when it has ended."""
    with transaction.atomic():
        run = cancellation.cancel_run(run_id, reason)
        audit.record(by, "run.cancel", run_id)
    return run


def fork_run(
    by: Actor, run: Run, origin: str, from_step: str = "", step_input: list[Any] | None = None
) -> Run:
    """Replay, retry, or rerun from a step (with its input edited): the new run, linked to
    `run`. ForkNotAllowed (nothing audited) when the action does not apply."""
    with transaction.atomic():
        new_run = forks.fork(run, origin, from_step, step_input)
        audit.record(
            by, f"run.{origin}", run.id, new_run=new_run.id, step=from_step, input=step_input
        )
    return new_run

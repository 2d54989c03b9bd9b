"""Replay, retry and rerun-from-a-step: a new run of the same function and trigger, linked to
the original, that starts with some of the original's step outputs already memoized.

The SDK replays the new run from the top; memoized steps return their stored output without
running, so only the steps we did not copy run again."""

import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from foundation import strict_json

from . import states
from .models import QueueItem, Run, RunOrigin, Step
from .statuses import RunStatus, StepStatus
from .triggers import start_run


class BadStepInput(ValueError):
    """An edited step input that is not a JSON array of arguments."""


def parse_step_input(text: str) -> list[Any]:
    """A step's new arguments, as typed by a user: a JSON array."""
    try:
        value = strict_json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadStepInput(f"The input is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(value, list):
        raise BadStepInput("The input must be a JSON array: the step's arguments, in order.")
    return value


class ForkNotAllowed(Exception):
    """The run is in a state this action does not apply to (e.g. retrying a completed run)."""


@dataclass(frozen=True)
class ForkPlan:
    """What a replay, retry or rerun will do, shown before it is confirmed."""

    origin: str
    reused: list[Step]
    rerun: list[str]  # names of the steps known to run again
    from_step: Step | None = None


def plan(run: Run, origin: str, from_step: str = "") -> ForkPlan:
    """Which of `run`'s finished steps the new run reuses and which run again."""
    steps = sorted(run.steps.all(), key=lambda s: (s.position is None, s.position or 0, s.id))
    if origin == RunOrigin.REPLAY:
        reused: list[Step] = []
        chosen = None
    elif origin == RunOrigin.RETRY:
        if run.status != RunStatus.FAILED:
            raise ForkNotAllowed(f"only a failed run can be retried; run {run.id} is {run.status}")
        reused, chosen = [s for s in steps if _succeeded(s)], None
    elif origin == RunOrigin.RERUN:
        chosen = next((s for s in steps if s.hashed_id == from_step), None)
        if chosen is None or chosen.position is None:
            raise ForkNotAllowed(f"run {run.id} has no finished step {from_step!r}")
        before = chosen.position
        reused = [s for s in steps if s.position is not None and s.position < before]
        reused = [s for s in reused if _succeeded(s)]
    else:
        raise ForkNotAllowed(f"unknown action {origin!r}")
    kept = {s.hashed_id for s in reused}
    again = [s.name for s in steps if s.hashed_id not in kept]
    # A step that failed the function outright (no step row, only its failed attempts).
    for attempt in run.failed_attempts.exclude(step_hashed_id=""):
        if attempt.step_hashed_id not in kept and attempt.step_name not in again:
            again.append(attempt.step_name)
    return ForkPlan(origin, reused, again, from_step=chosen)


def fork(run: Run, origin: str, from_step: str = "", step_input: list[Any] | None = None) -> Run:
    """Start the new run. `step_input` replaces the arguments of the step rerun starts from."""
    fork_plan = plan(run, origin, from_step)
    with transaction.atomic():
        new_run = start_run(run.function, run.event, batch_event_ids=run.batch_event_ids)
        new_run.source_run = run
        new_run.origin = origin
        if step_input is not None and fork_plan.from_step is not None:
            # The SDK runs a step with edited input only when asked for that step by id.
            hashed_id = fork_plan.from_step.hashed_id
            new_run.step_inputs = {hashed_id: step_input}
            QueueItem.objects.filter(run=new_run).update(target_step=hashed_id)
        new_run.save(update_fields=["source_run", "origin", "step_inputs"])
        states.copy_steps(new_run, fork_plan.reused)
    return new_run


def _succeeded(step: Step) -> bool:
    return (
        step.status == StepStatus.COMPLETED
        and isinstance(step.memo, dict)
        and ("data" in step.memo)
    )

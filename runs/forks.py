"""Replay, retry and rerun-from-a-step: a new run of the same function and trigger, linked to
the original, that starts with some of the original's step outputs already memoized.

The SDK replays the new run from the top; memoized steps return their stored output without
running, so only the steps we did not copy run again."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from devserver import clock

from .models import Run, RunOrigin, RunStatus, Step, StepStatus


class ForkNotAllowed(Exception):
    """The run is in a state this action does not apply to (e.g. retrying a completed run)."""


@dataclass(frozen=True)
class ForkPlan:
    """What a replay, retry or rerun will do, shown before it is confirmed."""

    origin: str
    reused: list[Step]
    rerun: list[Step]
    from_step: Step | None = None


def plan(run: Run, origin: str, from_step: str = "") -> ForkPlan:
    """Which of `run`'s finished steps the new run reuses and which run again."""
    steps = sorted(
        (s for s in run.steps.all() if s.position is not None),
        key=lambda s: s.position or 0,
    )
    unfinished = [s for s in run.steps.all() if s.position is None]
    if origin == RunOrigin.REPLAY:
        return ForkPlan(origin, [], steps + unfinished)
    if origin == RunOrigin.RETRY:
        if run.status != RunStatus.FAILED:
            raise ForkNotAllowed(f"only a failed run can be retried; run {run.id} is {run.status}")
        reused = [s for s in steps if _succeeded(s)]
        return ForkPlan(origin, reused, [s for s in steps + unfinished if s not in reused])
    if origin == RunOrigin.RERUN:
        chosen = next((s for s in steps if s.hashed_id == from_step), None)
        if chosen is None:
            raise ForkNotAllowed(f"run {run.id} has no finished step {from_step!r}")
        reused = [s for s in steps if (s.position or 0) < (chosen.position or 0) and _succeeded(s)]
        rerun = [s for s in steps + unfinished if s not in reused]
        return ForkPlan(origin, reused, rerun, from_step=chosen)
    raise ForkNotAllowed(f"unknown action {origin!r}")


def fork(run: Run, origin: str, from_step: str = "", step_input: list[Any] | None = None) -> Run:
    """Start the new run. `step_input` replaces the arguments of the step rerun starts from."""
    from .triggers import start_run

    fork_plan = plan(run, origin, from_step)
    with transaction.atomic():
        new_run = start_run(run.function, run.event, batch_event_ids=run.batch_event_ids)
        new_run.source_run = run
        new_run.origin = origin
        if step_input is not None and fork_plan.from_step is not None:
            new_run.step_inputs = {fork_plan.from_step.hashed_id: step_input}
        new_run.save(update_fields=["source_run", "origin", "step_inputs"])
        _copy_steps(new_run, fork_plan.reused)
    return new_run


def _copy_steps(new_run: Run, steps: list[Step]) -> None:
    now = clock.now()
    copies = [
        Step(
            run=new_run,
            hashed_id=s.hashed_id,
            name=s.name,
            opcode=s.opcode,
            status=StepStatus.COMPLETED,
            memo=s.memo,
            opts=s.opts,
            position=index,
            attempts=0,  # never attempted in this run: its output was carried over
            started_at=now,
            ended_at=now,
        )
        for index, s in enumerate(steps)
    ]
    Step.objects.bulk_create(copies)


def _succeeded(step: Step) -> bool:
    return (
        step.status == StepStatus.COMPLETED
        and isinstance(step.memo, dict)
        and ("data" in step.memo)
    )

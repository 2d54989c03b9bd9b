"""Time travel: send the event a waiting run awaits, now. The form is prefilled from the wait
(runs/awaited_event.py); the event sent is a real one, stored through the ingest path like
any other, so it resumes the wait (and starts whatever else it triggers) as if the app had
sent it. Data that would not satisfy the wait's expression is refused before anything is sent."""

import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from events.expressions import matches
from events.ingest import parse_body, store_events

from .awaited_event import AwaitedEvent, awaited_event
from .models import Step
from .protocol import Opcode
from .statuses import StepStatus
from .timetravel import NothingToMove, check_on


class NotAwaited(ValueError):
    """The data does not satisfy the wait's `if` expression: nothing was sent."""


@dataclass
class AwaitedSent:
    event_id: str
    step: str  # the waiting step's name
    # Whether the event resumed the wait. False only when something else resolved it between
    # our check and the commit (a timeout racing us): the event was still sent.
    resumed: bool


def awaited_event_of(run_id: str, step_ref: str = "") -> tuple[Step, AwaitedEvent]:
    """The run's waiting waitForEvent step (`step_ref`: its name or hashed id; may be left
    out when only one waits) and its awaited event, prefilled. NothingToMove when none waits."""
    step = _waiting_step(run_id, step_ref)
    return step, _prefill(step)


def send_awaited_event(run_id: str, step_ref: str, data: dict[str, Any]) -> AwaitedSent:
    """Send the awaited event with `data` now. TimeTravelOff, NothingToMove (no such wait,
    or it ended), NotAwaited (the data does not match: nothing sent), or the ingest's
    EventValidationError."""
    check_on()
    with transaction.atomic():
        # The step's row lock: a timeout racing us either resolved it first (NothingToMove)
        # or waits for our event to resolve it.
        step = _waiting_step(run_id, step_ref, lock=True)
        incoming = parse_body(json.dumps({"name": step.wait_event, "data": data}).encode())
        expression = (step.opts or {}).get("if") or ""
        original = step.run.event.payload() if step.run.event else {}
        awaited = {"name": step.wait_event, "data": incoming[0].data}
        if not matches(expression, {"event": original, "async": awaited}):
            raise NotAwaited(
                f"the data does not satisfy the wait's expression `{expression}`: nothing was sent"
            )
        result = store_events(incoming)  # the events_stored signal resumes the wait
        resumed = not Step.objects.filter(pk=step.pk, status=StepStatus.WAITING).exists()
    return AwaitedSent(event_id=result.ids[0], step=step.name, resumed=resumed)


def _prefill(step: Step) -> AwaitedEvent:
    original = step.run.event.payload() if step.run.event else {}
    return awaited_event(step.wait_event, (step.opts or {}).get("if") or "", original)


def _waiting_step(run_id: str, step_ref: str, lock: bool = False) -> Step:
    steps = Step.objects.filter(
        run_id=run_id, status=StepStatus.WAITING, opcode=Opcode.WAIT_FOR_EVENT
    ).select_related("run__event")
    if lock:
        steps = steps.select_for_update(of=("self",))
    waiting = list(steps.order_by("id"))
    if step_ref:
        waiting = [s for s in waiting if step_ref in (s.hashed_id, s.name)]
    if not waiting:
        named = f" {step_ref!r}" if step_ref else ""
        raise NothingToMove(f"run {run_id} has no waitForEvent step{named} waiting")
    if len(waiting) > 1:
        names = ", ".join(s.name for s in waiting)
        raise NothingToMove(f"run {run_id} waits in several steps ({names}): name the step")
    return waiting[0]

"""Time travel (dev mode by default, DEVSERVER_TIME_TRAVEL): wake a sleep now, time out a wait
now, send the event a wait awaits, release what a debounce, batch or throttle holds. Each is
its operator action, audited. Refusals (time travel off: 403, nothing to move: 409) are
answered by console/api/refusals.py for every view."""

from datetime import datetime
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from console import actions
from events.ingest import EventValidationError
from runs.models import Function, Run
from runs.timetravel_release import BadHoldKind
from runs.timetravel_send import NotAwaited, awaited_event_of

from .schemas import ErrorOut

router = Router(tags=["time travel"])
REFUSED = {403: ErrorOut, 409: ErrorOut}


class MovedOut(Schema):
    run_id: str
    steps: list[str]  # the steps whose sleep or wait ended now


class AwaitedOut(Schema):
    """The event a waiting step awaits, with the data its `if` expression asks for; `complete`
    is false when part of the expression could not be turned into data (fill it in)."""

    run_id: str
    step: str
    name: str
    expression: str
    data: dict[str, Any]
    complete: bool


class AwaitedIn(Schema):
    step: str = ""  # the waiting step's name or hashed id; may be left out when one waits
    data: dict[str, Any] = {}


class AwaitedSentOut(Schema):
    run_id: str
    step: str
    event_id: str
    resumed: bool  # false only if the wait ended otherwise meanwhile (its timeout)


class ThrottleReleasedOut(Schema):
    run_id: str
    was_due_at: datetime  # when the throttle would have started it


class HoldIn(Schema):
    kind: str  # "debounce" or "batch"
    key: str = ""  # the hold's key as the inspector shows it ("" when the option has none)


class HoldReleasedOut(Schema):
    function: str
    kind: str
    key: str
    run_id: str  # the run the hold started now
    event_ids: list[str]  # the events it held


@router.post("/runs/{run_id}/wake", response={200: MovedOut, **REFUSED})
def wake(request, run_id: str):
    """End a sleeping run's sleep now; it goes on as if its wake time had come."""
    get_object_or_404(Run, pk=run_id)
    steps = actions.wake_run_now(request, run_id)
    return Status(200, {"run_id": run_id, "steps": steps})


@router.post("/runs/{run_id}/timeout", response={200: MovedOut, **REFUSED})
def timeout(request, run_id: str):
    """Time out a waiting run's waits now (waitForEvent gets null, an invoke its timeout)."""
    get_object_or_404(Run, pk=run_id)
    steps = actions.time_out_run_now(request, run_id)
    return Status(200, {"run_id": run_id, "steps": steps})


@router.get("/runs/{run_id}/awaited-event", response={200: AwaitedOut, 409: ErrorOut})
def awaited_event(request, run_id: str, step: str = ""):
    """The event a waiting waitForEvent step awaits, prefilled from its `if` expression
    (`async.data.id == event.data.id` gives `{"id": <the run's event's id>}`)."""
    get_object_or_404(Run, pk=run_id)
    waiting, awaited = awaited_event_of(run_id, step)
    return Status(200, {"run_id": run_id, "step": waiting.name, **vars(awaited)})


@router.post(
    "/runs/{run_id}/send-awaited-event",
    response={200: AwaitedSentOut, 400: ErrorOut, **REFUSED},
)
def send_awaited_event(request, run_id: str, body: AwaitedIn):
    """Send the event a waiting step awaits, with `data`, through ingest like any event: it
    resumes the wait. 400 (nothing sent) when the data would not satisfy the wait's `if`."""
    get_object_or_404(Run, pk=run_id)
    try:
        sent = actions.send_awaited_event_now(request, run_id, body.step, body.data)
    except (NotAwaited, EventValidationError) as exc:
        return Status(400, {"error": str(exc)})
    return Status(200, {"run_id": run_id, **vars(sent)})


@router.post("/runs/{run_id}/release", response={200: ThrottleReleasedOut, **REFUSED})
def release_run(request, run_id: str):
    """Start a run queued behind a throttle now, outside the throttle's window."""
    get_object_or_404(Run, pk=run_id)
    due_at = actions.release_throttled_run_now(request, run_id)
    return Status(200, {"run_id": run_id, "was_due_at": due_at})


@router.post("/functions/{slug}/release", response={200: HoldReleasedOut, 400: ErrorOut, **REFUSED})
def release_hold(request, slug: str, body: HoldIn):
    """Start now the run a debounce (with its last event) or a batch (with the events so far)
    holds back; `kind` and `key` as GET /api/functions/{slug}/flow lists the hold."""
    function = get_object_or_404(Function, slug=slug)
    try:
        released = actions.release_hold_now(request, function, body.kind, body.key)
    except BadHoldKind as exc:
        return Status(400, {"error": str(exc)})
    return Status(200, {"function": slug, "kind": body.kind, "key": body.key, **vars(released)})

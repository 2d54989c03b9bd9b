"""GET /api/functions/{slug}/flow: the inspector's state as JSON (runs/flow_state.py)."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from runs.flow_state import flow_state
from runs.models import Function

router = Router(tags=["flow control"])


class SlotKeyOut(Schema):
    key: str
    limit: int
    in_use: int
    holders: list[str]
    waiting: int


class WindowOut(Schema):
    kind: str
    key: str
    limit: int
    period_seconds: float
    used: int
    next_allowed_at: datetime | None


class HoldOut(Schema):
    kind: str
    key: str
    event_ids: list[str]
    events: int
    first_at: datetime
    release_at: datetime


class ThrottledRunOut(Schema):
    run_id: str
    due_at: datetime


class FlowOut(Schema):
    function: str
    paused: bool
    now: datetime
    concurrency: list[SlotKeyOut]
    windows: list[WindowOut]
    holds: list[HoldOut]
    singletons: dict[str, str]
    throttled_runs: list[ThrottledRunOut]


@router.get(
    "/functions/{slug}/flow",
    response={200: FlowOut},
    summary="Every flow-control key of a function with its state now",
)
def function_flow(request, slug: str) -> dict:
    """Concurrency slots and their holders, throttle and rate-limit windows, debounce and
    batch holds with their events and release times, singleton holders: why a run waits."""
    state = flow_state(get_object_or_404(Function, slug=slug)).as_json()
    state["throttled_runs"] = [{"run_id": r, "due_at": d} for r, d in state["throttled_runs"]]
    return state

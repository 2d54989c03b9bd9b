"""Time travel on one run (dev mode by default, DEVSERVER_TIME_TRAVEL): wake a sleep now, time
out a wait now. Each is its operator action, audited."""

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from console import actions
from runs.models import Run
from runs.timetravel import NothingToMove, TimeTravelOff

from .schemas import ErrorOut

router = Router(tags=["time travel"])


class MovedOut(Schema):
    run_id: str
    steps: list[str]  # the steps whose sleep or wait ended now


@router.post("/runs/{run_id}/wake", response={200: MovedOut, 403: ErrorOut, 409: ErrorOut})
def wake(request, run_id: str):
    """End a sleeping run's sleep now; it goes on as if its wake time had come."""
    get_object_or_404(Run, pk=run_id)
    try:
        steps = actions.wake_run_now(request, run_id)
    except TimeTravelOff as exc:
        return Status(403, {"error": str(exc)})
    except NothingToMove as exc:
        return Status(409, {"error": str(exc)})
    return Status(200, {"run_id": run_id, "steps": steps})


@router.post("/runs/{run_id}/timeout", response={200: MovedOut, 403: ErrorOut, 409: ErrorOut})
def timeout(request, run_id: str):
    """Time out a waiting run's waits now (waitForEvent gets null, an invoke its timeout)."""
    get_object_or_404(Run, pk=run_id)
    try:
        steps = actions.time_out_run_now(request, run_id)
    except TimeTravelOff as exc:
        return Status(403, {"error": str(exc)})
    except NothingToMove as exc:
        return Status(409, {"error": str(exc)})
    return Status(200, {"run_id": run_id, "steps": steps})

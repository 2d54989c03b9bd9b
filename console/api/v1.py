"""The Inngest dev server's REST API (`/v1/...`), with its field names, for users' scripts.
The SDKs' own `/v1/checkpoint` is the engine's (runs/sdk_views.py), on the same API."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from console import actions
from events.models import Event
from events.queries import events_page
from foundation import clock
from runs.cancellation import RunAlreadyEnded
from runs.models import Run, RunStatus

router = Router(tags=["inngest v1"])

# Inngest's REST API knows four run statuses; our finer ones fold into Running.
_V1_STATUS: dict[str, str] = {  # keyed by the stored status (a str)
    RunStatus.COMPLETED: "Completed",
    RunStatus.FAILED: "Failed",
    RunStatus.CANCELLED: "Cancelled",
}


def _envelope(data: object) -> dict:
    return {"data": data, "metadata": {"fetched_at": clock.now().isoformat(), "cached_until": None}}


def _event_v1(event: Event) -> dict:
    return {
        "internal_id": event.id,
        "id": event.external_id or event.id,
        "name": event.name,
        "data": event.data,
        "user": event.user,
        "ts": event.ts,
        "v": event.version or None,
        "received_at": event.received_at.isoformat(),
    }


def _run_v1(run: Run) -> dict:
    return {
        "run_id": run.id,
        "function_id": run.function.slug,
        "event_id": run.event_id,
        "status": _V1_STATUS.get(run.status, "Running"),
        "run_started_at": (run.started_at or run.queued_at).isoformat(),
        "ended_at": run.ended_at.isoformat() if run.ended_at else None,
        "output": run.output if run.status != RunStatus.FAILED else run.error,
    }


@router.get("/events")
def list_events(request, name: str | None = None, cursor: str | None = None, limit: int = 50):
    return _envelope([_event_v1(e) for e in events_page(name, cursor, limit, most=100)])


@router.get("/events/{event_id}")
def get_event(request, event_id: str):
    return _envelope(_event_v1(get_object_or_404(Event, pk=event_id)))


@router.get("/events/{event_id}/runs")
def event_runs(request, event_id: str):
    event = get_object_or_404(Event, pk=event_id)
    # Runs it triggered, plus debounced or batched runs it ended up in.
    runs = (
        Run.objects.filter(Q(event=event) | Q(decisions__event=event))
        .distinct()
        .select_related("function")
        .order_by("id")
    )
    return _envelope([_run_v1(r) for r in runs])


@router.get("/runs/{run_id}")
def get_run(request, run_id: str):
    return _envelope(_run_v1(get_object_or_404(Run.objects.select_related("function"), pk=run_id)))


@router.delete("/runs/{run_id}", response={200: dict, 409: dict})
def delete_run(request, run_id: str):
    """Cancel a run (Inngest's `DELETE /v1/runs/{id}`)."""
    get_object_or_404(Run, pk=run_id)
    try:
        run = actions.cancel_run(request, run_id, "cancelled through the API")
    except RunAlreadyEnded as exc:
        return Status(409, {"error": str(exc)})
    return Status(200, _envelope(_run_v1(run)))

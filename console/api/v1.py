"""The Inngest dev server's REST API (`/v1/...`), with its field names, for users' scripts.
The SDKs' own `/v1/checkpoint` is the engine's (runs/sdk_views.py), on the same API.
`POST /v1/cancellations` takes and answers Inngest's bulk-cancellation shape (inngest.com docs,
"Bulk Cancellation": `app_id`, `function_id`, `started_after`, `started_before`, `if`)."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from console import actions
from events.models import Event
from events.queries import events_page
from foundation import clock
from runs.cancellation import RunAlreadyEnded
from runs.models import Function, Run, RunStatus
from runs.selectors import RunSelector, SelectorError

router = Router(tags=["inngest v1"])

# `?wait=SECONDS` on the two run reads: hold the answer until the runs end, at most this long.
# The ASGI read route holds (devserver/read_route.py); here the answer comes at once, which a
# waiting client treats as any answer of a run not ended. Declared so both refuse the same.
WAIT_MAX_S = 30
_WAIT = Query(
    None,
    ge=0,
    le=WAIT_MAX_S,
    description="Seconds the server may hold the answer until every run shown has ended.",
)

# Inngest's REST API knows four run statuses; our finer ones fold into Running.
_V1_STATUS: dict[str, str] = {  # keyed by the stored status (a str)
    RunStatus.COMPLETED: "Completed",
    RunStatus.FAILED: "Failed",
    RunStatus.CANCELLED: "Cancelled",
}


# The REST statuses of a run that has ended (what a waiting client waits for).
V1_ENDED_STATUSES = frozenset(_V1_STATUS.values())


def v1_status(status: str) -> str:
    """A stored run status as the REST API names it."""
    return _V1_STATUS.get(status, "Running")


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
        "status": v1_status(run.status),
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
def event_runs(request, event_id: str, wait: float | None = _WAIT):
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
def get_run(request, run_id: str, wait: float | None = _WAIT):
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


# Inngest answers with the environment's id; the dev server has a single environment.
ENVIRONMENT_ID = "00000000-0000-0000-0000-000000000000"


class CancellationIn(Schema):
    app_id: str
    function_id: str  # as the app names it ("schedule-reminder"), or our app-prefixed slug
    started_after: str = ""
    started_before: str = ""
    if_: str = Field("", alias="if")


@router.post("/cancellations", response={200: dict, 400: dict, 404: dict})
def create_cancellation(request, payload: CancellationIn):
    """Cancel the active runs of one function started in a time range (bounds exclusive
    as far as a run id can say) and, with `if`, whose event matches a CEL expression."""
    slug = _function_slug(payload.app_id, payload.function_id)
    if slug is None:
        return Status(
            404, {"error": f"no function {payload.function_id!r} in app {payload.app_id!r}"}
        )
    try:
        selector = RunSelector.from_fields(
            app=payload.app_id,
            function=slug,
            since=payload.started_after.strip(),
            until=payload.started_before.strip(),
            expression=payload.if_.strip(),
        )
        action = actions.cancel_in_bulk(request, selector)
    except SelectorError as exc:
        return Status(400, {"error": str(exc)})
    return Status(
        200,
        {
            "id": str(action.pk),
            "environment_id": ENVIRONMENT_ID,
            "app_id": payload.app_id,
            "function_id": payload.function_id,
            "started_after": payload.started_after or None,
            "started_before": payload.started_before or None,
            "if": payload.if_ or None,
        },
    )


def _function_slug(app_id: str, function_id: str) -> str | None:
    """Our slug is the app-prefixed id the SDK registers; Inngest's API takes the bare id."""
    functions = Function.objects.filter(app__name=app_id)
    for slug in (f"{app_id}-{function_id}", function_id):
        if functions.filter(slug=slug).exists():
            return slug
    return None

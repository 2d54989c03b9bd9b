"""Our JSON API for apps, functions and runs (django-ninja; OpenAPI at /api/docs)."""

from dataclasses import asdict

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from console import actions
from console.run_fields import run_fields
from runs.cancellation import RunAlreadyEnded
from runs.connect.history import connect_state
from runs.defer_listing import defers_of
from runs.models import App, Function, Run
from runs.registration import AppBusy
from runs.selectors import RunSelector, SelectorError
from runs.sync import AppHostRefused

from .schemas import (
    AppIn,
    AppOut,
    AttemptOut,
    ErrorOut,
    FunctionOut,
    MetadataOut,
    RunDetailOut,
    RunOut,
    RunPage,
    StepOut,
    UserSpanOut,
)

router = Router(tags=["runs"])


def run_out(run: Run) -> dict:
    return run_fields(run)


@router.get("/apps", response=list[AppOut])
def list_apps(request):
    apps = App.objects.annotate(
        function_count=Count("functions", filter=Q(functions__archived=False))
    )
    return [
        {
            **{
                f: getattr(a, f)
                for f in ("id", "name", "url", "sdk", "framework", "synced_at", "sync_error")
            },
            "function_count": a.function_count,
            **connect_state(a),
        }
        for a in apps
    ]


@router.post("/apps", response={202: AppOut, 400: ErrorOut})
def add_app(request, payload: AppIn):
    """Add an app by its serve URL and sync it in the background."""
    if not payload.url.startswith(("http://", "https://")):
        return Status(400, {"error": "url must be an http(s) URL of the app's serve endpoint"})
    try:
        app = actions.add_app(request, payload.url)
    except AppHostRefused as exc:
        return Status(400, {"error": str(exc)})
    return Status(
        202,
        {
            **{
                f: getattr(app, f)
                for f in ("id", "name", "url", "sdk", "framework", "synced_at", "sync_error")
            },
            "function_count": 0,
        },
    )


@router.delete("/apps/{app_id}", response={200: dict, 409: ErrorOut})
def remove_app(request, app_id: int):
    """Forget an app, its functions and their runs (refused while any run is still going)."""
    app = get_object_or_404(App, pk=app_id)
    try:
        actions.remove_app(request, app)
    except AppBusy as exc:
        return Status(409, {"error": str(exc)})
    return Status(200, {"status": "removed", "url": app.url})


@router.post("/apps/{app_id}/sync", response={202: dict})
def resync_app(request, app_id: int):
    app = get_object_or_404(App, pk=app_id)
    actions.request_app_sync(request, app)
    return Status(202, {"status": "sync requested", "url": app.url})


@router.get("/functions", response=list[FunctionOut])
def list_functions(request, include_archived: bool = False):
    functions = Function.objects.select_related("app").prefetch_related("crons")
    if not include_archived:
        functions = functions.filter(archived=False)
    return [
        {
            "slug": f.slug,
            "name": f.name,
            "app": f.app.name,
            "triggers": f.triggers,
            "retries": f.retries,
            "archived": f.archived,
            "paused": f.paused_at is not None,
            "crons": [
                {
                    "spec": c.spec,
                    "jitter": c.jitter.total_seconds() if c.jitter is not None else None,
                    "next_fire_at": c.next_fire_at,
                }
                for c in f.crons.all()
            ],
            "config": f.config,
        }
        for f in functions
    ]


@router.get("/runs", response={200: RunPage, 400: ErrorOut})
def list_runs(
    request,
    status: str | None = None,
    function: str | None = None,
    app: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    since: str | None = Query(None, alias="from"),
    until: str | None = Query(None, alias="to"),
    expression: str | None = Query(None, alias="if"),
):
    """Newest first. `if` is a CEL expression over `event` and `output`; `from`/`to` are ISO
    times."""
    try:
        selector = RunSelector.from_fields(
            status=status or "",
            app=app or "",
            function=function or "",
            since=since or "",
            until=until or "",
            expression=expression or "",
        )
        runs, next_cursor = selector.page(cursor or "", min(max(limit, 1), 500))
    except SelectorError as exc:
        return Status(400, {"error": str(exc)})
    return Status(200, {"runs": [run_out(r) for r in runs], "next_cursor": next_cursor})


@router.get("/runs/{run_id}", response=RunDetailOut)
def get_run(request, run_id: str):
    run = get_object_or_404(Run.objects.select_related("function"), pk=run_id)
    return {
        **run_out(run),
        "steps": [StepOut.from_orm(s) for s in run.steps.all()],
        "failed_attempts": [AttemptOut.from_orm(a) for a in run.failed_attempts.all()],
        "pending": [
            {
                "reason": item.reason,
                "due_at": item.due_at,
                "target_step": item.target_step,
                "waiting_on_concurrency_key": item.waiting_on,
            }
            for item in run.queue_items.all()
        ],
        "metadata": [MetadataOut.from_orm(m) for m in run.metadata.all()],
        "user_spans": [UserSpanOut.from_orm(s) for s in run.user_spans.all()],
        "defers": [asdict(d) for d in defers_of(run)],
    }


@router.post("/runs/{run_id}/cancel", response={200: RunOut, 409: ErrorOut})
def cancel(request, run_id: str):
    get_object_or_404(Run, pk=run_id)
    try:
        run = actions.cancel_run(request, run_id, "cancelled through the API")
    except RunAlreadyEnded as exc:
        return Status(409, {"error": str(exc)})
    return Status(200, run_out(run))

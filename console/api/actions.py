"""API twins of the dashboard's actions: replay, retry, rerun from a step, bulk actions,
invoke and run-cron-now. The pages and the `manage.py` commands call the same functions."""

from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from console import actions
from runs import bulk
from runs.forks import ForkNotAllowed, plan
from runs.manual import CannotStart
from runs.models import BulkAction, Function, Run, RunOrigin
from runs.pausing import PauseUnchanged
from runs.selectors import RunSelector, SelectorError

from .runs import run_out
from .schemas import ErrorOut, FunctionStateOut, RunOut

router = Router(tags=["actions"])


class ForkIn(Schema):
    action: str = RunOrigin.REPLAY  # replay, retry or rerun
    step: str = ""  # hashed id of the step a rerun starts from
    input: list[Any] | None = None  # the new arguments of that step


class ForkPlanOut(Schema):
    action: str
    reused: list[str]
    rerun: list[str]
    from_step: str | None


class SelectorIn(Schema):
    kind: str
    status: str = ""
    app: str = ""
    function: str = ""
    since: str = ""
    until: str = ""
    expression: str = ""
    run_ids: list[str] = []  # runs chosen one by one (with or without a filter)

    def selector(self) -> RunSelector:
        fields = self.model_dump(exclude={"kind", "run_ids"})
        return RunSelector.from_fields(**fields, run_ids=",".join(self.run_ids))


class BulkOut(Schema):
    id: int
    kind: str
    selector: dict[str, str]
    run_ids: list[str]
    total: int
    done: int
    skipped: int
    status: str
    requested_by: str
    description: str  # the selector in words, as the pages show it

    @staticmethod
    def resolve_description(action: BulkAction) -> str:
        return RunSelector.from_stored(action.selector).in_words()


class InvokeIn(Schema):
    data: dict[str, Any] = {}


@router.get("/runs/{run_id}/fork-plan", response={200: ForkPlanOut, 409: ErrorOut})
def fork_plan(request, run_id: str, action: str = RunOrigin.REPLAY, step: str = ""):
    """What a replay, retry or rerun would reuse and run again, before doing it."""
    run = get_object_or_404(Run, pk=run_id)
    try:
        result = plan(run, action, step)
    except ForkNotAllowed as exc:
        return Status(409, {"error": str(exc)})
    return Status(
        200,
        {
            "action": result.origin,
            "reused": [s.name for s in result.reused],
            "rerun": result.rerun,
            "from_step": result.from_step.name if result.from_step else None,
        },
    )


@router.post("/runs/{run_id}/fork", response={201: RunOut, 409: ErrorOut})
def fork_run(request, run_id: str, payload: ForkIn):
    """Start a replay, a retry of a failed run, or a rerun from a step (optionally with new
    input for that step). Returns the new run, linked to this one."""
    run = get_object_or_404(Run.objects.select_related("function", "event"), pk=run_id)
    try:
        new_run = actions.fork_run(request, run, payload.action, payload.step, payload.input)
    except ForkNotAllowed as exc:
        return Status(409, {"error": str(exc)})
    return Status(201, run_out(new_run))


@router.post("/bulk", response={201: BulkOut, 400: ErrorOut})
def bulk_prepare(request, payload: SelectorIn, confirm: bool = False):
    """Record the exact runs a bulk action matches (a preview); `confirm=true` also starts it."""
    try:
        action = bulk.prepare(payload.kind, payload.selector(), "api")
    except (SelectorError, ValueError) as exc:
        return Status(400, {"error": str(exc)})
    if confirm:
        actions.confirm_bulk(request, action)
    return Status(201, action)


@router.post("/bulk/{action_id}/confirm", response=BulkOut)
def bulk_confirm(request, action_id: int):
    action = get_object_or_404(BulkAction, pk=action_id)
    actions.confirm_bulk(request, action)
    return action


@router.get("/bulk/{action_id}", response=BulkOut)
def bulk_get(request, action_id: int):
    return get_object_or_404(BulkAction, pk=action_id)


@router.post("/functions/{slug}/invoke", response={201: RunOut, 409: ErrorOut})
def function_invoke(request, slug: str, payload: InvokeIn):
    function = get_object_or_404(Function, slug=slug)
    try:
        run = actions.invoke_function(request, function, payload.data)
        return Status(201, run_out(run))
    except CannotStart as exc:
        return Status(409, {"error": str(exc)})


@router.post("/functions/{slug}/run-cron", response={201: RunOut, 409: ErrorOut})
def function_run_cron(request, slug: str):
    function = get_object_or_404(Function, slug=slug)
    try:
        run = actions.run_cron_now(request, function)
        return Status(201, run_out(run))
    except CannotStart as exc:
        return Status(409, {"error": str(exc)})


@router.post("/functions/{slug}/pause", response={200: FunctionStateOut, 409: ErrorOut})
def function_pause(request, slug: str):
    """Pause: events start nothing (recorded as skipped), crons do not fire, runs in flight
    hold their next step. Inngest has no REST endpoint for this; the shape is ours."""
    function = get_object_or_404(Function, slug=slug)
    try:
        actions.pause_function(request, function)
    except PauseUnchanged as exc:
        return Status(409, {"error": str(exc)})
    return Status(200, {"slug": function.slug, "paused": True, "woken": 0})


@router.post("/functions/{slug}/resume", response={200: FunctionStateOut, 409: ErrorOut})
def function_resume(request, slug: str):
    """Resume: held runs go on with their next step; nothing skipped is replayed."""
    function = get_object_or_404(Function, slug=slug)
    try:
        woken = actions.resume_function(request, function)
    except PauseUnchanged as exc:
        return Status(409, {"error": str(exc)})
    return Status(200, {"slug": function.slug, "paused": False, "woken": woken})

"""The run page: run detail with its waterfall, and the actions on one run.
Every value reaches the page through an escaping template."""

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from console import actions
from events.models import Event
from runs.cancellation import RunAlreadyEnded
from runs.forks import BadStepInput, ForkNotAllowed, parse_step_input, plan
from runs.models import Run, RunOrigin, RunStatus
from runs.statuses import Subject

from . import timeline

STEPS_SHOWN = 200


def run_detail(request: HttpRequest, run_id: str) -> HttpResponse:
    run = get_object_or_404(
        Run.objects.select_related("function__app", "event", "source_run", "invoked_by"),
        pk=run_id,
    )
    steps = list(run.steps.all())
    attempts = list(run.failed_attempts.all())
    rows = timeline.build(run, steps, attempts)
    history = list(run.status_changes.filter(subject=Subject.RUN).order_by("id"))
    all_steps = request.GET.get("steps") == "all"
    context = {
        "run": run,
        # A long run shows its latest steps: rendering 1,000 steps takes over half a second.
        "rows": rows if all_steps else rows[-STEPS_SHOWN:],
        "step_count": len(rows),
        "history": history,
        "run_lane": timeline.run_lane(run, steps, history),
        "all_steps": all_steps,
        "function_failures": [a for a in attempts if not a.step_hashed_id],
        "output": timeline.JsonBlock.of(run.output) if run.status == RunStatus.COMPLETED else None,
        "error": timeline.JsonBlock.of(run.error) if run.error else None,
        "events": _trigger_events(run),
        "derived": list(run.derived_runs.order_by("-id")[:20]),
        "children": Run.objects.filter(invoked_by__run=run).values_list("id", flat=True)[:50],
        "active": run.status not in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED),
    }
    if request.GET.get("fragment") == "live":
        return render(request, "runs/_run_live.html", context)
    return render(request, "runs/run_detail.html", context)


def step_output(request: HttpRequest, run_id: str, hashed_id: str) -> HttpResponse:
    """The whole memoized value of a step, for outputs too big to show inline."""
    run = get_object_or_404(Run, pk=run_id)
    step = get_object_or_404(run.steps, hashed_id=hashed_id)
    response = JsonResponse(step.memo, safe=False, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{run_id}-{hashed_id}.json"'
    return response


@require_POST
def cancel(request: HttpRequest, run_id: str) -> HttpResponse:
    get_object_or_404(Run, pk=run_id)
    try:
        actions.cancel_run(request, run_id, "cancelled from the dashboard")
        messages.success(request, "Run cancelled.")
    except RunAlreadyEnded as exc:
        messages.error(request, str(exc))
    return redirect("run-detail", run_id=run_id)


def fork_run(request: HttpRequest, run_id: str) -> HttpResponse:
    """GET: what a replay, retry or rerun will reuse and run again. POST: do it."""
    run = get_object_or_404(Run.objects.select_related("function", "event"), pk=run_id)
    origin = request.POST.get("action") or request.GET.get("action") or RunOrigin.REPLAY
    from_step = request.POST.get("step") or request.GET.get("step") or ""
    try:
        fork_plan = plan(run, origin, from_step)
    except ForkNotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("run-detail", run_id=run_id)
    input_error = ""
    step_input = (fork_plan.from_step.opts or {}).get("input") if fork_plan.from_step else None
    input_text = json.dumps(step_input, indent=2) if step_input is not None else ""
    if request.method == "POST":
        input_text = request.POST.get("input", "")
        try:
            edited = _edited_input(input_text, step_input)
        except BadStepInput as exc:
            input_error = str(exc)
        else:
            new_run = actions.fork_run(request, run, origin, from_step, edited)
            return redirect("run-detail", run_id=new_run.id)
    return render(
        request,
        "runs/fork.html",
        {
            "run": run,
            "plan": fork_plan,
            "input_text": input_text,
            "input_error": input_error,
            "editable_input": step_input is not None,
        },
    )


def _edited_input(text: str, original: object) -> list | None:
    """The edited step input, or None when unchanged; it must be a JSON array of arguments."""
    if not text.strip() or original is None:
        return None
    value = parse_step_input(text)
    return None if value == original else value


def _trigger_events(run: Run) -> list[tuple[Event, timeline.JsonBlock]]:
    ids = run.batch_event_ids or ([run.event_id] if run.event_id else [])
    events = {e.id: e for e in Event.objects.filter(pk__in=ids)}
    return [(events[i], timeline.JsonBlock.of(events[i].payload())) for i in ids if i in events]

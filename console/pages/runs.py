"""The run page (its trace and step panel) and the actions on one run: cancel, replay, retry
and rerun from a step. Every value reaches the page through an escaping template."""

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from console import actions
from runs.cancellation import RunAlreadyEnded
from runs.forks import BadStepInput, ForkNotAllowed, parse_step_input, plan
from runs.models import Run, RunOrigin

from .run_page import page_context


def run_detail(request: HttpRequest, run_id: str) -> HttpResponse:
    """The run page: its trace and the panel of the selected step (`?step=<hashed id>`).
    `fragment=live` is the part a live refresh swaps, `fragment=panel` the panel alone."""
    run = get_object_or_404(
        Run.objects.select_related("function__app", "event", "source_run", "invoked_by"),
        pk=run_id,
    )
    context = page_context(run, request.GET)
    fragment = request.GET.get("fragment")
    if fragment == "panel":
        return render(request, "runs/_step_panel.html", context)
    if fragment == "live":
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

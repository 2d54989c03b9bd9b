"""Functions pages: configuration, cron schedules, invoke (a form that keeps what was typed
after an error and offers the trigger events' latest data as templates), run now, and pause or
resume (runs/pausing.py says what a pause does)."""

import json
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from console import actions
from foundation import clock, strict_json
from foundation.schedules import CronError, next_fire_time
from runs.manual import CannotStart
from runs.models import Function
from runs.pausing import PauseUnchanged

from .event_templates import templates_for
from .function_charts import charts_context

FLOW_CONTROL_KEYS = (
    "concurrency", "throttle", "rateLimit", "debounce", "batchEvents", "idempotency",
    "priority", "singleton", "timeouts", "cancel",
)  # fmt: skip


def functions_list(request: HttpRequest) -> HttpResponse:
    functions = Function.objects.select_related("app").order_by("archived", "slug")
    return render(request, "runs/functions_list.html", {"functions": functions})


def function_detail(request: HttpRequest, slug: str) -> HttpResponse:
    function = get_object_or_404(Function.objects.select_related("app"), slug=slug)
    return _detail(request, function, "{}", "")


def _detail(
    request: HttpRequest, function: Function, invoke_data: str, invoke_error: str
) -> HttpResponse:
    config = function.config or {}
    context: dict[str, Any] = {
        "function": function,
        "flow_control": {
            k: json.dumps(config[k], indent=2) for k in FLOW_CONTROL_KEYS if k in config
        },
        "config_json": json.dumps(config, indent=2),
        "crons": _cron_schedule(function),
        "invoke_data": invoke_data,
        "invoke_error": invoke_error,
        "invoke_templates": templates_for(function),
        **charts_context(function, request.GET.get("window")),
    }
    status = 422 if invoke_error else 200
    return render(request, "runs/function_detail.html", context, status=status)


@require_POST
def function_invoke(request: HttpRequest, slug: str) -> HttpResponse:
    """A started run opens its page; an error re-renders the form with the data as typed."""
    function = get_object_or_404(Function.objects.select_related("app"), slug=slug)
    typed = request.POST.get("data", "")
    try:
        data = strict_json.loads(typed or "{}")
        if not isinstance(data, dict):
            raise ValueError(f"the data must be a JSON object, got {type(data).__name__}")
        run = actions.invoke_function(request, function, data)
    except json.JSONDecodeError as exc:
        error = f"The data is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except (ValueError, CannotStart) as exc:
        error = str(exc)
    else:
        return redirect("run-detail", run_id=run.id)
    return _detail(request, function, typed, error)


@require_POST
def function_run_cron(request: HttpRequest, slug: str) -> HttpResponse:
    function = get_object_or_404(Function, slug=slug)
    try:
        run = actions.run_cron_now(request, function)
    except CannotStart as exc:
        messages.error(request, str(exc))
        return redirect("function-detail", slug=slug)
    return redirect("run-detail", run_id=run.id)


@require_POST
def function_pause(request: HttpRequest, slug: str) -> HttpResponse:
    function = get_object_or_404(Function, slug=slug)
    try:
        actions.pause_function(request, function)
        messages.success(request, f"Paused {slug}: events and crons start nothing until resumed.")
    except PauseUnchanged as exc:
        messages.error(request, str(exc))
    return redirect("function-detail", slug=slug)


@require_POST
def function_resume(request: HttpRequest, slug: str) -> HttpResponse:
    function = get_object_or_404(Function, slug=slug)
    try:
        woken = actions.resume_function(request, function)
        messages.success(request, f"Resumed {slug}; {woken} held run step(s) go on.")
    except PauseUnchanged as exc:
        messages.error(request, str(exc))
    return redirect("function-detail", slug=slug)


def _cron_schedule(function: Function) -> list[dict[str, object]]:
    """Each cron trigger with its next five fire times (or why it cannot fire)."""
    schedule = []
    for trigger in function.triggers:
        spec = trigger.get("cron")
        if not spec:
            continue
        upcoming: list[datetime] = []
        error = ""
        moment = clock.now()
        try:
            for _ in range(5):
                moment = next_fire_time(spec, moment)
                upcoming.append(moment)
        except CronError as exc:
            error = str(exc)
        schedule.append({"spec": spec, "next": upcoming, "error": error})
    return schedule

"""Pages: thin views over the query helpers; all output is escaped by the templates."""

import json

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from . import queries
from .models import App, Function, Run, RunStatus


def runs_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    function = request.GET.get("function") or None
    runs, next_cursor = queries.runs_page(status, function, None, request.GET.get("cursor"))
    return render(
        request,
        "runs/runs_list.html",
        {
            "runs": runs,
            "next_cursor": next_cursor,
            "statuses": RunStatus.values,
            "status": status or "",
            "function": function or "",
            "functions": Function.objects.filter(archived=False).values_list("slug", flat=True),
        },
    )


def run_detail(request: HttpRequest, run_id: str) -> HttpResponse:
    run = get_object_or_404(Run.objects.select_related("function__app", "event"), pk=run_id)
    steps = list(run.steps.all())
    attempts = list(run.failed_attempts.all())
    for step in steps:
        step.memo_json = json.dumps(step.memo, indent=2) if step.memo is not None else ""
        step.failures = [a for a in attempts if a.step_hashed_id == step.hashed_id]
    return render(
        request,
        "runs/run_detail.html",
        {
            "run": run,
            "steps": steps,
            "function_failures": [a for a in attempts if not a.step_hashed_id],
            "output_json": json.dumps(run.output, indent=2),
            "error_json": json.dumps(run.error, indent=2) if run.error else "",
            "event_json": json.dumps(run.event.payload(), indent=2) if run.event else "",
        },
    )


def apps_list(request: HttpRequest) -> HttpResponse:
    apps = App.objects.annotate(
        function_count=Count("functions", filter=Q(functions__archived=False))
    )
    return render(request, "runs/apps_list.html", {"apps": apps})


def functions_list(request: HttpRequest) -> HttpResponse:
    functions = Function.objects.select_related("app").order_by("archived", "slug")
    return render(request, "runs/functions_list.html", {"functions": functions})

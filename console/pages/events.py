"""Event pages: the browser with filters, one event with what it started (and what it did not,
and why), "send again", and the send-test-event form with inline validation."""

import json
from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from console import actions
from events.expressions import matches
from events.ingest import EventValidationError, parse_body
from events.models import Event
from events.selectors import EventSelector
from flowcontrol.models import Decision
from foundation import strict_json
from foundation.selection import SelectorError
from runs.models import Function, Run
from runs.triggers import event_name_matches

PAGE_SIZE = 50


def events_list(request: HttpRequest) -> HttpResponse:
    params = {k: request.GET.get(k, "").strip() for k in ("name", "from", "to", "if")}
    error = ""
    try:
        selector = EventSelector.from_params(params)
        page, next_cursor = selector.page(request.GET.get("cursor", ""), PAGE_SIZE)
    except SelectorError as exc:
        error, page, next_cursor = str(exc), [], None
    counts = _run_counts([e.id for e in page])
    return render(
        request,
        "events/events_list.html",
        {
            "events": [(e, counts.get(e.id, 0)) for e in page],
            "filters": params,
            "next_cursor": next_cursor,
            "error": error,
            "names": Event.objects.values_list("name", flat=True).distinct().order_by("name")[:200],
        },
    )


def event_detail(request: HttpRequest, event_id: str) -> HttpResponse:
    event = get_object_or_404(Event, pk=event_id)
    runs = Run.objects.filter(event=event).select_related("function").order_by("id")
    return render(
        request,
        "events/event_detail.html",
        {
            "event": event,
            "payload": json.dumps(event.payload(), indent=2, ensure_ascii=False),
            "runs": runs,
            "outcomes": _function_outcomes(event, {r.function_id for r in runs}),
        },
    )


@require_POST
def event_resend(request: HttpRequest, event_id: str) -> HttpResponse:
    stored = actions.resend_event(request, get_object_or_404(Event, pk=event_id))
    return redirect("event-detail", event_id=stored.id)


def send_form(request: HttpRequest) -> HttpResponse:
    """GET: the form, prefilled from a function's trigger when `?function=` is given.
    POST (htmx): validate and send; errors come back inline and nothing is stored."""
    if request.method == "POST":
        return _send(request)
    names = sorted(
        {
            t["event"]
            for f in Function.objects.filter(archived=False)
            for t in f.triggers
            if t.get("event")
        }
    )
    template: dict[str, Any] = {"name": names[0] if names else "app/test.event", "data": {}}
    slug = request.GET.get("function")
    function = Function.objects.filter(slug=slug).first() if slug else None
    if function is not None:
        event_names = [t["event"] for t in function.triggers if t.get("event")]
        template["name"] = event_names[0] if event_names else template["name"]
    if request.GET.get("name"):
        template["name"] = request.GET["name"]
    return render(
        request,
        "events/send.html",
        {"names": names, "body": json.dumps(template, indent=2)},
    )


def _send(request: HttpRequest) -> HttpResponse:
    body = request.POST.get("body", "")
    try:
        strict_json.loads(body)
    except json.JSONDecodeError as exc:
        error = f"Invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        return render(request, "events/_send_result.html", {"error": error}, status=422)
    try:
        incoming = parse_body(body.encode())
    except EventValidationError as exc:
        return render(request, "events/_send_result.html", {"error": str(exc)}, status=422)
    result = actions.send_events(request, incoming)
    return render(request, "events/_send_result.html", {"ids": result.ids})


def _run_counts(event_ids: list[str]) -> dict[str, int]:
    rows = Run.objects.filter(event_id__in=event_ids).values("event_id").annotate(n=Count("id"))
    return {row["event_id"]: row["n"] for row in rows}


def _function_outcomes(event: Event, started: set[int]) -> list[dict[str, str]]:
    """For every function whose trigger names this event but has no run from it: why not."""
    decisions = {d.function_id: d for d in Decision.objects.filter(event=event)}
    outcomes = []
    for function in Function.objects.filter(archived=False).select_related("app"):
        triggers = [
            t
            for t in function.triggers
            if t.get("event") and event_name_matches(t["event"], event.name)
        ]
        if not triggers or function.id in started:
            continue
        decision = decisions.get(function.id)
        if decision is not None:
            reason = f"{decision.get_kind_display()}" + (
                f": {decision.detail}" if decision.detail else ""
            )
        elif not any(_expression_true(t.get("expression"), event) for t in triggers):
            reason = "expression false: " + " / ".join(str(t.get("expression")) for t in triggers)
        elif function.created_at > event.received_at:
            reason = "the function was registered after this event"
        else:
            reason = "no run recorded"
        outcomes.append({"function": function.slug, "reason": reason})
    return outcomes


def _expression_true(expression: str | None, event: Event) -> bool:
    return matches(expression, {"event": event.payload()})

"""Event pages: the live browser with filters (internal `inngest/*` events hidden unless asked),
one event with what it started (and what it did not, and why), "send again" for user events,
and the runs-of-an-event fragment that the event page and the send form keep up to date."""

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from console import actions
from events.expressions import matches
from events.ingest import InternalEventNotResent
from events.models import Event
from events.selectors import EventSelector, is_internal
from flowcontrol.models import Decision
from foundation.selection import SelectorError
from runs.models import Function, Run
from runs.triggers import event_name_matches

PAGE_SIZE = 50
FILTER_NAMES = ("name", "from", "to", "if")


def events_list(request: HttpRequest) -> HttpResponse:
    filters = {k: request.GET.get(k, "").strip() for k in FILTER_NAMES}
    show_internal = bool(request.GET.get("internal"))
    cursor = request.GET.get("cursor", "")
    # Asking for an internal name by name shows it, whatever the toggle says.
    hide = not show_internal and not is_internal(filters["name"])
    error = ""
    try:
        selector = EventSelector.from_params({**filters, "hide_internal": hide})
        page, next_cursor = selector.page(cursor, PAGE_SIZE)
    except SelectorError as exc:
        error, page, next_cursor = str(exc), [], None
    counts = _run_counts([e.id for e in page])
    query = {k: v for k, v in filters.items() if v}
    if show_internal:
        query["internal"] = "1"
    context = {
        "events": [(e, counts.get(e.id, 0), is_internal(e.name)) for e in page],
        "filters": filters,
        "show_internal": show_internal,
        "filter_query": urlencode(query),
        "cursor": cursor,
        "next_cursor": next_cursor,
        "error": error,
        "names": Event.objects.values_list("name", flat=True).distinct().order_by("name")[:200],
    }
    if request.GET.get("fragment") == "rows":
        return render(request, "events/_event_rows.html", context)
    return render(request, "events/events_list.html", context)


def event_detail(request: HttpRequest, event_id: str) -> HttpResponse:
    event = get_object_or_404(Event, pk=event_id)
    runs = _runs_of(event)
    return render(
        request,
        "events/event_detail.html",
        {
            "event": event,
            "internal": is_internal(event.name),
            "payload": json.dumps(event.payload(), indent=2, ensure_ascii=False),
            "runs": runs,
            "outcomes": _function_outcomes(event, {r.function_id for r in runs}),
        },
    )


def event_runs(request: HttpRequest, event_id: str) -> HttpResponse:
    """The runs an event started, as a fragment: re-fetched live, since runs held by flow
    control (debounce, batch, throttle) start after the event is stored."""
    event = get_object_or_404(Event, pk=event_id)
    return render(request, "events/_event_runs.html", {"event": event, "runs": _runs_of(event)})


@require_POST
def event_resend(request: HttpRequest, event_id: str) -> HttpResponse:
    event = get_object_or_404(Event, pk=event_id)
    try:
        stored = actions.resend_event(request, event)
    except InternalEventNotResent as exc:
        messages.error(request, str(exc))
        return redirect("event-detail", event_id=event.id)
    return redirect("event-detail", event_id=stored.id)


def _runs_of(event: Event) -> list[Run]:
    return list(Run.objects.filter(event=event).select_related("function").order_by("id"))


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

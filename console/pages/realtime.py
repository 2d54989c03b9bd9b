"""The run page's realtime fragment: the last messages the run published (runs/realtime/recent.py),
refreshing itself every few seconds while the run goes on. Not durable: messages live in
memory (or Redis) for an hour at most, never in the database, as in Inngest."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from runs.models import Run
from runs.realtime.recent import recent
from runs.statuses import TERMINAL_RUN_STATUSES

# Seconds between refreshes of the fragment while the run is not finished.
REFRESH_SECONDS = 2


def realtime_messages(request: HttpRequest, run_id: str) -> HttpResponse:
    status = Run.objects.filter(id=run_id).values_list("status", flat=True).first()
    if status is None:
        raise Http404("no such run")
    messages = recent(run_id)
    return render(
        request,
        "runs/_realtime_messages.html",
        {
            "run_id": run_id,
            "messages": list(reversed(messages)),  # newest first
            "live": status not in TERMINAL_RUN_STATUSES,
            "refresh": REFRESH_SECONDS,
            "kept": settings.REALTIME_RECENT_PER_RUN,
        },
    )

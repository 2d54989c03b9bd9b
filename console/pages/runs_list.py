"""The runs list: live, filtered by status, app, function, time and a CEL expression, paged by
cursor, with checkboxes to start a bulk cancel, replay or retry. Every value reaches the page
through an escaping template."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from foundation import clock
from runs.models import App, Function, Run, RunStatus
from runs.selectors import RunSelector, SelectorError

FILTER_NAMES = ("status", "app", "function", "from", "to", "if")


@dataclass(frozen=True)
class RunRow:
    run: Run
    duration: str  # "" when the run has not started
    ongoing: bool  # the duration still grows (refreshed live)


def runs_list(request: HttpRequest) -> HttpResponse:
    error = ""
    cursor = request.GET.get("cursor", "")
    raw = _raw_filters(request)
    try:
        selector = RunSelector.from_params(raw)
        runs, next_cursor = selector.page(cursor)
        query = urlencode(selector.as_params())
    except SelectorError as exc:
        # No rows at all, not the unfiltered list: and the live fragment keeps the rejected
        # filter in its URL, so a refresh shows the same error instead of every run.
        selector, error = RunSelector(), str(exc)
        runs, next_cursor, query = [], None, urlencode(raw)
    now = clock.now()
    context = {
        "rows": [_row(run, now) for run in runs],
        "next_cursor": next_cursor,
        "cursor": cursor,
        "filters": {**selector.as_params(), **raw},
        "filter_query": query,
        "filter_words": selector.in_words(),
        "filtered": bool(selector.as_params()),
        "error": error,
        "statuses": RunStatus.values,
        "functions": Function.objects.filter(archived=False).values_list("slug", flat=True),
        "apps": App.objects.exclude(name="").values_list("name", flat=True),
    }
    if request.GET.get("fragment") == "rows":
        return render(request, "runs/_run_rows.html", context)
    return render(request, "runs/runs_list.html", context)


def _raw_filters(request: HttpRequest) -> dict[str, str]:
    """The filters as typed, echoed even when rejected so they can be fixed (no run ids: the
    list always shows a filter, never a hand-picked set)."""
    return {k: request.GET[k] for k in FILTER_NAMES if request.GET.get(k, "").strip()}


def _row(run: Run, now: datetime) -> RunRow:
    if run.started_at is None:
        return RunRow(run, "", False)
    end = run.ended_at or now
    return RunRow(run, format_duration(end - run.started_at), run.ended_at is None)


def format_duration(span: timedelta) -> str:
    """Short and stable in width: 840 ms, 12.3 s, 4 m 05 s, 2 h 03 m, 3 d 4 h."""
    seconds = max(span.total_seconds(), 0.0)
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} m {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} m"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"

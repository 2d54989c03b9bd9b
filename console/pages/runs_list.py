"""The runs list: live, filtered by status, app, function, time and a CEL expression, and paged
by cursor. Every value reaches the page through an escaping template."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from runs.models import App, Function, RunStatus
from runs.selectors import RunSelector, SelectorError


def runs_list(request: HttpRequest) -> HttpResponse:
    error = ""
    cursor = request.GET.get("cursor", "")
    try:
        selector = RunSelector.from_params(request.GET)
        runs, next_cursor = selector.page(cursor)
    except SelectorError as exc:
        selector, error = RunSelector(), str(exc)
        runs, next_cursor = [], None
    context = {
        "runs": runs,
        "next_cursor": next_cursor,
        "cursor": cursor,
        "filters": {**selector.as_params(), **_raw_filters(request)},
        "filter_query": _query(selector.as_params()),
        "error": error,
        "statuses": RunStatus.values,
        "functions": Function.objects.filter(archived=False).values_list("slug", flat=True),
        "apps": App.objects.exclude(name="").values_list("name", flat=True),
    }
    if request.GET.get("fragment") == "rows":
        return render(request, "runs/_run_rows.html", context)
    return render(request, "runs/runs_list.html", context)


def _raw_filters(request: HttpRequest) -> dict[str, str]:
    """Echo what the user typed even when it was rejected, so they can fix it."""
    return {
        k: request.GET[k]
        for k in ("status", "app", "function", "from", "to", "if")
        if k in request.GET
    }


def _query(params: dict[str, str]) -> str:
    return urlencode(params)

"""Bulk cancel, replay and retry pages: a selector (a filter, or runs chosen on the runs list),
the exact runs it matches, and live progress drawn with the runs' current statuses."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from console import actions
from runs import bulk
from runs.models import App, BulkAction, BulkKind, Function, Run, RunOrigin, RunStatus
from runs.selectors import RunSelector, SelectorError
from runs.statuses import TERMINAL_RUN_STATUSES as TERMINAL
from runs.statuses import BulkStatus

SHOWN_IN_PREVIEW = 500
_ORIGIN = {BulkKind.REPLAY: RunOrigin.REPLAY, BulkKind.RETRY: RunOrigin.RETRY}


def bulk_home(request: HttpRequest) -> HttpResponse:
    history = list(BulkAction.objects.exclude(status=BulkStatus.PREVIEW)[:50])
    return render(
        request,
        "runs/bulk.html",
        {
            "history": [(a, RunSelector.from_stored(a.selector).in_words()) for a in history],
            "kinds": BulkKind.values,
            "filters": request.GET,
            "statuses": RunStatus.values,
            "functions": Function.objects.filter(archived=False).values_list("slug", flat=True),
            "apps": App.objects.exclude(name="").values_list("name", flat=True),
        },
    )


@require_POST
def bulk_prepare(request: HttpRequest) -> HttpResponse:
    try:
        selector = RunSelector.from_params(request.POST)
        if request.POST.get("scope") == "chosen":
            # Ticked runs are the selection, whatever filter listed them; and none ticked
            # must never widen to the whole filter.
            selector = RunSelector(run_ids=selector.run_ids)
            if not selector.run_ids:
                raise SelectorError("no runs chosen: tick some runs, or select all matching")
        action = bulk.prepare(request.POST.get("kind", ""), selector, _who(request))
    except (SelectorError, ValueError) as exc:
        messages.error(request, str(exc))
        return redirect("bulk")
    return redirect("bulk-detail", action_id=action.pk)


def bulk_detail(request: HttpRequest, action_id: int) -> HttpResponse:
    action = get_object_or_404(BulkAction, pk=action_id)
    handled = action.done + action.skipped
    rows = _rows(action)
    context = {
        "action": action,
        "selector_words": RunSelector.from_stored(action.selector).in_words(),
        "rows": rows,
        # Poll until the action is done and the runs it started have ended: their changes
        # are not published to this page's websocket (bulk progress only).
        "settled": action.status == BulkStatus.COMPLETED
        and all(started is None or started.status in TERMINAL for _, started, _ in rows),
        "hidden_count": max(action.total - SHOWN_IN_PREVIEW, 0),
        "not_eligible": bulk.not_eligible(action),
        "percent": round(100 * handled / action.total) if action.total else 100,
        "is_preview": action.status == BulkStatus.PREVIEW,
    }
    if request.GET.get("fragment") == "progress":
        return render(request, "runs/_bulk_progress.html", context)
    return render(request, "runs/bulk_detail.html", context)


@require_POST
def bulk_confirm(request: HttpRequest, action_id: int) -> HttpResponse:
    action = get_object_or_404(BulkAction, pk=action_id)
    actions.confirm_bulk(request, action)
    return redirect("bulk-detail", action_id=action.pk)


def _rows(action: BulkAction) -> list[tuple[Run, Run | None, bool]]:
    """Each shown run as it is now, the run a replay or retry started from it, and whether
    its turn has come. Read in the same request as the progress, and each run's new status is
    committed with the progress count, so the two never disagree."""
    shown = action.run_ids[:SHOWN_IN_PREVIEW]
    runs = Run.objects.select_related("function").in_bulk(shown)
    started: dict[str, Run] = {}
    if action.kind in _ORIGIN and action.status != BulkStatus.PREVIEW:
        derived = Run.objects.filter(
            source_run_id__in=shown,
            origin=_ORIGIN[BulkKind(action.kind)],
            queued_at__gte=action.created_at,
        )
        started = {run.source_run_id: run for run in derived if run.source_run_id}
    handled = action.done + action.skipped
    return [
        (runs[run_id], started.get(run_id), position < handled)
        for position, run_id in enumerate(shown)
        if run_id in runs
    ]


def _who(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    return user.get_username() if user is not None and user.is_authenticated else ""

"""Bulk cancel, replay and retry pages: a selector, the exact matching runs, live progress."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from console import actions
from runs import bulk
from runs.models import App, BulkAction, BulkKind, Function, Run, RunStatus
from runs.selectors import RunSelector, SelectorError
from runs.statuses import BulkStatus

SHOWN_IN_PREVIEW = 500


def bulk_home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "runs/bulk.html",
        {
            "history": BulkAction.objects.exclude(status=BulkStatus.PREVIEW)[:50],
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
        action = bulk.prepare(request.POST.get("kind", ""), selector, _who(request))
    except (SelectorError, ValueError) as exc:
        messages.error(request, str(exc))
        return redirect("bulk")
    return redirect("bulk-detail", action_id=action.pk)


def bulk_detail(request: HttpRequest, action_id: int) -> HttpResponse:
    action = get_object_or_404(BulkAction, pk=action_id)
    shown = action.run_ids[:SHOWN_IN_PREVIEW]
    runs = {r.id: r for r in Run.objects.select_related("function").filter(pk__in=shown)}
    context = {
        "action": action,
        "runs": [runs[i] for i in shown if i in runs],
        "hidden_count": max(action.total - SHOWN_IN_PREVIEW, 0),
        "percent": round(100 * (action.done + action.skipped) / action.total)
        if action.total
        else 100,
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


def _who(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    return user.get_username() if user is not None and user.is_authenticated else ""

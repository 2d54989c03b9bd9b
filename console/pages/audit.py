"""Console pages: the audit log and "clear history"."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from console import actions
from console.models import AuditEntry


def audit_log(request: HttpRequest) -> HttpResponse:
    entries = AuditEntry.objects.all()
    actor = request.GET.get("actor", "").strip()
    action = request.GET.get("action", "").strip()
    if actor:
        entries = entries.filter(actor=actor)
    if action:
        entries = entries.filter(action=action)
    return render(
        request,
        "console/audit.html",
        {"entries": entries[:200], "actor": actor, "action": action},
    )


@require_POST
def clear(request: HttpRequest) -> HttpResponse:
    counts = actions.clear_history(request)
    messages.success(request, f"Cleared {counts['runs']} ended runs and {counts['events']} events.")
    return redirect("runs")

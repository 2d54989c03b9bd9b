"""Console pages: the audit log and "clear history"."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from console import audit
from console.models import AuditEntry
from runs.retention import clear_history


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
    counts = clear_history()
    audit.record(request, "history.clear", "", **counts)
    messages.success(request, f"Cleared {counts['runs']} ended runs and {counts['events']} events.")
    return redirect("runs")

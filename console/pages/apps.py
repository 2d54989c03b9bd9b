"""The apps page: every synced app, adding one by URL, re-syncing and removing it."""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from console import actions
from runs.models import App
from runs.registration import AppBusy
from runs.sync import AppHostRefused


def apps_list(request: HttpRequest) -> HttpResponse:
    """The page, or (for htmx's poll) only its table. A sync happens in a worker after "Add
    app": while any app has neither synced nor failed yet, the table polls itself."""
    apps = list(
        App.objects.annotate(
            function_count=Count("functions", filter=Q(functions__archived=False))
        ).order_by("id")
    )
    context = {"apps": apps, "syncing": any(_syncing(app) for app in apps)}
    for app in apps:
        app.syncing = _syncing(app)  # type: ignore[attr-defined]  # a template-only mark
    if request.headers.get("HX-Request") and request.GET.get("fragment") == "table":
        return render(request, "runs/_apps_table.html", context)
    return render(request, "runs/apps_list.html", context)


def _syncing(app: App) -> bool:
    return app.synced_at is None and not app.sync_error


@require_POST
def app_add(request: HttpRequest) -> HttpResponse:
    url = request.POST.get("url", "").strip()
    if not url.startswith(("http://", "https://")):
        messages.error(request, "Give the http(s) URL of the app's serve endpoint.")
        return redirect("apps")
    try:
        actions.add_app(request, url)
    except AppHostRefused as exc:
        messages.error(request, str(exc))
        return redirect("apps")
    messages.success(request, f"Syncing {url}.")
    return redirect("apps")


@require_POST
def app_remove(request: HttpRequest, app_id: int) -> HttpResponse:
    app = get_object_or_404(App, pk=app_id)
    try:
        actions.remove_app(request, app)
    except AppBusy as exc:
        messages.error(request, str(exc))
        return redirect("apps")
    messages.success(request, f"Removed {app}.")
    return redirect("apps")


@require_POST
def app_sync(request: HttpRequest, app_id: int) -> HttpResponse:
    app = get_object_or_404(App, pk=app_id)
    actions.request_app_sync(request, app)
    messages.success(request, f"Re-sync of {app} requested.")
    return redirect("apps")

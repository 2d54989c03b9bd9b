"""The apps page: every synced app (a Connect app with the workers holding its socket and its
history of workers connecting and leaving), adding one by URL, re-syncing and removing it."""

from datetime import UTC, datetime

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from console import actions
from runs.connect.bus import connected_workers
from runs.connect.history import app_history
from runs.connect.protocol import is_connect_url
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
    context = {
        "apps": apps,
        "syncing": any(_syncing(app) for app in apps),
        # Workers come and go and their in-flight counts move: the table then refreshes itself.
        "has_connect": any(is_connect_url(app.url) for app in apps),
    }
    for app in apps:
        app.syncing = _syncing(app)  # type: ignore[attr-defined]  # a template-only mark
        app.connect = is_connect_url(app.url)  # type: ignore[attr-defined]  # likewise
        app.workers = _workers(app) if app.connect else []  # type: ignore[attr-defined]
        app.history = app_history(app.name) if app.connect else []  # type: ignore[attr-defined]
    if request.headers.get("HX-Request") and request.GET.get("fragment") == "table":
        return render(request, "runs/_apps_table.html", context)
    return render(request, "runs/apps_list.html", context)


def _syncing(app: App) -> bool:
    return app.synced_at is None and not app.sync_error


def _workers(app: App) -> list[dict]:
    """The registry's rows with their epoch seconds as datetimes, for `<time data-t>`."""
    rows = connected_workers(app.name)
    for row in rows:
        for key in ("last_heartbeat", "connected_at"):
            if row.get(key):
                row[key] = datetime.fromtimestamp(row[key], UTC)
    return rows


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
    if is_connect_url(app.url):
        # Nothing to call: a Connect app has no URL to PUT to, and syncs each time a worker
        # dials in (its WORKER_CONNECT carries the functions).
        messages.info(
            request,
            f"{app} is a Connect app: it syncs over its worker's socket each time a worker "
            "connects. Restart or deploy a worker to sync new code.",
        )
        return redirect("apps")
    actions.request_app_sync(request, app)
    messages.success(request, f"Re-sync of {app} requested.")
    return redirect("apps")

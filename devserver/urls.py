"""URL map: SDK endpoints, the two APIs, the admin and the pages."""

from django.contrib import admin
from django.urls import include, path

from console.metrics.views import metrics_view
from events.views import ingest
from runs.connect.views import flush_view, start_view
from runs.realtime.views import token_view
from runs.sdk_views import register_view
from runs.state_views import run_actions_view, run_batch_view

from .api import api, v1_api

urlpatterns = [
    path("e/<str:event_key>", ingest, name="ingest"),
    path("fn/register", register_view, name="register"),
    path("api/", api.urls),
    path("v1/realtime/token", token_view, name="realtime-token"),
    path("v1/", v1_api.urls),
    path("v0/connect/start", start_view, name="connect-start"),
    path("v0/connect/flush", flush_view, name="connect-flush"),
    path("v0/runs/<str:run_id>/batch", run_batch_view, name="run-batch"),
    path("v0/runs/<str:run_id>/actions", run_actions_view, name="run-actions"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("", include("console.urls")),
]

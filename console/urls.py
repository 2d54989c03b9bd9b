"""The console's page routes (the APIs are mounted by devserver/api.py): runs and their
actions, bulk actions, functions, apps, events, the audit log, and logins."""

from django.urls import include, path

from .pages import (
    apps,
    audit,
    bulk,
    catalog,
    event_send,
    events,
    fixtures,
    realtime,
    run_diff,
    runs,
    runs_list,
    time_travel,
)
from .pages.inspector import function_inspector

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("", runs_list.runs_list, name="home"),
    path("runs/", runs_list.runs_list, name="runs"),
    path("runs/import", fixtures.import_fixture, name="run-import"),
    path("runs/<str:run_id>/", runs.run_detail, name="run-detail"),
    path("runs/<str:run_id>/cancel", runs.cancel, name="run-cancel"),
    path("runs/<str:run_id>/fork", runs.fork_run, name="run-fork"),
    path("runs/<str:run_id>/wake", time_travel.wake, name="run-wake"),
    path("runs/<str:run_id>/timeout", time_travel.timeout, name="run-timeout"),
    path("runs/<str:run_a>/diff/<str:run_b>", run_diff.run_diff, name="run-diff"),
    path("runs/<str:run_id>/compare", run_diff.compare_with_last_success, name="run-compare"),
    path("runs/<str:run_id>/realtime", realtime.realtime_messages, name="run-realtime"),
    path("runs/<str:run_id>/steps/<str:hashed_id>.json", runs.step_output, name="step-output"),
    path("bulk/", bulk.bulk_home, name="bulk"),
    path("bulk/prepare", bulk.bulk_prepare, name="bulk-prepare"),
    path("bulk/<int:action_id>/", bulk.bulk_detail, name="bulk-detail"),
    path("bulk/<int:action_id>/confirm", bulk.bulk_confirm, name="bulk-confirm"),
    path("functions/", catalog.functions_list, name="functions"),
    path("functions/<str:slug>/", catalog.function_detail, name="function-detail"),
    path("functions/<str:slug>/invoke", catalog.function_invoke, name="function-invoke"),
    path("functions/<str:slug>/run-cron", catalog.function_run_cron, name="function-cron"),
    path("functions/<str:slug>/pause", catalog.function_pause, name="function-pause"),
    path("functions/<str:slug>/inspector", function_inspector, name="function-inspector"),
    path("functions/<str:slug>/resume", catalog.function_resume, name="function-resume"),
    path("apps/", apps.apps_list, name="apps"),
    path("apps/add", apps.app_add, name="app-add"),
    path("apps/<int:app_id>/sync", apps.app_sync, name="app-sync"),
    path("apps/<int:app_id>/remove", apps.app_remove, name="app-remove"),
    path("events/", events.events_list, name="events"),
    path("events/send/", event_send.send_form, name="event-send"),
    path("events/<str:event_id>/", events.event_detail, name="event-detail"),
    path("events/<str:event_id>/runs", events.event_runs, name="event-runs"),
    path("events/<str:event_id>/resend", events.event_resend, name="event-resend"),
    path("audit/", audit.audit_log, name="audit"),
    path("history/clear", audit.clear, name="clear-history"),
]

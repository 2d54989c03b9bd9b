"""Page routes: runs, run actions, bulk actions, functions, apps and events."""

from django.urls import path

from events import pages as event_pages

from . import bulk_views, catalog_views, views

urlpatterns = [
    path("", views.runs_list, name="home"),
    path("runs/", views.runs_list, name="runs"),
    path("runs/<str:run_id>/", views.run_detail, name="run-detail"),
    path("runs/<str:run_id>/cancel", views.cancel, name="run-cancel"),
    path("runs/<str:run_id>/fork", views.fork_run, name="run-fork"),
    path("runs/<str:run_id>/steps/<str:hashed_id>.json", views.step_output, name="step-output"),
    path("bulk/", bulk_views.bulk_home, name="bulk"),
    path("bulk/prepare", bulk_views.bulk_prepare, name="bulk-prepare"),
    path("bulk/<int:action_id>/", bulk_views.bulk_detail, name="bulk-detail"),
    path("bulk/<int:action_id>/confirm", bulk_views.bulk_confirm, name="bulk-confirm"),
    path("functions/", catalog_views.functions_list, name="functions"),
    path("functions/<str:slug>/", catalog_views.function_detail, name="function-detail"),
    path("functions/<str:slug>/invoke", catalog_views.function_invoke, name="function-invoke"),
    path("functions/<str:slug>/run-cron", catalog_views.function_run_cron, name="function-cron"),
    path("apps/", catalog_views.apps_list, name="apps"),
    path("apps/add", catalog_views.app_add, name="app-add"),
    path("apps/<int:app_id>/sync", catalog_views.app_sync, name="app-sync"),
    path("events/", event_pages.events_list, name="events"),
    path("events/send/", event_pages.send_form, name="event-send"),
    path("events/<str:event_id>/", event_pages.event_detail, name="event-detail"),
    path("events/<str:event_id>/resend", event_pages.event_resend, name="event-resend"),
]

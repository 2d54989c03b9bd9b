"""Page routes: apps, functions, runs, run detail."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.runs_list, name="home"),
    path("runs/", views.runs_list, name="runs"),
    path("runs/<str:run_id>/", views.run_detail, name="run-detail"),
    path("apps/", views.apps_list, name="apps"),
    path("functions/", views.functions_list, name="functions"),
]

"""Console routes: login/logout, the audit log, clear history."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("audit/", views.audit_log, name="audit"),
    path("history/clear", views.clear, name="clear-history"),
]

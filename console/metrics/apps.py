"""The metrics app: its own tables (tallies and their cursors), labelled `metrics`."""

from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "console.metrics"
    label = "metrics"
    default_auto_field = "django.db.models.BigAutoField"

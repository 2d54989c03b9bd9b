"""App config for runs; connects the event trigger receiver."""

from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "runs"

    def ready(self) -> None:
        from events.signals import events_stored

        from .event_hooks import on_events_stored

        events_stored.connect(on_events_stored, dispatch_uid="runs.event_hooks")

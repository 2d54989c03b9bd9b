"""App config for runs; connects the event trigger receiver."""

from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "runs"

    def ready(self) -> None:
        from events.signals import events_stored

        from . import triggers

        events_stored.connect(triggers.start_runs_for_events, dispatch_uid="runs.triggers")

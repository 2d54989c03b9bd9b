"""App config for runs: connects the event trigger receiver and the state gateway's hooks."""

from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "runs"

    def ready(self) -> None:
        from events.signals import events_stored

        from . import live, states
        from .event_hooks import on_events_stored
        from .invocations import resume_invoker
        from .lifecycle import emit_lifecycle_events

        events_stored.connect(on_events_stored, dispatch_uid="runs.event_hooks")
        states.on_run_changed(live.publish_run)
        states.on_step_changed(live.publish_step)
        states.on_bulk_changed(live.publish_bulk)
        # A parent waiting on this run resumes before listeners of its lifecycle events start.
        states.on_run_ended(resume_invoker)
        states.on_run_ended(emit_lifecycle_events)

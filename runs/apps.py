"""App config for runs: connects the event trigger receiver and the state gateway's hooks."""

from django.apps import AppConfig

from events.signals import events_stored


class RunsConfig(AppConfig):
    name = "runs"

    def ready(self) -> None:
        from . import live, states
        from .invocations import resume_invoker
        from .lifecycle import emit_lifecycle_events
        from .triggers import on_events_stored

        events_stored.connect(on_events_stored, dispatch_uid="runs.triggers")
        states.on_run_changed(live.publish_run)
        states.on_step_changed(live.publish_step)
        states.on_bulk_changed(live.publish_bulk)
        # A parent waiting on this run resumes before listeners of its lifecycle events start.
        states.on_run_ended(resume_invoker)
        states.on_run_ended(emit_lifecycle_events)

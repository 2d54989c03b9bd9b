"""What follows a change, wired in one place (runs/apps.py connects it once the models load):
newly stored events go to the triggers; the state gateway's changes are pushed to live views
after commit, and a run's end resumes the run that invoked it and emits its lifecycle events."""

from events.signals import events_stored

from . import defer, live, states
from .invocations import resume_invoker
from .lifecycle import emit_lifecycle_events
from .triggers import on_events_stored


def connect() -> None:
    """Connect every receiver and hook (safe to call twice: each is registered once)."""
    events_stored.connect(on_events_stored, dispatch_uid="runs.triggers")
    events_stored.connect(live.on_events_stored, dispatch_uid="runs.live")
    states.on_run_changed(live.publish_run)
    states.on_step_changed(live.publish_step)
    states.on_bulk_changed(live.publish_bulk)
    # A parent waiting on this run resumes before listeners of its lifecycle events start.
    states.on_run_ended(resume_invoker)
    states.on_run_ended(emit_lifecycle_events)
    states.on_run_ended(defer.schedule_defers)  # defer() runs start once their parent ended

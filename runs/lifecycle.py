"""What happens when a run ends: the `inngest/function.*` events (onFailure handlers and user
functions listen to them) and resuming an invoking parent. Runs in the ending transaction."""

from typing import Any

from events.ingest import IncomingEvent, store_events

from .models import Run, RunStatus

FAILED = "inngest/function.failed"
FINISHED = "inngest/function.finished"
CANCELLED = "inngest/function.cancelled"
INVOKED = "inngest/function.invoked"
LIFECYCLE_EVENTS = frozenset({FAILED, FINISHED, CANCELLED})


def on_run_ended(run: Run) -> None:
    from .invocations import resume_invoker

    base = {
        "function_id": run.function.slug,
        "run_id": run.id,
        "event": run.event.payload() if run.event else None,
    }
    emitted = []
    if run.status == RunStatus.FAILED:
        emitted.append(IncomingEvent.internal(FAILED, {**base, "error": run.error}))
    if run.status == RunStatus.CANCELLED:
        emitted.append(IncomingEvent.internal(CANCELLED, {**base, "error": run.error}))
    finished: dict[str, Any] = dict(base)
    if run.status == RunStatus.COMPLETED:
        finished["output"] = run.output
    else:
        finished["error"] = run.error or {"name": "Cancelled", "message": "the run was cancelled"}
    correlation = (run.event.data.get("_inngest") or {}) if run.event else {}
    if correlation.get("correlation_id"):
        finished["correlation_id"] = correlation["correlation_id"]
    emitted.append(IncomingEvent.internal(FINISHED, finished))
    store_events(emitted)
    if run.invoked_by_id:
        resume_invoker(run)


def is_about_itself(function_slug: str, event_payload: dict[str, Any]) -> bool:
    """A lifecycle event never triggers the function it reports on (no endless loops)."""
    if event_payload.get("name") not in LIFECYCLE_EVENTS:
        return False
    return (event_payload.get("data") or {}).get("function_id") == function_slug

"""What happens when a run ends: the `inngest/function.*` events (onFailure handlers and user
functions listen to them). A hook of the state gateway: it runs after the run's end commits,
once, in a transaction of its own."""

from typing import Any

from events.ingest import IncomingEvent, store_events

from .models import Run
from .statuses import RunStatus

FAILED = "inngest/function.failed"
FINISHED = "inngest/function.finished"
CANCELLED = "inngest/function.cancelled"
# Runs started by these emit no lifecycle events of their own, so listeners cannot loop.
_SILENT_TRIGGERS = frozenset({FAILED, FINISHED})


def emit_lifecycle_events(run: Run) -> None:
    if run.event and run.event.name in _SILENT_TRIGGERS:
        return
    trigger = run.event.payload() if run.event else None
    data: dict[str, Any] = {
        "function_id": run.function.slug,
        "run_id": run.id,
        "event": trigger,
        "events": [trigger] if trigger else [],
        "_inngest": {"status": run.status},
    }
    correlation = (run.event.data.get("_inngest") or {}) if run.event else {}
    if correlation.get("correlation_id"):
        data["correlation_id"] = correlation["correlation_id"]
    emitted = []
    if run.status == RunStatus.COMPLETED:
        data["result"] = run.output
    elif run.status == RunStatus.FAILED:
        data["error"] = run.error
        emitted.append(IncomingEvent.internal(FAILED, data, external_id=run.id))
    else:
        emitted.append(IncomingEvent.internal(CANCELLED, data, external_id=run.id))
    emitted.append(IncomingEvent.internal(FINISHED, data))
    store_events(emitted)

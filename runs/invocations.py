"""step.invoke: start another function's run with `inngest/function.invoked`, and hand its
result (or error) back to the calling step when it ends."""

from typing import Any

from events.ingest import IncomingEvent, store_events

from .models import Function, Run, RunStatus, Step, StepStatus
from .triggers import start_run
from .waits import complete_waiting_step

INVOKED = "inngest/function.invoked"


def start_child_run(
    caller: Run, step: Step, function_slug: str, payload: dict[str, Any]
) -> Run | None:
    """Create the invoked run; None when no active function has that id."""
    target = Function.objects.filter(slug=function_slug, archived=False).first()
    if target is None:
        return None
    given = payload.get("data")
    data = given if isinstance(given, dict) else {}
    event_data = {
        **data,
        "_inngest": {
            "source_app_id": caller.function.app.name,
            "source_fn_id": caller.function.slug,
            "source_fn_v": 1,
            "source_run_id": caller.id,
            "fn_id": function_slug,
            "correlation_id": f"{caller.id}.{step.hashed_id}",
            "name": step.name,
            "expire": None,
        },
    }
    [event] = store_events([IncomingEvent.internal(INVOKED, event_data)]).stored
    return start_run(target, event, invoked_by=step)


def resume_invoker(child: Run) -> None:
    """Child run ended (a hook of the state gateway, after commit): resolve the caller's
    waiting step with its output or error."""
    if not child.invoked_by_id:
        return
    step = Step.objects.filter(pk=child.invoked_by_id).first()
    if step is None or step.status != StepStatus.WAITING:
        return
    if child.status == RunStatus.COMPLETED:
        complete_waiting_step(step, {"data": child.output})
        return
    error = child.error or {"name": "Error", "message": f"invoked run {child.id} was cancelled"}
    complete_waiting_step(step, {"error": error}, StepStatus.FAILED)

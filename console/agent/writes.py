"""What the MCP write tools do, each through its operator action (console/actions.py), which
writes the audit row in the action's transaction, naming the caller. Plain functions called in
a thread by server.py; JSON-ready dicts out."""

import json
from typing import Any

from django.shortcuts import get_object_or_404

from console import actions
from events.ingest import EventValidationError, parse_body
from foundation.nul import contains_nul
from runs.cancellation import RunAlreadyEnded
from runs.forks import ForkNotAllowed
from runs.manual import CannotStart
from runs.models import Function, Run
from runs.selectors import SelectorError
from runs.timetravel import NothingToMove, TimeTravelOff

from . import reads
from .access import Caller

# The engine's refusals, each a message that says why; the tools answer them as tool errors.
REFUSALS = (
    EventValidationError,
    RunAlreadyEnded,
    ForkNotAllowed,
    CannotStart,
    SelectorError,
    NothingToMove,
    TimeTravelOff,
)


def send_event(caller: Caller, name: str, data: dict[str, Any]) -> dict[str, Any]:
    """Store one event as POST /e/ would; its ids (the runs it starts follow in get_event_runs)."""
    if contains_nul(data) or contains_nul(name):
        raise EventValidationError("NUL characters (\\u0000) cannot be stored")
    # Parsed by the ingest edge itself, so an agent's event is checked like any other.
    incoming = parse_body(json.dumps({"name": name, "data": data}).encode())
    return {"ids": actions.send_events(caller.actor, incoming).ids}


def invoke(caller: Caller, slug: str, data: dict[str, Any]) -> dict[str, Any]:
    function = get_object_or_404(Function, slug=slug)
    return reads.run_summary(actions.invoke_function(caller.actor, function, data))


def cancel(caller: Caller, run_id: str) -> dict[str, Any]:
    get_object_or_404(Run, pk=run_id)
    return reads.run_summary(actions.cancel_run(caller.actor, run_id, "cancelled through MCP"))


def preview(run_id: str, action: str, step: str) -> dict[str, Any]:
    run = get_object_or_404(Run, pk=run_id)
    return reads.fork_plan(run, action, step)


def fork(
    caller: Caller, run_id: str, action: str, step: str, step_input: list[Any] | None
) -> dict[str, Any]:
    """Replay, retry or rerun from a step; the new run and the plan it followed."""
    run = get_object_or_404(Run.objects.select_related("function", "event"), pk=run_id)
    plan = reads.fork_plan(run, action, step)
    new_run = actions.fork_run(caller.actor, run, action, reads.step_id(run, step), step_input)
    return {"run": reads.run_summary(new_run), "plan": plan}


def wake(caller: Caller, run_id: str, timeout: bool) -> dict[str, Any]:
    """Time travel: a sleep (or, with `timeout`, a wait) ends now; the steps it moved."""
    get_object_or_404(Run, pk=run_id)
    act = actions.time_out_run_now if timeout else actions.wake_run_now
    return {"run_id": run_id, "steps": act(caller.actor, run_id)}

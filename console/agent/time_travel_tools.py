"""The MCP tools of time travel beyond wake_run and time_out_run (server.py): read the event
a waiting run awaits (prefilled from its `if`), send it, and release what a debounce, batch
or throttle holds. Writes go through their audited operator actions; dev mode only unless
DEVSERVER_TIME_TRAVEL allows them. They register on the server of server.py when this module
is imported (asgi.py imports it)."""

from typing import Any

from django.shortcuts import get_object_or_404
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from console import actions
from runs.models import Function, Run
from runs.timetravel_release import BadHoldKind
from runs.timetravel_send import NotAwaited, awaited_event_of

from .access import Caller, Level
from .server import _call, _read, _write


@_read
async def get_awaited_event(ctx: Context, run_id: str, step: str = "") -> dict[str, Any]:
    """The event a waiting run's waitForEvent step awaits: its name, its `if` expression and
    the data that expression asks for, with the values of the run's own event filled in
    (`complete` is false when part of it could not be derived). `step`: the step's name or
    id, when several wait. Pass the data (edited if needed) to send_awaited_event."""

    def read(_: Caller) -> dict[str, Any]:
        get_object_or_404(Run, pk=run_id)
        waiting, awaited = awaited_event_of(run_id, step)
        return {"run_id": run_id, "step": waiting.name, **vars(awaited)}

    return await _call(ctx, Level.READ, read)


@_write
async def send_awaited_event(
    ctx: Context, run_id: str, data: dict[str, Any], step: str = ""
) -> dict[str, Any]:
    """Time travel (dev mode): send the event a waiting run awaits, with `data`, as a real
    event; it resumes the wait. Refused (nothing sent) when `data` does not satisfy the
    wait's `if`: read get_awaited_event first."""

    def send(caller: Caller) -> dict[str, Any]:
        get_object_or_404(Run, pk=run_id)
        try:
            sent = actions.send_awaited_event_now(caller.actor, run_id, step, data)
        except NotAwaited as exc:
            raise ToolError(str(exc)) from None
        return {"run_id": run_id, **vars(sent)}

    return await _call(ctx, Level.OPERATE, send)


@_write
async def release_run(ctx: Context, run_id: str) -> dict[str, Any]:
    """Time travel (dev mode): a run queued behind a throttle starts now, outside the
    throttle's window (the runs queued after it keep their times)."""

    def release(caller: Caller) -> dict[str, Any]:
        get_object_or_404(Run, pk=run_id)
        due_at = actions.release_throttled_run_now(caller.actor, run_id)
        return {"run_id": run_id, "was_due_at": due_at.isoformat()}

    return await _call(ctx, Level.OPERATE, release)


@_write
async def release_hold(ctx: Context, function: str, kind: str, key: str = "") -> dict[str, Any]:
    """Time travel (dev mode): start now the run a function's debounce (`kind` "debounce": with
    its last event) or batch ("batch": with the events so far) holds; `key` as the function's
    flow inspector lists the hold ("" when the option has no key). Returns the run started."""

    def release(caller: Caller) -> dict[str, Any]:
        found = get_object_or_404(Function, slug=function)
        try:
            released = actions.release_hold_now(caller.actor, found, kind, key)
        except BadHoldKind as exc:
            raise ToolError(str(exc)) from None
        return {"function": function, "kind": kind, "key": key, **vars(released)}

    return await _call(ctx, Level.OPERATE, release)

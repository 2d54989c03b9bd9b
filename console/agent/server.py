"""The MCP server's tools, on the official `mcp` SDK's MCPServer. Read tools answer from
reads.py; write tools call the operator actions (console/actions.py), which audit each change
in its transaction. The SDK runs on the event loop: every database call goes through
sync_to_async. A read-only caller is shown the read tools only, and a write tool refuses it."""

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections
from django.http import Http404
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ListToolsResult, ToolAnnotations

from . import reads, writes
from .access import Caller, Level

# Where the ASGI mount (asgi.py) leaves the caller in the request's scope.
CALLER_KEY = "console.mcp_caller"
_READ_ONLY = ToolAnnotations(read_only_hint=True)
_WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False)
_write_tools: set[str] = set()


def _caller(scope: dict[str, Any] | None) -> Caller | None:
    return scope.get(CALLER_KEY) if scope else None


class ConsoleMCP(MCPServer[Any]):
    """MCPServer whose tool list leaves out the write tools for a read-only caller."""

    async def _handle_list_tools(self, ctx: Any, params: Any) -> ListToolsResult:
        listed = await super()._handle_list_tools(ctx, params)
        caller = _caller(getattr(ctx.request, "scope", None))
        if caller is not None and caller.level >= Level.OPERATE:
            return listed
        return ListToolsResult(tools=[t for t in listed.tools if t.name not in _write_tools])


server = ConsoleMCP(
    name="inngest-devserver",
    instructions=(
        "Drive an Inngest-compatible dev server: list apps and functions, send events, invoke "
        "functions, search runs (status, function, time, CEL over event and output), read a run "
        "with its steps and trace, cancel, replay, retry or rerun from a step (preview first "
        "with preview_fork), and wake a sleeping run."
    ),
)


async def _call(ctx: Context, level: Level, work: Callable[[Caller], Any]) -> Any:
    """Run `work` in a thread for a caller allowed `level`; engine refusals become tool
    errors that say what went wrong."""
    caller = _caller(getattr(ctx.request_context.request, "scope", None))
    if caller is None or caller.level < level:
        raise ToolError("this tool needs an operator (the console.operate permission)")

    def in_thread() -> Any:
        close_old_connections()  # a connection Postgres dropped since the last call
        try:
            return work(caller)
        except Http404 as exc:
            raise ToolError(f"not found: {exc}") from None
        except writes.REFUSALS as exc:
            raise ToolError(str(exc)) from None

    result: Awaitable[Any] = sync_to_async(in_thread)()
    return await result


def _write(fn: Callable[..., Any]) -> Callable[..., Any]:
    _write_tools.add(fn.__name__)
    return server.tool(annotations=_WRITE)(fn)


def _read(fn: Callable[..., Any]) -> Callable[..., Any]:
    return server.tool(annotations=_READ_ONLY)(fn)


@_read
async def list_apps(ctx: Context) -> list[dict[str, Any]]:
    """The synced apps: name, URL, SDK, how many functions, the last sync and its error; for a
    Connect app, its workers holding a socket now and its latest sockets with why each ended."""
    return await _call(ctx, Level.READ, lambda _: reads.list_apps())


@_read
async def list_functions(ctx: Context) -> list[dict[str, Any]]:
    """Every function: its slug (for invoke_function and list_runs), app, triggers, paused."""
    return await _call(ctx, Level.READ, lambda _: reads.list_functions())


@_read
async def list_runs(
    ctx: Context,
    status: str = "",
    function: str = "",
    app: str = "",
    since: str = "",
    until: str = "",
    expression: str = "",
    cursor: str = "",
    limit: int = 50,
) -> dict[str, Any]:
    """Runs, newest first. `status`: Queued, Running, Sleeping, Waiting, Completed, Failed or
    Cancelled; `function`: a slug; `since`/`until`: ISO times; `expression`: CEL over `event`
    and `output` (`output.total > 10 && event.data.plan == "pro"`). Pass `next_cursor` back as
    `cursor` for the next page."""
    fields = {
        "status": status,
        "function": function,
        "app": app,
        "since": since,
        "until": until,
        "expression": expression,
    }
    return await _call(ctx, Level.READ, lambda _: reads.list_runs(fields, cursor, limit))


@_read
async def get_run(ctx: Context, run_id: str) -> dict[str, Any]:
    """A run with its steps (outputs, attempts), failed attempts, what it waits for, and its
    trace: per step the spans (queued, running, failed, backoff, sleeping, waiting...) in
    seconds after the run was queued."""
    return await _call(ctx, Level.READ, lambda _: reads.get_run(run_id))


@_read
async def get_event_runs(ctx: Context, event_id: str) -> dict[str, Any]:
    """An event and the runs it started (or the debounced or batched runs it joined)."""
    return await _call(ctx, Level.READ, lambda _: reads.event_runs(event_id))


@_read
async def preview_fork(ctx: Context, run_id: str, action: str, step: str = "") -> dict[str, Any]:
    """What `replay`, `retry` or `rerun` (from `step`, by name or id) would do: the steps it
    reuses and the steps that run again, as the run page shows before confirming."""
    return await _call(ctx, Level.READ, lambda _: writes.preview(run_id, action, step))


@_write
async def send_event(ctx: Context, name: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Send an event (as POST /e/{key} does); the functions it triggers start."""
    return await _call(ctx, Level.OPERATE, lambda c: writes.send_event(c, name, data or {}))


@_write
async def invoke_function(
    ctx: Context, function: str, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Start a run of a function (by slug) with `data` as its event's data."""
    return await _call(ctx, Level.OPERATE, lambda c: writes.invoke(c, function, data or {}))


@_write
async def cancel_run(ctx: Context, run_id: str) -> dict[str, Any]:
    """Cancel a run that has not ended."""
    return await _call(ctx, Level.OPERATE, lambda c: writes.cancel(c, run_id))


@_write
async def replay_run(ctx: Context, run_id: str) -> dict[str, Any]:
    """Start a new run with the same trigger (nothing reused); returns it and the plan."""
    return await _call(ctx, Level.OPERATE, lambda c: writes.fork(c, run_id, "replay", "", None))


@_write
async def retry_run(ctx: Context, run_id: str) -> dict[str, Any]:
    """Retry a failed run: steps that succeeded are reused, the failed one runs again."""
    return await _call(ctx, Level.OPERATE, lambda c: writes.fork(c, run_id, "retry", "", None))


@_write
async def rerun_from_step(
    ctx: Context, run_id: str, step: str, step_input: list[Any] | None = None
) -> dict[str, Any]:
    """Rerun from a step (by name or id): earlier steps are reused; `step_input` replaces that
    step's arguments (JS `step.run(id, fn, ...input)`). Check preview_fork first."""
    return await _call(
        ctx, Level.OPERATE, lambda c: writes.fork(c, run_id, "rerun", step, step_input)
    )


@_write
async def wake_run(ctx: Context, run_id: str) -> dict[str, Any]:
    """Time travel (dev mode): end a sleeping run's sleep now, as if its wake time had come."""
    return await _call(ctx, Level.OPERATE, lambda c: writes.wake(c, run_id, timeout=False))


@_write
async def time_out_run(ctx: Context, run_id: str) -> dict[str, Any]:
    """Time travel (dev mode): a waiting run's waitForEvent (null) or invoke times out now."""
    return await _call(ctx, Level.OPERATE, lambda c: writes.wake(c, run_id, timeout=True))

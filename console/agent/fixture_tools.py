"""The MCP tools of run fixtures: export a run as a fixture (a read), and import one exported
by another server (a write, audited by its operator action). They register on the server of
server.py when this module is imported (asgi.py imports it)."""

from typing import Any

from django.shortcuts import get_object_or_404
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from console import actions, fixture_source
from console.run_fields import run_json
from runs.fixture_format import BadFixture, parse_fixture
from runs.models import Run

from .access import Caller, Level
from .server import _call, _read, _write


@_read
async def export_run_fixture(ctx: Context, run_id: str) -> dict[str, Any]:
    """The run as a test fixture (format "inngest-devserver/run" version 1): its function,
    trigger events, every finished step's hashed id, name, opcode and memoized output or
    error, failed attempts and outcome. Replay it offline with @inngest/test or the Python
    SDK's inngest.experimental.mocked, or pass it to import_run_fixture on another server."""

    def export(caller: Caller) -> dict[str, Any]:
        run = get_object_or_404(Run.objects.select_related("function__app", "event"), pk=run_id)
        return fixture_source.export_run(caller.actor, run)

    return await _call(ctx, Level.READ, export)


@_write
async def import_run_fixture(ctx: Context, fixture: dict[str, Any]) -> dict[str, Any]:
    """Import a fixture exported by another server (export_run_fixture there): a new run of
    the function with the same slug here, in its exported status with its memoized steps.
    Nothing runs; rerun_from_step then runs it against this server's app. Refused when the
    function is not registered here or the run had not ended."""

    def import_(caller: Caller) -> dict[str, Any]:
        try:
            run = actions.import_run(caller.actor, parse_fixture(fixture))
        except BadFixture as exc:
            raise ToolError(f"not imported: {exc}") from None
        return run_json(run)

    return await _call(ctx, Level.OPERATE, import_)

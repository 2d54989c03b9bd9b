"""The fields every surface shows of a run (the API's `RunOut`, the MCP tools, `manage.py runs`):
one list, so a field added for one surface reaches all of them."""

from datetime import datetime
from typing import Any

from runs.models import Run


def run_fields(run: Run) -> dict[str, Any]:
    """A run's summary with its times as datetimes (the API's schema serializes them)."""
    return {
        "id": run.id,
        "function": run.function.slug,
        "status": run.status,
        "event_id": run.event_id,
        "output": run.output,
        "error": run.error,
        "queued_at": run.queued_at,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
    }


def run_json(run: Run) -> dict[str, Any]:
    """The same summary as plain JSON: times as ISO 8601 strings (or null)."""
    return {k: iso(v) if isinstance(v, datetime) else v for k, v in run_fields(run).items()}


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None

"""How `manage.py runs list` and `runs show` print runs: plain aligned text, or JSON with the
fields of `GET /api/runs` and `GET /api/runs/{id}`. (A leading `_`: not a command itself.)"""

import json
from datetime import datetime
from typing import Any

from console.run_fields import iso, run_json
from runs.models import Run

_LIST_COLUMNS = ("RUN", "STATUS", "FUNCTION", "QUEUED (UTC)", "DURATION")


def detail_json(run: Run) -> dict[str, Any]:
    steps = [
        {
            "hashed_id": s.hashed_id,
            "name": s.name,
            "opcode": s.opcode,
            "status": s.status,
            "attempts": s.attempts,
            "output": s.memo,
            "started_at": iso(s.started_at),
            "ended_at": iso(s.ended_at),
        }
        for s in run.steps.order_by("started_at", "id")
    ]
    attempts = [
        {
            "step": a.step_name,
            "number": a.number,
            "error": a.error,
            "started_at": iso(a.started_at),
            "ended_at": iso(a.ended_at),
        }
        for a in run.failed_attempts.order_by("started_at", "id")
    ]
    return {**run_json(run), "steps": steps, "failed_attempts": attempts}


def run_table(runs: list[Run]) -> list[str]:
    if not runs:
        return ["no runs match"]
    rows = [_LIST_COLUMNS] + [
        (r.id, r.status, r.function.slug, _when(r.queued_at), _duration(r)) for r in runs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_LIST_COLUMNS))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def run_lines(run: Run) -> list[str]:
    lines = [
        f"run       {run.id}",
        f"function  {run.function.slug}",
        f"status    {run.status}",
        f"event     {run.event_id or '-'}",
        f"queued    {_when(run.queued_at)} UTC",
        f"started   {_when(run.started_at)}",
        f"ended     {_when(run.ended_at)}",
        f"duration  {_duration(run)}",
    ]
    if run.output is not None:
        lines.append(f"output    {_short(run.output)}")
    if run.error is not None:
        lines.append(f"error     {_short(run.error)}")
    steps = list(run.steps.order_by("started_at", "id"))
    lines.append(f"steps ({len(steps)}):")
    for step in steps:
        attempts = f" ({step.attempts} attempts)" if step.attempts > 1 else ""
        lines.append(f"  {step.status:<10} {step.name} [{step.opcode}]{attempts}")
    failed = list(run.failed_attempts.order_by("started_at", "id"))
    if failed:
        lines.append(f"failed attempts ({len(failed)}):")
        for attempt in failed:
            where = attempt.step_name or "function"
            lines.append(f"  {where} #{attempt.number + 1}: {_short(attempt.error)}")
    return lines


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _duration(run: Run) -> str:
    if run.started_at is None:
        return "-"
    if run.ended_at is None:
        return "running"
    seconds = (run.ended_at - run.started_at).total_seconds()
    return f"{seconds:.2f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


def _short(value: object, most: int = 200) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= most else text[: most - 3] + "..."

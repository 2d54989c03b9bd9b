"""What the MCP read tools answer: apps, functions, runs (searched as the runs list searches,
through RunSelector and so the filter worker), a run with its steps and trace, an event's runs,
and what a replay, retry or rerun would do. Plain functions over the database, called in a
thread by server.py; JSON-ready dicts out."""

from typing import Any

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from console.pages import trace
from console.run_fields import iso, run_json
from events.models import Event
from foundation import clock
from runs import forks
from runs.connect.history import connect_state
from runs.models import App, Function, Run, Step
from runs.selectors import RunSelector
from runs.statuses import Subject

# Enough runs for an agent to read at once; the cursor pages on.
MOST_RUNS = 200


def list_apps() -> list[dict[str, Any]]:
    apps = App.objects.annotate(live=Count("functions", filter=Q(functions__archived=False)))
    return [
        {
            "id": a.id,
            "name": a.name,
            "url": a.url,
            "sdk": a.sdk,
            "functions": a.live,
            "synced_at": iso(a.synced_at),
            "sync_error": a.sync_error,
            **connect_state(a),
        }
        for a in apps.order_by("id")
    ]


def list_functions() -> list[dict[str, Any]]:
    functions = Function.objects.filter(archived=False).select_related("app").order_by("id")
    return [
        {
            "slug": f.slug,
            "name": f.name,
            "app": f.app.name,
            "triggers": f.triggers,
            "paused": f.paused_at is not None,
        }
        for f in functions
    ]


def list_runs(fields: dict[str, str], cursor: str, limit: int) -> dict[str, Any]:
    """Newest first; SelectorError for a bad status, time or CEL expression."""
    selector = RunSelector.from_fields(**fields)
    runs, next_cursor = selector.page(cursor, min(max(limit, 1), MOST_RUNS))
    return {"runs": [run_summary(r) for r in runs], "next_cursor": next_cursor}


def run_summary(run: Run) -> dict[str, Any]:
    return run_json(run)


def get_run(run_id: str) -> dict[str, Any]:
    """The run, its steps with their outputs, its failed attempts, what it waits for, and its
    trace: the spans the run page draws (seconds after the run was queued)."""
    run = get_object_or_404(Run.objects.select_related("function"), pk=run_id)
    steps = list(run.steps.all())
    attempts = list(run.failed_attempts.all())
    history = list(run.status_changes.filter(subject=Subject.RUN).order_by("id"))
    built = trace.build(run, steps, attempts, history, clock.now())
    return {
        **run_summary(run),
        "source_run": run.source_run_id,
        "steps": [_step(s) for s in steps],
        "failed_attempts": [
            {
                "step": a.step_name,
                "number": a.number,
                "error": a.error,
                "started_at": iso(a.started_at),
                "ended_at": iso(a.ended_at),
            }
            for a in attempts
        ],
        "pending": [
            {"reason": item.reason, "due_at": iso(item.due_at), "step": item.target_step}
            for item in run.queue_items.all()
        ],
        "trace": [_row(row) for row in [built.run_row, *built.rows]],
        "user_spans": [
            {
                "name": s.name,
                "step": s.step_hashed_id,
                "status": s.status,
                "started_at": iso(s.started_at),
                "ended_at": iso(s.ended_at),
            }
            for s in run.user_spans.all()
        ],
    }


def event_runs(event_id: str) -> dict[str, Any]:
    """The event and the runs it started, with the debounced or batched runs it joined."""
    event = get_object_or_404(Event, pk=event_id)
    runs = (
        Run.objects.filter(Q(event=event) | Q(decisions__event=event))
        .distinct()
        .select_related("function")
        .order_by("id")
    )
    return {
        "event": {"id": event.id, "name": event.name, "data": event.data, "ts": event.ts},
        "runs": [run_summary(r) for r in runs],
    }


def fork_plan(run: Run, action: str, step: str) -> dict[str, Any]:
    """The preview the run page shows before a replay, retry or rerun (ForkNotAllowed when it
    does not apply). `step` is the step's name or hashed id."""
    result = forks.plan(run, action, step_id(run, step))
    return {
        "action": result.origin,
        "reused": [s.name for s in result.reused],
        "rerun": result.rerun,
        "from_step": result.from_step.name if result.from_step else None,
    }


def step_id(run: Run, step: str) -> str:
    """A step named by an agent, by name or hashed id, as its hashed id ("" for none)."""
    if not step:
        return ""
    named = run.steps.filter(Q(hashed_id=step) | Q(name=step)).order_by("position").first()
    return named.hashed_id if named else step


def _step(step: Step) -> dict[str, Any]:
    return {
        "id": step.hashed_id,
        "name": step.name,
        "opcode": step.opcode,
        "status": step.status,
        "attempts": step.attempts,
        "output": step.memo,
        "started_at": iso(step.started_at),
        "ended_at": iso(step.ended_at),
        "wake_at": iso(step.wake_at),
    }


def _row(row: trace.Row) -> dict[str, Any]:
    return {
        "step": row.name or "(run)",
        "status": row.status,
        "spans": [
            {"kind": s.kind, "start": round(s.start, 3), "end": round(s.end, 3), "about": s.tip}
            for s in row.spans
        ],
        "mark": {"label": row.mark.label, "at": iso(row.mark.at)} if row.mark else None,
    }

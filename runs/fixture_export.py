"""Export a run as a fixture (the format in runs/fixture_format.py): its function, trigger
events, finished steps with their memoized outputs, failed attempts and outcome."""

from datetime import datetime
from typing import Any

from foundation import clock

from .fixture_format import KIND, VERSION
from .memo import RunMemo
from .models import Attempt, Run, Step
from .statuses import FINISHED_STEP_STATUSES


def export_run(run: Run, source: str) -> dict[str, Any]:
    """The fixture of `run`, as JSON-ready data. `source` names this server (its URL) for the
    server that imports it. Unfinished steps are left out: they have no memoized output."""
    steps = Step.objects.filter(run=run, status__in=FINISHED_STEP_STATUSES)
    ordered = sorted(steps, key=lambda s: (s.position is None, s.position or 0, s.id))
    attempts = Attempt.objects.filter(run=run).order_by("started_at", "id")
    return {
        "fixture": KIND,
        "version": VERSION,
        "exported_at": _iso(clock.now()),
        "source": source,
        "function": {
            "slug": run.function.slug,
            "name": run.function.name,
            "app": run.function.app.name,
        },
        "run": {
            "id": run.id,
            "status": run.status,
            "queued_at": _iso(run.queued_at),
            "started_at": _iso(run.started_at),
            "ended_at": _iso(run.ended_at),
            "output": run.output,
            "error": run.error,
            "failed_attempts": [_attempt(a) for a in attempts],
        },
        # What the SDK is sent in `events`: the batch, or the one trigger event.
        "events": RunMemo.events_of(run) if run.event_id or run.batch_event_ids else [],
        "steps": [_step(s) for s in ordered],
    }


def _step(step: Step) -> dict[str, Any]:
    exported: dict[str, Any] = {
        "id": step.hashed_id,
        "name": step.name,
        "op": step.opcode,
        "status": step.status,
        "memo": step.memo,
        "attempts": step.attempts,
        "started_at": _iso(step.started_at),
        "ended_at": _iso(step.ended_at),
    }
    if step.opts:
        exported["opts"] = step.opts
    return exported


def _attempt(attempt: Attempt) -> dict[str, Any]:
    return {
        "step_id": attempt.step_hashed_id,
        "step_name": attempt.step_name,
        "number": attempt.number,
        "error": attempt.error,
        "started_at": _iso(attempt.started_at),
        "ended_at": _iso(attempt.ended_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None

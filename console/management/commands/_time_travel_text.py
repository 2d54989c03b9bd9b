"""The time-travel actions of `manage.py runs` and `manage.py functions` (dev mode unless
DEVSERVER_TIME_TRAVEL allows them): send the event a waiting run awaits, release a run a
throttle queues, release a debounce or batch hold. Each calls its operator action and
returns the line to print; a refusal is a CommandError that says why."""

import json

from django.core.management.base import CommandError

from console import actions
from events.ingest import EventValidationError
from foundation import strict_json
from runs.models import Function, Run
from runs.timetravel import NothingToMove, TimeTravelOff
from runs.timetravel_release import BadHoldKind
from runs.timetravel_send import NotAwaited, awaited_event_of

REFUSALS = (TimeTravelOff, NothingToMove, NotAwaited, EventValidationError, BadHoldKind)


def send_awaited_event(run: Run, step: str, data_text: str | None) -> str:
    """`data_text` (a JSON object) or, when None, the data prefilled from the wait's `if`."""
    try:
        waiting, awaited = awaited_event_of(run.id, step)
        data = awaited.data if data_text is None else strict_json.loads(data_text)
        if not isinstance(data, dict):
            raise CommandError("--data must be a JSON object")
        sent = actions.send_awaited_event_now(None, run.id, waiting.hashed_id, data)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--data is not valid JSON: {exc}") from None
    except REFUSALS as exc:
        raise CommandError(str(exc)) from None
    outcome = "resumed" if sent.resumed else "had ended meanwhile"
    return (
        f"{run.id}: sent {awaited.name} {json.dumps(data)} as event {sent.event_id}; "
        f"the wait in {sent.step} {outcome}"
    )


def release_throttled_run(run: Run) -> str:
    try:
        due_at = actions.release_throttled_run_now(None, run.id)
    except REFUSALS as exc:
        raise CommandError(str(exc)) from None
    return f"{run.id}: released now (the throttle would have started it at {due_at.isoformat()})"


def release_hold(function: Function, kind: str, key: str) -> str:
    try:
        released = actions.release_hold_now(None, function, kind, key)
    except REFUSALS as exc:
        raise CommandError(str(exc)) from None
    events = f"{len(released.event_ids)} event(s)"
    return f"{function.slug}: released the {kind} of key {key!r} ({events}): run {released.run_id}"

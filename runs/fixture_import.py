"""Import a run fixture (runs/fixture_format.py) exported by another server: the run, its
trigger events and its memoized steps are stored here as they ended there, marked with where
they came from, so replay, retry and "rerun from a step" run it against this server's app."""

import json
from datetime import datetime
from typing import Any

from django.db import transaction

from events.ingest import EventValidationError, IncomingEvent, parse_body
from events.models import Event
from foundation import clock

from . import states
from .fixture_format import BadFixture, Fixture
from .models import Attempt, Function, Run, RunMetadata
from .statuses import TERMINAL_RUN_STATUSES

# The run metadata kind that marks an imported run (shown on the run page with the metadata).
IMPORTED_KIND = "devserver.imported"


class UnknownFunction(BadFixture):
    """The fixture's function is not registered (or is archived) on this server."""


class RunNotEnded(BadFixture):
    """The exported run had not ended: there is no outcome to import."""


def import_run(fixture: Fixture) -> Run:
    """Store the fixture's run as a new run of the local function with the same slug, in its
    exported status; nothing executes. UnknownFunction, RunNotEnded or BadFixture (an event
    this server would refuse) when it cannot be imported; nothing is stored then."""
    function = Function.objects.filter(slug=fixture.function_slug, archived=False).first()
    if function is None:
        raise UnknownFunction(
            f"function {fixture.function_slug!r} is not registered on this server: start and "
            "sync the app that defines it, then import again"
        )
    if fixture.status not in TERMINAL_RUN_STATUSES:
        raise RunNotEnded(
            f"run {fixture.run_id} was {fixture.status} when it was exported: only a run that "
            "ended (Completed, Failed or Cancelled) can be imported; export it again once it ends"
        )
    incoming = _parse_events(fixture.events)
    now = clock.now()
    with transaction.atomic():
        events = _store_without_triggering(incoming, now)
        run = Run(
            id=clock.new_id(),
            function=function,
            event=events[0] if events else None,
            batch_event_ids=[e.id for e in events] if len(events) > 1 else [],
            queued_at=fixture.queued_at or now,
            started_at=fixture.started_at,
        )
        states.create_run(run)
        for position, step in enumerate(fixture.steps):
            states.record_step(
                run,
                step.status,
                hashed_id=step.hashed_id,
                name=step.name,
                opcode=step.op,
                memo=step.memo,
                opts=step.opts,
                position=position,
                attempts=step.attempts,
                started_at=step.started_at or now,
                ended_at=step.ended_at or now,
            )
        Attempt.objects.bulk_create(_attempts(run, fixture, now))
        RunMetadata.objects.create(
            run=run,
            kind=IMPORTED_KIND,
            values={
                "imported_from": fixture.source or "an unnamed server",
                "source_run_id": fixture.run_id,
                "exported_at": fixture.exported_at,
            },
            updated_at=now,
        )
        states.move_run(run, fixture.status, output=fixture.output, error=fixture.error)
        _ended_elsewhere(run, fixture.ended_at or now)
    return run


def _parse_events(events: list[dict[str, Any]]) -> list[IncomingEvent]:
    """The fixture's events, checked as `POST /e/` checks events (names, sizes, ids)."""
    if not events:
        return []
    try:
        return parse_body(json.dumps(events).encode())
    except EventValidationError as exc:
        raise BadFixture(str(exc)) from None


def _store_without_triggering(incoming: list[IncomingEvent], now: datetime) -> list[Event]:
    """The events as new rows, without the `events_stored` signal: an imported event must not
    start this server's functions (the imported run is the one it started). The sender's id
    is kept, so the SDK sees the same `event.id` as on the source server."""
    events = [item.row(clock.new_id(), now) for item in incoming]
    Event.objects.bulk_create(events)
    return events


def _attempts(run: Run, fixture: Fixture, now: datetime) -> list[Attempt]:
    return [
        Attempt(
            run=run,
            step_hashed_id=a.step_id,
            step_name=a.step_name,
            number=a.number,
            started_at=a.started_at or now,
            ended_at=a.ended_at or a.started_at or now,
            error=a.error if a.error is not None else {},
        )
        for a in fixture.failed_attempts
    ]


def _ended_elsewhere(run: Run, ended_at: datetime) -> None:
    """The run ended on the source server, which ran its end hooks there. Here they would
    start the app's onFailure handler and `inngest/function.finished` listeners for a run
    that never ran here, so its end is marked handled before the commit (the hooks' claim,
    states.run_end_hooks, then finds nothing to do). Its end time is the exported one."""
    states.forgo_end_hooks(run)
    Run.objects.filter(pk=run.pk).update(ended_at=ended_at)
    run.ended_at = ended_at

"""Operator actions: one function each, called alike by the pages, the APIs and the commands.
Each asks the engine to act and writes its audit row in the same transaction, so an action that
failed (or lost a race) is never audited and one that happened always is. `by` is the request
that asked (its user, or the API key), or None for `manage.py`."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from events.ingest import IncomingEvent, IngestResult, send_again, store_events
from events.models import Event
from runs import (
    bulk,
    cancellation,
    fixture_import,
    forks,
    manual,
    pausing,
    registration,
    retention,
    sync,
    timetravel,
    timetravel_release,
    timetravel_send,
)
from runs.fixture_format import Fixture
from runs.models import App, BulkAction, BulkKind, Function, Run
from runs.selectors import RunSelector

from . import audit

Actor = HttpRequest | None


# -- runs ------------------------------------------------------------------------------------


def cancel_run(by: Actor, run_id: str, reason: str) -> Run:
    """Cancel an active run; RunAlreadyEnded (nothing audited) when it has ended."""
    with transaction.atomic():
        run = cancellation.cancel_run(run_id, reason)
        audit.record(by, "run.cancel", run_id)
    return run


def fork_run(
    by: Actor, run: Run, origin: str, from_step: str = "", step_input: list[Any] | None = None
) -> Run:
    """Replay, retry, or rerun from a step (with its input edited): the new run, linked to
    `run`. ForkNotAllowed (nothing audited) when the action does not apply."""
    with transaction.atomic():
        new_run = forks.fork(run, origin, from_step, step_input)
        audit.record(
            by, f"run.{origin}", run.id, new_run=new_run.id, step=from_step, input=step_input
        )
    return new_run


def import_run(by: Actor, fixture: Fixture) -> Run:
    """Store a run exported by another server (its fixture) as a new run here, to rerun from
    a step against this server's app. BadFixture (UnknownFunction, RunNotEnded...) when it
    cannot be imported: nothing stored, nothing audited."""
    with transaction.atomic():
        run = fixture_import.import_run(fixture)
        audit.record(by, "run.import", run.id, source=fixture.source, source_run=fixture.run_id)
    return run


def wake_run_now(by: Actor, run_id: str) -> list[str]:
    """Time travel: end a sleeping run's sleep now (the steps woken). TimeTravelOff or
    NothingToMove (nothing audited) when it does not apply."""
    with transaction.atomic():
        steps = timetravel.wake_now(run_id)
        audit.record(by, "run.wake", run_id, steps=steps)
    return steps


def time_out_run_now(by: Actor, run_id: str) -> list[str]:
    """Time travel: a waiting run's waits time out now (the steps timed out). TimeTravelOff
    or NothingToMove (nothing audited) when it does not apply."""
    with transaction.atomic():
        steps = timetravel.time_out_now(run_id)
        audit.record(by, "run.timeout", run_id, steps=steps)
    return steps


def send_awaited_event_now(
    by: Actor, run_id: str, step: str, data: dict[str, Any]
) -> timetravel_send.AwaitedSent:
    """Time travel: send the event a waiting step awaits, with `data`, through ingest (the
    event id, and whether it resumed the wait). TimeTravelOff, NothingToMove, NotAwaited or
    EventValidationError (nothing sent, nothing audited) when it does not apply."""
    with transaction.atomic():
        sent = timetravel_send.send_awaited_event(run_id, step, data)
        audit.record(by, "run.send_awaited_event", run_id, step=sent.step, event=sent.event_id)
    return sent


def release_throttled_run_now(by: Actor, run_id: str) -> datetime:
    """Time travel: a run queued behind a throttle starts now, outside its window (when it
    was due). TimeTravelOff or NothingToMove (nothing audited) when it does not apply."""
    with transaction.atomic():
        due_at = timetravel_release.release_throttled_run(run_id)
        audit.record(by, "run.release", run_id, was_due=due_at.isoformat())
    return due_at


def release_hold_now(
    by: Actor, function: Function, kind: str, key: str
) -> timetravel_release.HoldReleased:
    """Time travel: a debounce or batch hold starts its run now (the run and the events).
    TimeTravelOff, BadHoldKind or NothingToMove (nothing audited) when it does not apply."""
    with transaction.atomic():
        released = timetravel_release.release_hold(function, kind, key)
        audit.record(
            by, "function.release_hold", function.slug, kind=kind, key=key, run=released.run_id
        )
    return released


# -- bulk actions, functions -----------------------------------------------------------------


def confirm_bulk(by: Actor, action: BulkAction) -> bool:
    """Hand a previewed bulk action to a worker. True for the one call that confirmed it (and
    audited it); False when it was confirmed already: nothing started, nothing audited."""
    with transaction.atomic():
        confirmed = bulk.confirm(action)
        if confirmed:
            audit.record(by, "bulk.confirm", str(action.pk), kind=action.kind, runs=action.total)
    return confirmed


def cancel_in_bulk(by: Actor, selector: RunSelector) -> BulkAction:
    """Cancel the active runs `selector` matches, at once (Inngest's `POST /v1/cancellations`):
    the exact runs are recorded (bulk.prepare, which may run the `if` filter in the filter
    worker, so outside any transaction), then confirmed and audited as one bulk cancel."""
    action = bulk.prepare(BulkKind.CANCEL, selector, "api")
    with transaction.atomic():
        bulk.confirm(action)
        audit.record(by, "bulk.cancel", str(action.pk), runs=action.total, **selector.as_params())
    return action


def invoke_function(by: Actor, function: Function, data: dict[str, Any]) -> Run:
    """Start a run with `inngest/function.invoked` carrying `data`; CannotStart if archived."""
    with transaction.atomic():
        run = manual.invoke(function, data)
        audit.record(by, "function.invoke", function.slug, run=run.id)
    return run


def run_cron_now(by: Actor, function: Function) -> Run:
    """One extra tick of the function's cron, now; CannotStart when it has none."""
    with transaction.atomic():
        run = manual.fire_cron_now(function)
        audit.record(by, "function.run_cron", function.slug, run=run.id)
    return run


def pause_function(by: Actor, function: Function) -> None:
    """Pause a function: events and crons start nothing, runs in flight hold their next step.
    PauseUnchanged (nothing audited) when it is paused already."""
    with transaction.atomic():
        pausing.pause(function)
        audit.record(by, "function.pause", function.slug)


def resume_function(by: Actor, function: Function) -> int:
    """Resume a paused function; its held runs go on (how many items were woken). Nothing
    skipped while paused is replayed. PauseUnchanged (nothing audited) when it is not paused."""
    with transaction.atomic():
        woken = pausing.resume(function)
        audit.record(by, "function.resume", function.slug, woken=woken)
    return woken


# -- events, apps, history -------------------------------------------------------------------


def send_events(by: Actor, incoming: list[IncomingEvent]) -> IngestResult:
    """Store events as `POST /e/{key}` does (they trigger functions in the same transaction)."""
    with transaction.atomic():
        result = store_events(incoming)
        names = sorted({event.name for event in incoming})
        audit.record(by, "event.send", ",".join(result.ids)[:255], names=names)
    return result


def resend_event(by: Actor, event: Event) -> Event:
    """Send a stored event again, as a new event (a new id, so no dedupe)."""
    with transaction.atomic():
        again = send_again(event)
        audit.record(by, "event.resend", event.id, new_event=again.id)
    return again


def add_app(by: Actor, url: str) -> App:
    """Add an app by its serve URL; a worker syncs it once this commits. AppHostRefused
    (nothing added) for a host outside DEVSERVER_APP_HOSTS."""
    sync.check_app_url(url)
    with transaction.atomic():
        app, _ = App.objects.get_or_create(url=url)
        sync.request_sync(url)
        audit.record(by, "app.add", url)
    return app


def request_app_sync(by: Actor, app: App) -> None:
    """Ask a worker to sync a known app again, once this commits."""
    with transaction.atomic():
        sync.request_sync(app.url)
        audit.record(by, "app.sync", app.url)


def sync_app_now(by: Actor, url: str) -> str:
    """Sync an app here and now (`manage.py apps sync`): the error text, "" on success. The
    call to the app happens outside any transaction; the audit row records its outcome."""
    App.objects.get_or_create(url=url)
    error = sync.sync_app(url)
    audit.record(by, "app.sync", url, error=error)
    return error


def remove_app(by: Actor, app: App) -> None:
    """Forget an app, its functions and their runs. AppBusy (nothing removed) while any of its
    runs is still going. An app given with -u / DEVSERVER_SDK_URLS comes back at the next poll."""
    with transaction.atomic():
        registration.remove_app(app)
        audit.record(by, "app.remove", app.url)


def clear_history(by: Actor, expired: bool = False) -> dict[str, int]:
    """Delete ended runs and the events nothing unfinished needs (all, or only those past the
    retention period). The purge works in short transactions of its own, so that workers are
    never blocked for long: its audit row, with the counts, follows it."""
    counts = retention.purge_expired() if expired else retention.clear_history()
    audit.record(by, "history.clear", "", expired=expired, **counts)
    return counts

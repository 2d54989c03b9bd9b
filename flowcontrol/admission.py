"""Admission: may this event start a run of this function now, later, or not at all?

Called by the engine inside the ingest transaction, once per (function, matching event), with
the function's typed options (`function.flow`). Every decision that skips, holds or delays
records a Decision saying why. Flow control starts nothing itself: the verdict says what the
engine does (start, when, cancel which runs, wake a flush when)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from events.expressions import matches
from events.models import Event
from foundation import clock

from . import gcra
from .keys import key_for
from .models import Decision, DecisionKind, IdempotencyKey, Limiter, Pending
from .spec import Batch, Debounce, Gated, RateLimit, Singleton, Throttle

IDEMPOTENCY_WINDOW = timedelta(hours=24)

# The engine's answer to "which runs of this function with this singleton key are active?"
ActiveRuns = Callable[[int, str], list[str]]


@dataclass
class Admission:
    start: bool = True
    start_at: datetime | None = None  # throttled: the run is queued until then
    singleton_key: str = ""
    cancel_run_ids: list[str] = field(default_factory=list)
    batch_event_ids: list[str] = field(default_factory=list)  # a batch filled up by this event
    decisions: list[Decision] = field(default_factory=list)  # to link to the run once started
    idempotency_key: IdempotencyKey | None = None
    # A debounce or batch now holds the event: the engine wakes its flush then (after commit).
    flush_at: datetime | None = None


@dataclass(frozen=True)
class _Arrival:
    function: Gated
    event: Event
    payload: dict[str, Any]
    now: datetime
    active_runs: ActiveRuns


def admit(function: Gated, event: Event, active_runs: ActiveRuns) -> Admission:
    flow = function.flow
    arrival = _Arrival(function, event, event.payload(), clock.now(), active_runs)
    admission = Admission()
    gates: list[tuple[Any, Callable[[_Arrival, Any, Admission], None]]] = [
        (flow.rate_limit, _rate_limit),
        (flow.idempotency, _idempotency),
        (flow.debounce, _debounce),
        (flow.batch, _batch),
        (flow.singleton, _singleton),
        (flow.throttle, _throttle),
    ]
    for option, gate in gates:
        if option is not None:
            gate(arrival, option, admission)
            if not admission.start:
                break
    return admission


def link_decisions(admission: Admission, run_id: str) -> None:
    ids = [d.pk for d in admission.decisions]
    if ids:
        Decision.objects.filter(pk__in=ids).update(run_id=run_id)
    if admission.idempotency_key is not None:
        IdempotencyKey.objects.filter(pk=admission.idempotency_key.pk).update(run_id=run_id)


def link_held_events(function_id: int, event_ids: list[str], run_id: str) -> None:
    """A debounce or batch flushed into run `run_id`: say so on the events' decisions."""
    Decision.objects.filter(
        function_id=function_id,
        event_id__in=event_ids,
        run__isnull=True,
        kind__in=[DecisionKind.DEBOUNCED, DecisionKind.BATCHED],
    ).update(run_id=run_id)


def record_paused(function: Gated, event: Event) -> Decision:
    """A paused function skips the event (runs/pausing.py); recorded so the event says why."""
    return _record(function, event, DecisionKind.PAUSED, "", "the function is paused")


def _record(function: Gated, event: Event, kind: str, key: str, detail: str) -> Decision:
    return Decision.objects.create(
        function_id=function.id,
        event=event,
        kind=kind,
        key=key[:512],
        detail=detail[:1024],
        created_at=clock.now(),
    )


def _rate_limit(arrival: _Arrival, option: RateLimit, admission: Admission) -> None:
    key = key_for(option.key, arrival.payload)
    limiter = _limiter(arrival.function.slug, "rateLimit", key, arrival.now)
    starts = [datetime.fromisoformat(t) for t in limiter.window]
    allowed, window = gcra.sliding_window(starts, arrival.now, option.limit, option.period)
    if not allowed:
        admission.start = False
        _record(
            arrival.function,
            arrival.event,
            DecisionKind.RATE_LIMITED,
            key,
            f"rate limit of {option.limit} per {option.period_text} reached; the event is skipped",
        )
        return
    Limiter.objects.filter(pk=limiter.pk).update(window=[t.isoformat() for t in window])


def _idempotency(arrival: _Arrival, expression: str, admission: Admission) -> None:
    function, now = arrival.function, arrival.now
    key = key_for(expression, arrival.payload)
    existing = (
        IdempotencyKey.objects.select_for_update().filter(function_id=function.id, key=key).first()
    )
    if existing is not None and now - existing.created_at < IDEMPOTENCY_WINDOW:
        admission.start = False
        detail = f"idempotency key {key!r} already started run {existing.run_id} in the last 24 h"
        _record(function, arrival.event, DecisionKind.IDEMPOTENCY_HIT, key, detail)
        return
    if existing is not None:
        existing.delete()
    admission.idempotency_key = IdempotencyKey.objects.create(
        function_id=function.id, key=key, created_at=now
    )


def _debounce(arrival: _Arrival, option: Debounce, admission: Admission) -> None:
    key = key_for(option.key, arrival.payload)
    pending = _pending(arrival.function, "debounce", key, arrival.now)
    due = arrival.now + option.period
    if option.timeout is not None:
        due = min(due, pending.first_at + option.timeout)
    # Every held event is kept so each can say which run it was folded into; the run gets
    # the last one.
    pending.event_ids, pending.due_at = [*pending.event_ids, arrival.event.id], due
    pending.save(update_fields=["event_ids", "due_at"])
    admission.start = False
    _record(
        arrival.function,
        arrival.event,
        DecisionKind.DEBOUNCED,
        key,
        f"debounced: a run starts with the last event at {due.isoformat()} unless another "
        "event arrives first",
    )
    admission.flush_at = due


def _batch(arrival: _Arrival, option: Batch, admission: Admission) -> None:
    if not matches(option.condition, {"event": arrival.payload}):
        return
    key = key_for(option.key, arrival.payload)
    pending = _pending(arrival.function, "batch", key, arrival.now, timeout=option.timeout)
    pending.event_ids = [*pending.event_ids, arrival.event.id]
    _record(
        arrival.function,
        arrival.event,
        DecisionKind.BATCHED,
        key,
        f"batched ({len(pending.event_ids)} of {option.max_size}); the batch runs when full or "
        f"at {pending.due_at.isoformat()}",
    )
    admission.start = False
    if len(pending.event_ids) >= option.max_size:
        admission.start, admission.batch_event_ids = True, pending.event_ids
        pending.delete()
        return
    pending.save(update_fields=["event_ids"])
    admission.flush_at = pending.due_at


def _singleton(arrival: _Arrival, option: Singleton, admission: Admission) -> None:
    key = key_for(option.key, arrival.payload)
    admission.singleton_key = key or "-"
    active = arrival.active_runs(arrival.function.id, admission.singleton_key)
    if not active:
        return
    if option.mode == "cancel":
        admission.cancel_run_ids = active
        admission.decisions.append(
            _record(
                arrival.function,
                arrival.event,
                DecisionKind.SINGLETON_CANCELLED,
                key,
                f"singleton: cancelled {', '.join(active)} to start a new run",
            )
        )
        return
    admission.start = False
    _record(
        arrival.function,
        arrival.event,
        DecisionKind.SINGLETON_SKIPPED,
        key,
        f"singleton: run {active[0]} is still active; the event is skipped",
    )


def _throttle(arrival: _Arrival, option: Throttle, admission: Admission) -> None:
    key = key_for(option.key, arrival.payload)
    limiter = _limiter(arrival.function.slug, "throttle", key, arrival.now)
    decision = gcra.decide(limiter.tat, arrival.now, option.limit, option.period, option.burst)
    Limiter.objects.filter(pk=limiter.pk).update(tat=decision.new_tat)
    if decision.allowed_at > arrival.now:
        admission.start_at = decision.allowed_at
        admission.decisions.append(
            _record(
                arrival.function,
                arrival.event,
                DecisionKind.THROTTLED,
                key,
                f"throttled: queued until {decision.allowed_at.isoformat()}",
            )
        )


def _limiter(scope: str, kind: str, key: str, now: datetime) -> Limiter:
    limiter, _ = Limiter.objects.select_for_update().get_or_create(
        scope=scope, kind=kind, key=key, defaults={"tat": now}
    )
    return limiter


def _pending(
    function: Gated, kind: str, key: str, now: datetime, timeout: timedelta | None = None
) -> Pending:
    pending, _ = Pending.objects.select_for_update().get_or_create(
        function_id=function.id,
        kind=kind,
        key=key,
        defaults={"first_at": now, "due_at": now + (timeout or timedelta(0))},
    )
    return pending


def cancel_held(function: Gated, expression: str | None, cancelling: Event) -> int:
    """`cancelOn` for events still held by a debounce or batch: if the cancel event matches
    the held event (the last one for a debounce), the hold is dropped and recorded."""
    incoming = cancelling.payload()
    dropped = 0
    for pending in Pending.objects.select_for_update().filter(function_id=function.id):
        held = Event.objects.filter(pk__in=pending.event_ids).order_by("-id").first()
        if held is None or not matches(expression, {"event": held.payload(), "async": incoming}):
            continue
        for event in Event.objects.filter(pk__in=pending.event_ids):
            _record(
                function,
                event,
                DecisionKind.CANCELLED,
                pending.key,
                f"{pending.kind} cancelled by event {cancelling.name} ({cancelling.id})",
            )
        pending.delete()
        dropped += 1
    return dropped


def take_due(now: datetime) -> list[tuple[int, list[str]]]:
    """Debounces and batches whose time has come, removed and returned as (function id, event
    ids) for the engine to start. Call inside a transaction."""
    ready = []
    for pending in Pending.objects.select_for_update().filter(due_at__lte=now):
        ready.append((pending.function_id, list(pending.event_ids)))
        pending.delete()
    return ready

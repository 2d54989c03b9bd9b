"""Admission: may this event start a run of this function now, later, or not at all?

Called by runs inside the ingest transaction, once per (function, matching event). Every
decision that skips, holds or delays records a Decision saying why."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from events.expressions import matches
from events.models import Event
from foundation import clock
from foundation.durations import parse_duration
from runs.models import Function, Run

from . import gcra
from .keys import key_for
from .models import Decision, DecisionKind, IdempotencyKey, Limiter, Pending

IDEMPOTENCY_WINDOW = timedelta(hours=24)
_ACTIVE = ["Queued", "Running", "Sleeping", "Waiting"]


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


def admit(function: Function, event: Event) -> Admission:
    config, payload, now = function.config, event.payload(), clock.now()
    admission = Admission()
    for gate in (_rate_limit, _idempotency, _debounce, _batch, _singleton, _throttle):
        gate(function, config, event, payload, now, admission)
        if not admission.start:
            break
    return admission


def link_decisions(admission: Admission, run: Run) -> None:
    ids = [d.pk for d in admission.decisions]
    if ids:
        Decision.objects.filter(pk__in=ids).update(run=run)
    if admission.idempotency_key is not None:
        IdempotencyKey.objects.filter(pk=admission.idempotency_key.pk).update(run=run)


def link_held_events(function: Function, event_ids: list[str], run: Run) -> None:
    """A debounce or batch flushed into `run`: say so on the events' decisions."""
    Decision.objects.filter(
        function=function,
        event_id__in=event_ids,
        run__isnull=True,
        kind__in=[DecisionKind.DEBOUNCED, DecisionKind.BATCHED],
    ).update(run=run)


def _record(function: Function, event: Event, kind: str, key: str, detail: str) -> Decision:
    return Decision.objects.create(
        function=function,
        event=event,
        kind=kind,
        key=key[:512],
        detail=detail[:1024],
        created_at=clock.now(),
    )


def _rate_limit(function, config, event, payload, now, admission) -> None:
    spec = config.get("rateLimit")
    if not isinstance(spec, dict):
        return
    key, limit = key_for(spec.get("key"), payload), int(spec.get("limit") or 1)
    limiter = _limiter(function.slug, "rateLimit", key, now)
    starts = [datetime.fromisoformat(t) for t in limiter.window]
    allowed, window = gcra.sliding_window(starts, now, limit, parse_duration(spec["period"]))
    if not allowed:
        admission.start = False
        _record(
            function,
            event,
            DecisionKind.RATE_LIMITED,
            key,
            f"rate limit of {limit} per {spec['period']} reached; the event is skipped",
        )
        return
    Limiter.objects.filter(pk=limiter.pk).update(window=[t.isoformat() for t in window])


def _idempotency(function, config, event, payload, now, admission) -> None:
    expression = config.get("idempotency")
    if not isinstance(expression, str) or not expression:
        return
    key = key_for(expression, payload)
    existing = IdempotencyKey.objects.select_for_update().filter(function=function, key=key).first()
    if existing is not None and now - existing.created_at < IDEMPOTENCY_WINDOW:
        admission.start = False
        detail = f"idempotency key {key!r} already started run {existing.run_id} in the last 24 h"
        _record(function, event, DecisionKind.IDEMPOTENCY_HIT, key, detail)
        return
    if existing is not None:
        existing.delete()
    admission.idempotency_key = IdempotencyKey.objects.create(
        function=function, key=key, created_at=now
    )


def _debounce(function, config, event, payload, now, admission) -> None:
    spec = config.get("debounce")
    if not isinstance(spec, dict):
        return
    key = key_for(spec.get("key"), payload)
    period = parse_duration(spec["period"])
    cap = parse_duration(spec["timeout"]) if spec.get("timeout") else None
    pending = _pending(function, "debounce", key, now)
    due = now + period
    if cap is not None:
        due = min(due, pending.first_at + cap)
    # Every held event is kept so each can say which run it was folded into; the run gets
    # the last one.
    pending.event_ids, pending.due_at = [*pending.event_ids, event.id], due
    pending.save(update_fields=["event_ids", "due_at"])
    admission.start = False
    _record(
        function,
        event,
        DecisionKind.DEBOUNCED,
        key,
        f"debounced: a run starts with the last event at {due.isoformat()} unless another "
        "event arrives first",
    )
    admission.flush_at = due


def _batch(function, config, event, payload, now, admission) -> None:
    spec = config.get("batchEvents")
    if not isinstance(spec, dict) or not matches(spec.get("if"), {"event": payload}):
        return
    key, size = key_for(spec.get("key"), payload), int(spec.get("maxSize") or 1)
    pending = _pending(function, "batch", key, now, timeout=parse_duration(spec["timeout"]))
    pending.event_ids = [*pending.event_ids, event.id]
    _record(
        function,
        event,
        DecisionKind.BATCHED,
        key,
        f"batched ({len(pending.event_ids)} of {size}); the batch runs when full or at "
        f"{pending.due_at.isoformat()}",
    )
    admission.start = False
    if len(pending.event_ids) >= size:
        admission.start, admission.batch_event_ids = True, pending.event_ids
        pending.delete()
        return
    pending.save(update_fields=["event_ids"])
    admission.flush_at = pending.due_at


def _singleton(function, config, event, payload, now, admission) -> None:
    spec = config.get("singleton")
    if not isinstance(spec, dict):
        return
    key = key_for(spec.get("key"), payload)
    admission.singleton_key = key or "-"
    active = list(
        Run.objects.filter(
            function=function, singleton_key=admission.singleton_key, status__in=_ACTIVE
        ).values_list("id", flat=True)
    )
    if not active:
        return
    if spec.get("mode") == "cancel":
        admission.cancel_run_ids = active
        admission.decisions.append(
            _record(
                function,
                event,
                DecisionKind.SINGLETON_CANCELLED,
                key,
                f"singleton: cancelled {', '.join(active)} to start a new run",
            )
        )
        return
    admission.start = False
    _record(
        function,
        event,
        DecisionKind.SINGLETON_SKIPPED,
        key,
        f"singleton: run {active[0]} is still active; the event is skipped",
    )


def _throttle(function, config, event, payload, now, admission) -> None:
    spec = config.get("throttle")
    if not isinstance(spec, dict):
        return
    key, limit = key_for(spec.get("key"), payload), int(spec.get("limit") or 1)
    limiter = _limiter(function.slug, "throttle", key, now)
    decision = gcra.decide(
        limiter.tat, now, limit, parse_duration(spec["period"]), int(spec.get("burst") or 1)
    )
    Limiter.objects.filter(pk=limiter.pk).update(tat=decision.new_tat)
    if decision.allowed_at > now:
        admission.start_at = decision.allowed_at
        admission.decisions.append(
            _record(
                function,
                event,
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
    function: Function, kind: str, key: str, now: datetime, timeout: timedelta | None = None
) -> Pending:
    pending, _ = Pending.objects.select_for_update().get_or_create(
        function=function,
        kind=kind,
        key=key,
        defaults={"first_at": now, "due_at": now + (timeout or timedelta(0))},
    )
    return pending


def cancel_held(function: Function, expression: str | None, cancelling: Event) -> int:
    """`cancelOn` for events still held by a debounce or batch: if the cancel event matches
    the held event (the last one for a debounce), the hold is dropped and recorded."""
    incoming = cancelling.payload()
    dropped = 0
    for pending in Pending.objects.select_for_update().filter(function=function):
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


def take_due(now: datetime) -> list[tuple[Function, list[str]]]:
    """Debounces and batches whose time has come, removed and returned as (function, event
    ids) for runs to start. Call inside a transaction."""
    ready = []
    for pending in (
        Pending.objects.select_for_update(of=("self",))
        .filter(due_at__lte=now)
        .select_related("function")
    ):
        ready.append((pending.function, list(pending.event_ids)))
        pending.delete()
    return ready

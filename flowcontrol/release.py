"""Time travel for debounce and batch holds: a hold's release time moves to now, so the
engine's own flush (runs/triggers.py `start_held_runs`) starts its run as it would have at
that time: a debounce with its last event, a batch with the events it has so far."""

from datetime import datetime

from .models import Decision, DecisionKind, Pending

HOLD_KINDS = ("debounce", "batch")  # Pending.kind


def hold_due_now(function_id: int, kind: str, key: str, now: datetime) -> list[str] | None:
    """Make the function's `kind` hold of `key` due at `now`, under its row lock (call inside
    a transaction): its event ids. None when there is no such hold (it was released, by its
    time or by another caller, or a cancelOn dropped it)."""
    pending = (
        Pending.objects.select_for_update()
        .filter(function_id=function_id, kind=kind, key=key)
        .first()
    )
    if pending is None:
        return None
    Pending.objects.filter(pk=pending.pk).update(due_at=now)
    return list(pending.event_ids)


def run_started_for(function_id: int, event_ids: list[str]) -> str | None:
    """The run a flushed hold of these events started (its events' decisions point at it)."""
    linked = Decision.objects.filter(
        function_id=function_id,
        event_id__in=event_ids,
        kind__in=[DecisionKind.DEBOUNCED, DecisionKind.BATCHED],
        run__isnull=False,
    )
    return linked.values_list("run_id", flat=True).first()

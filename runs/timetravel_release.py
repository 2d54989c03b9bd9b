"""Time travel: release now what flow control holds back. A debounce or batch hold flushes
now (its release time moves to now and the engine's own flush starts the run, as at that
time); a run queued behind a throttle is admitted now, outside the throttle's window (its
start item becomes an ordinary start due now; the limiter keeps its state, so the runs
queued after it keep their times). No status changes: the run is Queued either way."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from flowcontrol.release import HOLD_KINDS, hold_due_now, run_started_for
from foundation import clock

from . import queue
from .models import Function, QueueItem
from .statuses import QueueReason
from .timetravel import NothingToMove, check_on
from .triggers import start_held_runs


class BadHoldKind(ValueError):
    """Only debounce and batch holds are released by kind and key."""


@dataclass
class HoldReleased:
    run_id: str  # the run the hold started
    event_ids: list[str]  # the events it held (a debounce's run gets the last one)


def release_hold(function: Function, kind: str, key: str) -> HoldReleased:
    """Flush the function's `kind` hold of `key` now. TimeTravelOff; BadHoldKind; NothingToMove
    when there is no such hold (released meanwhile) or the function is archived."""
    check_on()
    if kind not in HOLD_KINDS:
        raise BadHoldKind(f"kind must be one of {', '.join(HOLD_KINDS)}, got {kind!r}")
    if function.archived:
        raise NothingToMove(f"{function.slug} is archived: its holds start nothing")
    with transaction.atomic():
        event_ids = hold_due_now(function.id, kind, key, clock.now())
        if event_ids is None:
            raise NothingToMove(f"{function.slug} holds no {kind} of key {key!r}")
        start_held_runs()  # the flush the hold's own time would have sent
        run_id = run_started_for(function.id, event_ids)
        if run_id is None:  # its events were deleted (retention): the flush dropped the hold
            raise NothingToMove(f"the {kind} of key {key!r} held no event left to start")
    return HoldReleased(run_id=run_id, event_ids=event_ids)


def release_throttled_run(run_id: str) -> datetime:
    """Admit a run queued behind a throttle now: when it was due to start. NothingToMove when
    it is not (or no longer) held by a throttle."""
    check_on()
    now = clock.now()
    with transaction.atomic():
        held = (
            QueueItem.objects.select_for_update()
            .filter(run_id=run_id, reason=QueueReason.THROTTLED, due_at__gt=now, lease_owner="")
            .first()
        )
        # Guarded like a status change: the row count says whether we, not the throttle's own
        # time coming (a worker claiming the item), moved it.
        moved = (
            held is not None
            and QueueItem.objects.filter(
                pk=held.pk, reason=QueueReason.THROTTLED, lease_owner=""
            ).update(due_at=now, dispatched_at=now, reason=QueueReason.START)
            == 1
        )
        if not moved or held is None:
            raise NothingToMove(f"run {run_id} is not queued behind a throttle")
        queue.dispatch_on_commit(held.pk, now)
    return held.due_at

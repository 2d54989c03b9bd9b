"""Queue items: enqueue, claim under a lease, release, and send their wake-ups (by name)."""

import itertools
import os
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cache, partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from flowcontrol.concurrency import lock_key
from foundation import clock, fast_get, fast_sql
from foundation.fast_sql import column, db_value, table

from . import wakeups
from .models import Function, QueueItem, Run
from .statuses import PARALLEL_REASONS, QueueReason
from .wakeups import Task

# Wake-ups further out than this are not sent to Celery; the reconciler picks them up.
DISPATCH_HORIZON = timedelta(minutes=5)
# A dispatched item nobody claimed within this long is dispatched again (lost message).
REDISPATCH_AFTER = timedelta(seconds=10)

WORKER_ID = f"{socket.gethostname()[:32]}:{os.getpid()}:{clock.new_id()[-8:]}"
# Each claim holds the item under its own owner token (WORKER_ID#n), not the process's id:
# when a lease lapses under a live executor (a stalled process, a clock jump) and a thread
# of the same process claims the item again, the stale executor must lose it too.
_claims = itertools.count(1)


class LeaseLost(Exception):
    """Our item was cancelled or taken over by another worker: stop without writing."""


def enqueue(
    run: Run,
    due_at: datetime | None = None,
    target_step: str = "",
    reason: QueueReason = QueueReason.START,
) -> QueueItem:
    """Create an item in the current transaction; dispatch it once the transaction commits."""
    now = clock.now()
    keys = [c["key"] for c in run.concurrency] + ["", ""]
    item = QueueItem(
        id=clock.new_id(),
        run=run,
        target_step=target_step,
        reason=reason,
        due_at=due_at or now,
        created_at=now,
        dispatched_at=now,
        ckey1=keys[0],
        ckey2=keys[1],
    )
    fast_sql.insert(item)
    dispatch_on_commit(item.id, item.due_at)
    return item


def dispatch_on_commit(item_id: str, due_at: datetime) -> None:
    if due_at - clock.now() > DISPATCH_HORIZON:
        return
    transaction.on_commit(lambda: dispatch(item_id, due_at))


def dispatch(item_id: str, due_at: datetime) -> None:
    wakeups.send(Task.EXECUTE_ITEM, item_id, at=due_at)


def claim(item_id: str) -> QueueItem | None:
    """Take the item if it is due, nobody holds a live lease on it and its function is not
    paused (a paused function's runs hold their next step; runs/pausing.py wakes them)."""
    now = clock.now()
    stamp = partial(db_value, QueueItem, "due_at")
    with connection.cursor() as cursor:
        until = stamp(now + lease_duration())
        owner = f"{WORKER_ID}#{next(_claims):x}"
        cursor.execute(_claim_sql(), [owner, until, item_id, stamp(now), stamp(now)])
        claimed = cursor.rowcount
    if not claimed:
        return None
    item = fast_get.get(QueueItem, item_id)
    if item.ckey1 and not _has_slot(item, now):
        return None
    return item


@cache
def _claim_sql() -> str:
    """Built once (quoting ~20 names cost more than running the statement)."""
    lease_until, due = column(QueueItem, "lease_until"), column(QueueItem, "due_at")
    # In the same statement, so a claim costs no extra round trip for the pause check.
    paused = (
        f"SELECT 1 FROM {table(Run)} JOIN {table(Function)}"
        f" ON {table(Function)}.{column(Function, 'id')} = {table(Run)}.{column(Run, 'function')}"
        f" WHERE {table(Run)}.{column(Run, 'id')} = {table(QueueItem)}.{column(QueueItem, 'run')}"
        f" AND {table(Function)}.{column(Function, 'paused_at')} IS NOT NULL"
    )
    return (
        f"UPDATE {table(QueueItem)} SET {column(QueueItem, 'lease_owner')} = %s, {lease_until} = %s"
        f" WHERE {column(QueueItem, 'id')} = %s AND {due} <= %s"
        f" AND ({lease_until} IS NULL OR {lease_until} < %s) AND NOT EXISTS ({paused})"
    )


def redispatch_if_early(item_id: str) -> None:
    """A wake-up that came before its item's time (a clock set differently in another process,
    a clock jump) is sent again for that time, rather than left to the reconciler."""
    due_at = (
        QueueItem.objects.filter(pk=item_id, lease_until__isnull=True)
        .values_list("due_at", flat=True)
        .first()
    )
    if due_at is not None and clock.now() < due_at <= clock.now() + DISPATCH_HORIZON:
        dispatch(item_id, due_at)


def _has_slot(item: QueueItem, now: datetime) -> bool:
    """Concurrency: keep the lease only if a slot is free; otherwise wait for one."""
    with transaction.atomic():
        run = Run.objects.only("concurrency").get(pk=item.run_id)
        key = _blocking_key(item, run, now)
        if key is None:
            if item.waiting_on:
                QueueItem.objects.filter(pk=item.pk).update(waiting_on="")
            return True
        # Keep due_at (it orders the waiters, priority included); a freed slot wakes us.
        QueueItem.objects.filter(pk=item.pk).update(
            lease_owner="", lease_until=None, waiting_on=key, dispatched_at=now
        )
    return False


def _blocking_key(item: QueueItem, run: Run, now: datetime) -> str | None:
    """The first key whose slots are all taken by other in-flight items, else None. Call
    inside the claiming transaction: it locks each key's row until commit."""
    for constraint in run.concurrency:
        key = constraint["key"]
        lock_key(key)
        in_flight = (
            QueueItem.objects.filter(Q(ckey1=key) | Q(ckey2=key), lease_until__gt=now)
            .exclude(pk=item.pk)
            .count()
        )
        if in_flight >= constraint["limit"]:
            return key
    return None


def next_waiter(key: str) -> QueueItem | None:
    """The waiting item that goes first when a slot of `key` frees: earliest due (priority
    shifts due times), then oldest."""
    return (
        QueueItem.objects.filter(Q(ckey1=key) | Q(ckey2=key), lease_owner="")
        .exclude(waiting_on="")
        .order_by("due_at", "id")
        .first()
    )


def wake_waiters(keys: list[str]) -> None:
    """A slot of each key is free (after commit): dispatch the next waiter."""
    for key in keys:
        waiter = next_waiter(key) if key else None
        if waiter is not None:
            dispatch_on_commit(waiter.id, clock.now())


def _owner(item: QueueItem) -> str:
    """The token our claim holds `item` under; an item we never claimed is not ours."""
    if not item.lease_owner:
        raise LeaseLost(item.id)
    return item.lease_owner


def confirm_lease(item: QueueItem, **changes: object) -> None:
    """Renew our lease (and save `changes`) or raise LeaseLost. Call inside the transaction
    that records a step, so a step is only stored by the worker that still holds the item."""
    updated = fast_sql.update(
        QueueItem,
        {"id": item.id, "lease_owner": _owner(item)},
        lease_until=clock.now() + lease_duration(),
        **changes,
    )
    if not updated:
        raise LeaseLost(item.id)
    for name, value in changes.items():
        setattr(item, name, value)


def renew_held_lease(item: QueueItem) -> bool:
    """A checkpoint (the SDK reporting steps during our call) proves the attempt is alive:
    renew the lease of whoever holds `item` and reset its attempt count. False when nobody
    holds it any more (cancelled or lapsed), so the checkpoint is refused."""
    if not item.lease_owner:
        return False
    return bool(
        fast_sql.update(
            QueueItem,
            {"id": item.id, "lease_owner": item.lease_owner},
            attempt=0,
            lease_until=clock.now() + lease_duration(),
        )
    )


def release(item: QueueItem, due_at: datetime, **changes: object) -> None:
    """Give the item back, due at `due_at`, inside the caller's transaction."""
    now = clock.now()
    updated = QueueItem.objects.filter(pk=item.id, lease_owner=_owner(item)).update(
        due_at=due_at, lease_owner="", lease_until=None, dispatched_at=now, **changes
    )
    if not updated:
        raise LeaseLost(item.id)
    dispatch_on_commit(item.id, due_at)
    wake_waiters([item.ckey1, item.ckey2])


def finish(item: QueueItem) -> None:
    """The item's work is done (run ended or handed to other items)."""
    if not fast_sql.delete(QueueItem, {"id": item.id, "lease_owner": _owner(item)}):
        raise LeaseLost(item.id)
    wake_waiters([item.ckey1, item.ckey2])


def wake_run(run_id: str) -> None:
    """Make the run's idle queue items due now and dispatch them after commit."""
    now = clock.now()
    items = list(
        QueueItem.objects.filter(run_id=run_id, lease_owner="").values_list("id", flat=True)
    )
    QueueItem.objects.filter(pk__in=items).update(due_at=now, dispatched_at=now)
    for item_id in items:
        dispatch_on_commit(item_id, now)


def lock_run(run_id: str) -> None:
    """Hold the run's row until the transaction ends: parallel siblings of one run that store
    a step, plan steps or join take turns (a step's stack position, no step planned twice)."""
    list(Run.objects.select_for_update().filter(pk=run_id).values_list("id"))


def other_planned_items(item: QueueItem) -> bool:
    """Whether parallel siblings of `item` (waiting or racing) are still pending. Locks the run
    row first so two siblings finishing together cannot both see the other and both stop."""
    lock_run(item.run_id)
    return (
        QueueItem.objects.filter(run_id=item.run_id, reason__in=PARALLEL_REASONS)
        .exclude(pk=item.id)
        .exists()
    )


def steps_in_flight(item: QueueItem) -> set[str]:
    """Hashed ids of the steps other items of `item`'s run are about to run or running: a
    race-mode discovery reports a sibling still in flight as planned again (the JS SDK reports
    every step it found without state), and it must not run twice. Call with the run locked."""
    others = QueueItem.objects.filter(run_id=item.run_id).exclude(pk=item.id)
    others = others.exclude(target_step="")
    return set(others.values_list("target_step", flat=True))


# Items this process is driving right now, counted (a duplicate wake-up enters and leaves too).
# Only their leases are renewed: an item whose executor died while its process lives on, and
# whose release failed as well (the database was down), must lapse, not be held for ever.
_driving: Counter[str] = Counter()
_driving_lock = threading.Lock()


@contextmanager
def driving(item_id: str) -> Iterator[None]:
    """Mark `item_id` as being executed by this process for the lease heartbeat."""
    with _driving_lock:
        _driving[item_id] += 1
    try:
        yield
    finally:
        with _driving_lock:
            _driving[item_id] -= 1
            if not _driving[item_id]:
                del _driving[item_id]


def renew_leases() -> int:
    """Heartbeat: extend the leases of the items this process is driving (long SDK calls
    keep their items)."""
    with _driving_lock:
        item_ids = list(_driving)
    if not item_ids:
        return 0
    mine = QueueItem.objects.filter(lease_owner__startswith=f"{WORKER_ID}#", pk__in=item_ids)
    return mine.update(lease_until=clock.now() + lease_duration())


def recover_sole_process() -> int:
    """Embedded mode only (one process owns the queue): whatever an earlier process held or
    had in its in-memory broker is gone, so free it all for the reconciler at once."""
    return QueueItem.objects.exclude(lease_owner="", dispatched_at__isnull=True).update(
        lease_owner="", lease_until=None, dispatched_at=None
    )


def reconcile() -> int:
    """Free lapsed leases, then dispatch every due item that no recent message covers."""
    now = clock.now()
    QueueItem.objects.filter(lease_until__lt=now).update(
        lease_owner="", lease_until=None, dispatched_at=None
    )
    due = (
        QueueItem.objects.filter(due_at__lte=now + timedelta(seconds=1), lease_until__isnull=True)
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER))
        .values_list("id", "due_at")[:1000]
    )
    items = list(due)
    if items:
        QueueItem.objects.filter(pk__in=[i for i, _ in items]).update(dispatched_at=now)
        for item_id, due_at in items:
            dispatch(item_id, due_at)
    return len(items)


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.LEASE_SECONDS)

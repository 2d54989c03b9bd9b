"""Pausing a function, as Inngest does (inngest.com docs, "Function Pausing"): while paused,
events start nothing (each is recorded as a `paused` decision, shown as skipped), cron ticks
start nothing, and runs in flight finish the step they are in and then hold: queue.claim
takes no item of a paused function. Resuming lets the held runs go on with their next step and
replays nothing that was skipped. (Inngest cancels runs still held after 7 days; we keep
them until the function is resumed or they are cancelled.)"""

from django.db.models import Q

from foundation import clock

from .models import Function, QueueItem
from .queue import dispatch_on_commit
from .statuses import ACTIVE_RUN_STATUSES


class PauseUnchanged(Exception):
    """Pausing a paused function, or resuming one that is not paused: nothing changed."""


def pause(function: Function) -> None:
    """Pause `function`; PauseUnchanged when it was paused already (a lost race included)."""
    now = clock.now()
    # updated_at moves too: triggers.active_functions re-reads functions when it changes.
    moved = Function.objects.filter(pk=function.pk, paused_at__isnull=True).update(
        paused_at=now, updated_at=now
    )
    if not moved:
        raise PauseUnchanged(f"{function.slug} is paused already")
    function.paused_at = now


def resume(function: Function) -> int:
    """Resume `function` and wake its held runs' due items (after commit); how many were woken.
    PauseUnchanged when it was not paused."""
    now = clock.now()
    moved = Function.objects.filter(pk=function.pk, paused_at__isnull=False).update(
        paused_at=None, updated_at=now
    )
    if not moved:
        raise PauseUnchanged(f"{function.slug} is not paused")
    function.paused_at = None
    held = QueueItem.objects.filter(
        Q(lease_until__isnull=True),
        run__function=function,
        run__status__in=ACTIVE_RUN_STATUSES,
        due_at__lte=now,
    ).values_list("id", flat=True)
    woken = 0
    for item_id in held:
        dispatch_on_commit(item_id, now)
        woken += 1
    return woken

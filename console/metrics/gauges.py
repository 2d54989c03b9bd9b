"""What is true now, read at scrape time: queue depth, backlog and age, active runs by status,
and concurrency slots in use. Each is one indexed query over live rows (the queue and the
active runs), not over history."""

from django.db.models import Count, Min, Q

from foundation import clock
from runs.models import QueueItem, Run
from runs.statuses import ACTIVE_RUN_STATUSES


def queue_depth() -> int:
    """Inngest's inngest_queue_depth: every item, due or not, leased or not."""
    return QueueItem.objects.count()


def backlog() -> tuple[int, float]:
    """Items due and not held by a live lease (waiting for a worker or a concurrency slot),
    and the age in seconds of the oldest one's due time (0 when none)."""
    now = clock.now()
    due = QueueItem.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), due_at__lte=now
    )
    stats = due.aggregate(count=Count("id"), oldest=Min("due_at"))
    oldest = stats["oldest"]
    return stats["count"], (now - oldest).total_seconds() if oldest else 0.0


def active_runs() -> list[tuple[int, str, int]]:
    """(function id, status, count) of runs not ended: queued, running, sleeping, waiting."""
    rows = (
        Run.objects.filter(status__in=sorted(ACTIVE_RUN_STATUSES))
        .values_list("function_id", "status")
        .annotate(n=Count("id"))
    )
    return [(fid, status, n) for fid, status, n in rows]


def slots_in_use() -> dict[str, int]:
    """Concurrency key -> steps in flight holding one of its slots (a live lease)."""
    now = clock.now()
    used: dict[str, int] = {}
    leased = QueueItem.objects.filter(lease_until__gt=now).exclude(ckey1="")
    for ckey1, ckey2 in leased.values_list("ckey1", "ckey2"):
        for key in (ckey1, ckey2):
            if key:
                used[key] = used.get(key, 0) + 1
    return used

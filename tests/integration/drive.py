"""Drive the engine in the test thread, with no Celery worker: events go in through the ingest
path, and due queue items are claimed and executed (runs.executor.execute_item) one after
another until nothing changes any more. Time moves only when the test says so."""

import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from events.ingest import parse_body, store_events
from foundation import clock
from runs.executor import execute_item
from runs.models import QueueItem, Run, Step

# A run that is still busy after this many executed items is a loop, not a test.
MAX_ITEMS = 200


def send_event(name: str, data: dict[str, Any] | None = None, **fields: Any) -> list[Run]:
    """Store one event as `POST /e/{key}` would (parse, then store_events) and return the runs
    it started, oldest first."""
    raw = json.dumps({"name": name, "data": data or {}, **fields}).encode()
    result = store_events(parse_body(raw))
    return list(Run.objects.filter(event_id__in=result.ids).order_by("queued_at", "id"))


def _fingerprint() -> tuple:
    """What a productive execution changes: queue items, steps, run statuses."""
    items = QueueItem.objects.order_by("id").values_list(
        "id", "due_at", "attempt", "target_step", "reason", "waiting_on"
    )
    steps = Step.objects.order_by("id").values_list("id", "status")
    runs = Run.objects.order_by("id").values_list("id", "status")
    return (tuple(items), tuple(steps), tuple(runs))


def run_until_quiet(max_items: int = MAX_ITEMS) -> int:
    """Execute every due queue item nobody holds a live lease on (oldest due first), as
    redelivered wake-ups would, until a pass over them changes nothing. Returns how many
    items were executed."""
    executed = 0
    while True:
        before = _fingerprint()
        now = clock.now()
        claimable = Q(lease_until__isnull=True) | Q(lease_until__lt=now)  # as queue.claim
        due = list(
            QueueItem.objects.filter(claimable, due_at__lte=now)
            .order_by("due_at", "id")
            .values_list("id", flat=True)
        )
        for item_id in due:
            execute_item(item_id)
            executed += 1
        if not due or _fingerprint() == before:
            return executed
        if executed > max_items:
            raise AssertionError(f"runs still busy after {executed} queue items")


@dataclass
class TimeTravel:
    """Moves `foundation.clock.now()` forward (the seam every module reads time through), the
    way a clock offset moves it in the fault tests; the wall clock keeps running under it."""

    seconds: float = 0.0

    def advance(self, seconds: float) -> None:
        self.seconds += seconds

    def offset(self) -> float:
        return self.seconds

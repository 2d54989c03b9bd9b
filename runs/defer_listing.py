"""A run's defers as the run page and `GET /api/runs/{id}` show them: what each asked for,
where it stands, and the run it started (found through its `inngest/deferred.schedule` event)."""

from dataclasses import dataclass

from .models import Run
from .statuses import DeferStatus

# What each stored status means to someone reading the run: AfterRun waits for the run's end.
STATE_LABELS = {
    DeferStatus.AFTER_RUN: "pending",
    DeferStatus.SCHEDULED: "scheduled",
    DeferStatus.ABORTED: "aborted",
    DeferStatus.REJECTED: "rejected",
}


@dataclass(frozen=True)
class DeferSummary:
    id: str  # the id the code gave the defer (its hashed id when it gave none)
    hashed_id: str
    function: str  # the deferred function's slug
    status: str  # pending, scheduled, aborted or rejected
    reason: str  # why rejected
    event_id: str  # the inngest/deferred.schedule event, once scheduled
    run_id: str  # the run that event started, once there is one
    run_status: str


def defers_of(run: Run) -> list[DeferSummary]:
    """At most the per-run limit of defers (runs/defer.py): one query for them, one for the
    runs they started."""
    defers = list(run.defers.order_by("created_at", "id"))
    event_ids = [d.event_id for d in defers if d.event_id]
    started = {
        r.event_id: r
        for r in Run.objects.filter(event_id__in=event_ids).only("id", "status", "event_id")
    }
    summaries = []
    for defer in defers:
        child = started.get(defer.event_id) if defer.event_id else None
        summaries.append(
            DeferSummary(
                id=defer.name or defer.hashed_id,
                hashed_id=defer.hashed_id,
                function=defer.fn_slug,
                status=STATE_LABELS.get(DeferStatus(defer.status), defer.status.lower()),
                reason=defer.reason,
                event_id=defer.event_id,
                run_id=child.id if child else "",
                run_status=child.status if child else "",
            )
        )
    return summaries

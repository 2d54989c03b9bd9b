"""Keeping the database to a useful size: purge ended runs and old events after the retention
period (hourly, on beat), or clear the whole history of a dev server on request."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction

from devserver import clock
from events.models import Event
from runs.models import BulkAction, Run, RunStatus

ENDED = [RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED]
BATCH = 1000


def purge_expired() -> dict[str, int]:
    """Delete runs that ended before the cutoff, and events received before it that no
    remaining run points to. Nothing happens when RETENTION_DAYS is 0."""
    if not settings.RETENTION_DAYS:
        return {"runs": 0, "events": 0}
    cutoff = clock.now() - timedelta(days=settings.RETENTION_DAYS)
    runs = _delete_in_batches(Run.objects.filter(status__in=ENDED, ended_at__lt=cutoff))
    old_events = Event.objects.filter(received_at__lt=cutoff).exclude(pk__in=_events_in_use())
    events = _delete_in_batches(old_events)
    BulkAction.objects.filter(finished_at__lt=cutoff).delete()
    return {"runs": runs, "events": events}


def clear_history() -> dict[str, int]:
    """Every ended run and every event no unfinished run needs: a clean slate for a dev server.
    Apps, functions and runs still in progress stay."""
    runs = _delete_in_batches(Run.objects.filter(status__in=ENDED))
    events = _delete_in_batches(Event.objects.exclude(pk__in=_events_in_use()))
    BulkAction.objects.exclude(status__in=["Queued", "Running"]).delete()
    return {"runs": runs, "events": events}


def _events_in_use():
    return Run.objects.filter(event_id__isnull=False).values("event_id")


def _delete_in_batches(queryset) -> int:
    """Short transactions, so workers writing runs are never blocked for long."""
    deleted = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return deleted
        with transaction.atomic():
            queryset.model.objects.filter(pk__in=ids).delete()
        deleted += len(ids)

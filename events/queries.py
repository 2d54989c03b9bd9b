"""Read-side helpers shared by our API and the Inngest-compatible /v1 API."""

from django.db.models import QuerySet

from .models import Event


def events_page(name: str | None, cursor: str | None, limit: int, most: int) -> QuerySet[Event]:
    """Newest first; `cursor` is the last event id of the previous page (ULIDs sort by time)."""
    events = Event.objects.order_by("-id")
    if name:
        events = events.filter(name=name)
    if cursor:
        events = events.filter(id__lt=cursor)
    return events[: min(max(limit, 1), most)]

"""Our JSON API for events: browse them and send one (the dashboard's send form uses it)."""

from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from console import actions
from events.ingest import EventValidationError, InternalEventNotResent, parse_body
from events.models import Event
from events.queries import events_page

router = Router(tags=["events"])


class EventItem(Schema):
    id: str
    name: str
    data: dict[str, Any]
    user: dict[str, Any]
    ts: int
    external_id: str


class SentEvents(Schema):
    ids: list[str]


class Problem(Schema):
    error: str


@router.get("/events", response=list[EventItem])
def list_events(request, name: str | None = None, cursor: str | None = None, limit: int = 50):
    return list(events_page(name, cursor, limit, most=500))


@router.get("/events/{event_id}", response=EventItem)
def get_event(request, event_id: str):
    return get_object_or_404(Event, pk=event_id)


@router.post("/events", response={200: SentEvents, 400: Problem})
def send_events(request):
    """Send one event or a list, exactly as `POST /e/{key}` accepts them."""
    try:
        incoming = parse_body(request.body)
    except EventValidationError as exc:
        return Status(400, {"error": str(exc)})
    ids = actions.send_events(request, incoming).ids
    return Status(200, {"ids": ids})


@router.post("/events/{event_id}/resend", response={200: SentEvents, 409: Problem})
def resend_event(request, event_id: str):
    """Send an event again (a new id): the dashboard's "send again". 409 for an internal
    `inngest/*` event, which is never sent again."""
    try:
        again = actions.resend_event(request, get_object_or_404(Event, pk=event_id))
    except InternalEventNotResent as exc:
        return Status(409, {"error": str(exc)})
    return Status(200, {"ids": [again.id]})

"""Validate a batch of incoming events and store it atomically, deduplicating sender ids."""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from foundation import clock, fast_sql, strict_json
from foundation.nul import contains_nul, may_contain_nul

from .models import Event
from .selectors import is_internal
from .signals import events_stored

# Sender ids looked up per query: under SQLite's limit on bound parameters.
DEDUPE_LOOKUP_CHUNK = 500
# What an event row can hold (events.models.Event): longer values are refused, never cut.
MAX_NAME_LENGTH = 255
MAX_ID_LENGTH = 255
MAX_VERSION_LENGTH = 64
MAX_TS = 2**63 - 1  # a 64-bit column, in ms since the epoch


class EventValidationError(ValueError):
    """The request cannot be stored; the message names the offending field."""


@dataclass(frozen=True)
class IncomingEvent:
    name: str
    data: dict[str, Any]
    user: dict[str, Any]
    external_id: str
    ts: int | None
    version: str
    size_bytes: int

    @classmethod
    def internal(cls, name: str, data: dict[str, Any], external_id: str = "") -> "IncomingEvent":
        """An event the server itself emits (`inngest/function.failed`, cron ticks...)."""
        return cls(
            name=name,
            data=data,
            user={},
            external_id=external_id,
            ts=None,
            version="",
            size_bytes=len(json.dumps(data, default=str)),
        )

    def row(self, event_id: str, received: datetime) -> Event:
        """The event's row, unsaved; without a `ts` of its own it happened when received."""
        return Event(
            id=event_id,
            name=self.name,
            external_id=self.external_id,
            data=self.data,
            user=self.user,
            ts=self.ts or int(received.timestamp() * 1000),
            version=self.version,
            received_at=received,
            size_bytes=self.size_bytes,
        )


@dataclass
class IngestResult:
    ids: list[str] = field(default_factory=list)
    # Only the events newly stored by this request (duplicates excluded): these trigger runs.
    stored: list[Event] = field(default_factory=list)


def parse_body(raw: bytes) -> list[IncomingEvent]:
    """Parse the body of `POST /e/{key}`: one event object or a list of them."""
    try:
        body = strict_json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EventValidationError(f"body is not valid JSON: {exc}") from None
    if isinstance(body, dict):
        items, prefix = [body], ""
    elif isinstance(body, list):
        items, prefix = body, "events"
    else:
        raise EventValidationError(
            f"body must be an event object or a list of events, got {_kind(body)}"
        )
    if not items:
        raise EventValidationError("body is an empty list: send at least one event")
    if may_contain_nul(raw) and contains_nul(body):
        raise EventValidationError("events must not contain NUL characters (\\u0000)")
    return [_parse_event(item, f"{prefix}[{i}]" if prefix else "") for i, item in enumerate(items)]


def _parse_event(item: Any, where: str) -> IncomingEvent:
    def path(name: str) -> str:
        return f"{where}.{name}" if where else name

    if not isinstance(item, dict):
        raise EventValidationError(f"{where or 'event'} must be an object, got {_kind(item)}")
    name = item.get("name")
    if name is None:
        raise EventValidationError(f"{path('name')} is required")
    if not isinstance(name, str) or not name.strip():
        raise EventValidationError(f"{path('name')} must be a non-empty string, got {_kind(name)}")
    _within(path("name"), name, MAX_NAME_LENGTH)
    data = item.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise EventValidationError(f"{path('data')} must be an object, got {_kind(data)}")
    user = item.get("user") or {}
    if not isinstance(user, dict):
        raise EventValidationError(f"{path('user')} must be an object, got {_kind(user)}")
    external_id = item.get("id") or ""
    if not isinstance(external_id, str):
        raise EventValidationError(f"{path('id')} must be a string, got {_kind(external_id)}")
    _within(path("id"), external_id, MAX_ID_LENGTH)
    ts = item.get("ts")
    if ts is not None and (
        not isinstance(ts, int | float) or isinstance(ts, bool) or not 0 <= ts <= MAX_TS
    ):
        raise EventValidationError(f"{path('ts')} must be a time in ms since the epoch")
    version = item.get("v") or ""
    if not isinstance(version, str):
        raise EventValidationError(f"{path('v')} must be a string, got {_kind(version)}")
    _within(path("v"), version, MAX_VERSION_LENGTH)
    size = len(json.dumps(item, separators=(",", ":")).encode())
    if size > settings.EVENT_MAX_BYTES:
        raise EventValidationError(
            f"{where or 'event'} is {size} bytes, over the limit of {settings.EVENT_MAX_BYTES}"
        )
    return IncomingEvent(
        name=name,
        data=data,
        user=user,
        external_id=external_id,
        ts=int(ts) if ts else None,
        version=version,
        size_bytes=size,
    )


def _within(where: str, value: str, most: int) -> None:
    if len(value) > most:
        raise EventValidationError(
            f"{where} is {len(value)} characters long, over the limit of {most}"
        )


def store_events(incoming: list[IncomingEvent], ids: list[str] | None = None) -> IngestResult:
    """Store the events in one transaction. A sender id seen in the last 24 h (or earlier in
    the same request) is not stored again: its earlier event's id is returned instead. `ids`
    (from the SDK's seed, events/seeds.py): the events' ids; one stored already is a retried
    send, answered with its id and not stored again."""
    seeds: list[str | None] = [*ids] if ids else [None] * len(incoming)
    return store_seeded(incoming, seeds)


def store_seeded(incoming: list[IncomingEvent], ids: list[str | None]) -> IngestResult:
    """`store_events` with an id or None per event, so that several requests' events (each
    request seeded or not) are stored in one transaction (events/group_commit.py)."""
    result = IngestResult()
    received = clock.now()
    with transaction.atomic():
        seen = _recent_duplicates({item.external_id for item in incoming}, received)
        seeded = [i for i in ids if i is not None]
        retried = (
            set(Event.objects.filter(pk__in=seeded).values_list("id", flat=True)) if seeded else ()
        )
        for item, seeded_id in zip(incoming, ids, strict=True):
            duplicate = seen.get(item.external_id) if item.external_id else None
            if duplicate is None and seeded_id is not None and seeded_id in retried:
                duplicate = seeded_id
            if duplicate is not None:
                result.ids.append(duplicate)
                continue
            event = item.row(seeded_id or clock.new_id(), received)
            if item.external_id:
                seen[item.external_id] = event.id
            result.ids.append(event.id)
            result.stored.append(event)
        if result.stored:
            # One executemany of a statement built once: bulk_create's multi-row SQL was
            # rebuilt per call, ~10% of the web process's GIL time under single-event ingest.
            fast_sql.insert_many(result.stored)
            events_stored.send(sender=Event, events=result.stored)
    return result


def _recent_duplicates(external_ids: set[str], received: Any) -> dict[str, str]:
    """{sender id: our event id} for the sender ids stored in the last 24 h."""
    wanted = sorted(external_ids - {""})
    if not wanted:
        return {}
    since = received - timedelta(seconds=settings.EVENT_DEDUPE_SECONDS)
    found: dict[str, str] = {}
    for start in range(0, len(wanted), DEDUPE_LOOKUP_CHUNK):
        rows = Event.objects.filter(
            external_id__in=wanted[start : start + DEDUPE_LOOKUP_CHUNK], received_at__gte=since
        ).values_list("external_id", "id")
        for external_id, event_id in rows:
            found[external_id] = max(found.get(external_id, ""), event_id)  # the newest
    return found


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "list", str: "string", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


class InternalEventNotResent(ValueError):
    """Internal `inngest/*` events are the server's own record: a copy would fake a run's end,
    a cron tick or a failure, so none is ever sent again."""


def send_again(event: Event) -> Event:
    """The same name, data and user as a new event: a new id, so no dedupe, and it triggers
    functions exactly as the original did. InternalEventNotResent (nothing stored) for an
    internal event."""
    if is_internal(event.name):
        raise InternalEventNotResent(f"{event.name} is an internal event: it is not sent again")
    again = IncomingEvent(
        name=event.name,
        data=event.data,
        user=event.user,
        external_id="",
        ts=None,
        version=event.version,
        size_bytes=event.size_bytes,
    )
    [stored] = store_events([again]).stored
    return stored

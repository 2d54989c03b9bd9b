"""Choosing events by name, time range and a CEL expression over `event`, for the event list."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from foundation.selection import (
    SCAN_SECONDS,
    SelectorError,
    parse_time,
    run_filter,
    scan_page,
    within_time,
)

from .expressions import (
    ExpressionError,
    ExpressionTooCostly,
    check_filter,
    evaluate,
    validate_expression,
)
from .models import Event

# Events the server emits itself (`inngest/function.finished`, cron ticks, invokes...).
INTERNAL_PREFIX = "inngest/"


def is_internal(name: str) -> bool:
    return name.startswith(INTERNAL_PREFIX)


@dataclass(frozen=True)
class EventSelector:
    name: str = ""
    since: str = ""  # ISO datetimes, kept as given so they round-trip through URLs
    until: str = ""
    expression: str = ""
    hide_internal: bool = False  # the event list hides `inngest/*` unless asked

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "EventSelector":
        """Read the URL names (`name`, `from`, `to`, `if`, `hide_internal`)."""
        selector = cls(
            name=str(params.get("name") or "").strip(),
            since=str(params.get("from") or "").strip(),
            until=str(params.get("to") or "").strip(),
            expression=str(params.get("if") or "").strip(),
            hide_internal=bool(params.get("hide_internal")),
        )
        selector.validate()
        return selector

    def validate(self) -> None:
        parse_time("from", self.since)
        parse_time("to", self.until)
        if self.expression:
            try:
                check_filter(self.expression)
            except ExpressionError as exc:
                raise SelectorError(str(exc)) from None

    def queryset(self) -> QuerySet[Event]:
        """The database part of the filter, newest first."""
        events = Event.objects.order_by("-id")
        if self.name:
            events = events.filter(name=self.name)
        if self.hide_internal:
            events = events.exclude(name__startswith=INTERNAL_PREFIX)
        return within_time(events, self.since, self.until)

    def matches(self, event: Event) -> bool:
        if not self.expression:
            return True
        try:
            return evaluate(self.expression, {"event": event.payload()}, refuse_costly=True) is True
        except ExpressionTooCostly as exc:
            raise SelectorError(f"the `if` filter was refused: {exc}") from None
        except ExpressionError as exc:  # compiled here, in the filter worker
            raise SelectorError(str(exc)) from None

    def as_params(self) -> dict[str, str]:
        named = {"name": self.name, "from": self.since, "to": self.until, "if": self.expression}
        named["hide_internal"] = "1" if self.hide_internal else ""
        return {key: value for key, value in named.items() if value}

    def page(self, cursor: str = "", limit: int = 50) -> tuple[list[Event], str | None]:
        """One page, newest first; the cursor is the last event id looked at. A CEL filter is
        evaluated in the isolated filter worker (foundation.selection.run_filter)."""
        if not self.expression:
            events = self.queryset()
            if cursor:
                events = events.filter(id__lt=cursor)
            page = list(events[: limit + 1])
            return page[:limit], page[limit - 1].id if len(page) > limit else None
        args = (self.as_params(), cursor, limit)
        ids, next_cursor = run_filter("events.selectors:scan_page_ids", args, SCAN_SECONDS)
        found = Event.objects.in_bulk(ids)
        return [found[event_id] for event_id in ids if event_id in found], next_cursor

    def scan(self, cursor: str, limit: int) -> tuple[list[Event], str | None]:
        """The filtered scan itself (in the worker): up to `limit` matches, for SCAN_SECONDS."""
        events = self.queryset()
        if cursor:
            events = events.filter(id__lt=cursor)
        return scan_page(events.iterator(chunk_size=200), self.matches, limit, SCAN_SECONDS)


def scan_page_ids(params: dict[str, str], cursor: str, limit: int) -> tuple[list[str], str | None]:
    """In the filter worker: one page of a filtered scan, as event ids."""
    selector = EventSelector.from_params(params)
    try:  # parse the filter now, even with no event to test it on
        validate_expression(selector.expression)
    except ExpressionError as exc:
        raise SelectorError(str(exc)) from None
    events, next_cursor = selector.scan(cursor, limit)
    return [event.id for event in events], next_cursor

"""Choosing events by name, time range and a CEL expression over `event`, for the event list."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from foundation.selection import SCAN_SECONDS, SelectorError, parse_time, scan_page, within_time

from .expressions import ExpressionError, ExpressionTooCostly, evaluate, validate_expression
from .models import Event


@dataclass(frozen=True)
class EventSelector:
    name: str = ""
    since: str = ""  # ISO datetimes, kept as given so they round-trip through URLs
    until: str = ""
    expression: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "EventSelector":
        """Read the URL names (`name`, `from`, `to`, `if`)."""
        selector = cls(
            name=str(params.get("name") or "").strip(),
            since=str(params.get("from") or "").strip(),
            until=str(params.get("to") or "").strip(),
            expression=str(params.get("if") or "").strip(),
        )
        selector.validate()
        return selector

    def validate(self) -> None:
        parse_time("from", self.since)
        parse_time("to", self.until)
        if self.expression:
            try:
                validate_expression(self.expression)
            except ExpressionError as exc:
                raise SelectorError(str(exc)) from None

    def queryset(self) -> QuerySet[Event]:
        """The database part of the filter, newest first."""
        events = Event.objects.order_by("-id")
        if self.name:
            events = events.filter(name=self.name)
        return within_time(events, self.since, self.until)

    def matches(self, event: Event) -> bool:
        if not self.expression:
            return True
        try:
            return evaluate(self.expression, {"event": event.payload()}, refuse_costly=True) is True
        except ExpressionTooCostly as exc:
            raise SelectorError(f"the `if` filter was refused: {exc}") from None

    def page(self, cursor: str = "", limit: int = 50) -> tuple[list[Event], str | None]:
        """One page, newest first; the cursor is the last event id looked at."""
        events = self.queryset()
        if cursor:
            events = events.filter(id__lt=cursor)
        if not self.expression:
            page = list(events[: limit + 1])
            return page[:limit], page[limit - 1].id if len(page) > limit else None
        return scan_page(events.iterator(chunk_size=200), self.matches, limit, SCAN_SECONDS)

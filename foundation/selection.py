"""Pieces every list filter shares (runs, events): time bounds read from the URL and the
time-budgeted scan that pages through rows matching a CEL expression."""

import importlib
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime

from foundation import clock, isolation

# A CEL filter is evaluated in Python: a page looks at candidates for this long at most, so a
# filter that matches nothing still answers quickly (with a cursor to look further).
SCAN_SECONDS = 0.1


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, tzinfo=UTC)


class SelectorError(ValueError):
    """A filter value we cannot use (unknown status, bad date, invalid expression)."""


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


Row = TypeVar("Row", bound=_Identified)


def scan_page(
    rows: Iterable[Row], predicate: Callable[[Row], bool], limit: int, budget: float
) -> tuple[list[Row], str | None]:
    """Up to `limit` rows the predicate accepts, looking for `budget` seconds at most; the
    cursor is the id of the last row looked at (None: nothing further to look at).

    `rows` is closed however the scan ends (early, or by the predicate raising): a database
    cursor left half-read keeps SQLite's read snapshot open on that thread's connection, and
    its next write then fails at once with "database is locked"."""
    found: list[Row] = []
    deadline = time.monotonic() + budget
    try:
        for row in rows:
            if predicate(row):
                found.append(row)
                if len(found) == limit:
                    return found, row.id
            if time.monotonic() > deadline:
                return found, row.id  # looked long enough for one page: let the user go on
        return found, None
    finally:
        close = getattr(rows, "close", None)  # a generator (a queryset's iterator) has one
        if close is not None:
            close()


# How long a filter request waits for the worker while others' filters run, and how long past
# its own budget a filter may run before its worker is killed.
FILTER_WAIT_SECONDS = 5.0
HARD_STOP_MARGIN_SECONDS = 2.0


def run_filter(target: str, args: tuple[Any, ...], budget: float) -> Any:
    """Run `module:function(*args)`, a scan that evaluates a user's CEL filter over stored rows,
    in the isolated worker (foundation/isolation.py): it then shares neither the web process's
    interpreter lock with ingest nor its memory, and is killed if it overruns. With
    DEVSERVER_FILTERS_IN_WORKER=false (in-process tests) it runs here."""
    if not settings.FILTERS_IN_WORKER:
        module_name, _, function_name = target.partition(":")
        return getattr(importlib.import_module(module_name), function_name)(*args)
    try:
        return isolation.call(
            target, args, timeout=budget + HARD_STOP_MARGIN_SECONDS, wait=FILTER_WAIT_SECONDS
        )
    except isolation.IsolatedTimeout:
        raise SelectorError(
            f"the `if` filter was stopped after {budget + HARD_STOP_MARGIN_SECONDS:g} s"
        ) from None
    except isolation.IsolatedBusy:
        raise SelectorError("other filters are being evaluated: try again in a moment") from None
    except isolation.IsolatedOutOfMemory:
        raise SelectorError("the `if` filter needed more memory than a filter may use") from None


def parse_time(name: str, value: str) -> datetime | None:
    """A `from`/`to` filter value; naive times are taken in the server's time zone."""
    if not value:
        return None
    try:  # None: not shaped like a date; ValueError: shaped like one, but no such day
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise SelectorError(
            f"`{name}` must be a date and time like 2026-01-31T14:00, not {value!r}"
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=clock.now().tzinfo)
    if not EARLIEST <= parsed <= LATEST:  # ULIDs (our ids, hence our time filters) span these
        raise SelectorError(f"`{name}` must be between 1970 and 9999, not {value!r}")
    return parsed


def within_time(rows: QuerySet, since: str, until: str) -> QuerySet:
    """`rows` (with ULID primary keys) created from `since` and before `until` (either blank)."""
    start, end = parse_time("from", since), parse_time("to", until)  # None: left blank
    if start is not None:
        rows = rows.filter(id__gte=clock.id_floor(start))
    if end is not None:
        rows = rows.filter(id__lt=clock.id_floor(end))
    return rows

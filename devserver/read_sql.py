"""The lean reads' queries (read_route.py): a run, or an event's runs, as the REST v1 API shows
them, in raw SQL built once, with Django's own conversion of each column.

console/api/v1.py reads the same rows through the ORM (`get_object_or_404`, a `select_related`
queryset); building those queries was most of a poll's database cost. Each value still goes
through the converters the ORM applies (SQLite's text datetimes, JSONField's decoding;
foundation/fast_get.py's `column_converters`, shared with the executor's reads), so a
run reads back as the ORM reads it and `isoformat()` gives the same text. By default a read
runs in the calling thread on its Django connection: read_route.py calls it on its pool, whose
threads keep their connections (for CONN_MAX_AGE, as Django's request threads do). On SQLite,
`LoopReads` reads on the event loop itself instead (see its docstring)."""

import sqlite3
import time
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    models,
)
from django.db.backends.base.base import BaseDatabaseWrapper

from console.api.v1 import v1_status
from events.models import Event
from flowcontrol.models import Decision
from foundation.fast_get import column_converters, convert
from foundation.fast_sql import column, table
from runs.models import Function, Run
from runs.statuses import RunStatus

Answer = tuple[int, Any]  # an HTTP status and the envelope's data (or a 404's detail)
# LoopReads hands a read to the pool past this much text in its rows (JSON outputs to decode):
# as ingest parses a body past 64 KiB on a thread, so that one big answer does not hold the loop.
LOOP_MAX_BYTES = 64 * 1024

# The Run fields an answer shows, in the order of the SELECT (the function's slug follows).
_FIELDS = ("id", "event", "status", "started_at", "queued_at", "ended_at", "output", "error")


class Reader(Protocol):
    """Where a read runs: `select` gives the rows, `db` (a Django connection wrapper) holds the
    converters that decode them."""

    @property
    def db(self) -> BaseDatabaseWrapper: ...

    def select(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]: ...


class ThreadReads:
    """Reads on the calling thread's Django connection (a pool thread's, or a test's)."""

    @property
    def db(self) -> BaseDatabaseWrapper:
        return connections[DEFAULT_DB_ALIAS]

    def select(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        return _select(sql, params)


ON_THIS_THREAD = ThreadReads()


def run(run_id: str, reader: Reader = ON_THIS_THREAD) -> Answer:
    """GET /v1/runs/{run_id}: 200 and the run, or 404 as `get_object_or_404` answers."""
    rows = reader.select(_run_sql(), [run_id])
    if not rows:
        return 404, _not_found(Run)
    return 200, _run_v1(rows[0], reader.db)


def event_runs(event_id: str, reader: Reader = ON_THIS_THREAD) -> Answer:
    """GET /v1/events/{event_id}/runs: 200 and the runs it triggered or ended up in (debounced,
    batched: a Decision names them) by id, or 404 when no such event is stored."""
    if not reader.select(_event_sql(), [event_id]):
        return 404, _not_found(Event)
    rows, db = reader.select(_event_runs_sql(), [event_id, event_id]), reader.db
    return 200, [_run_v1(row, db) for row in rows]


class LoopReads:
    """Reads on the event loop's thread, on a read-only SQLite connection of its own.

    A read handed to a pool thread cost more than the read: a queue put, a thread woken, the
    answer handed back to the loop through its self-pipe, each a thread switch, against ~50 µs
    for an indexed read of a local file. On SQLite (WAL) a reader never waits for a writer, so
    the loop is not held; should SQLite still answer busy (busy_timeout 0 here), or the rows
    be too big to decode on the loop (an event with many runs, large outputs: more than
    LOOP_MAX_BYTES of text), `select` raises `UsePool` and the caller reads on its pool. A
    `Reader`: pass it to `run` or `event_runs`.
    Django refuses its own connections on an event loop's thread, so this one is opened from
    the same settings, with the same type converters (registered by Django's backend for every
    sqlite3 connection)."""

    class UsePool(Exception):
        pass

    def __init__(self) -> None:
        self._connection: sqlite3.Connection | None = None
        # Django's wrapper for the same database, never connected: its converters decode the
        # rows (the `connection` of a task on the loop is a new wrapper per task).
        self.db: BaseDatabaseWrapper = connections.create_connection(DEFAULT_DB_ALIAS)

    @staticmethod
    def available() -> bool:
        return connections[DEFAULT_DB_ALIAS].vendor == "sqlite"

    def select(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        if self._connection is None:
            self._connection = _open_read_only(self.db.get_connection_params())
        try:
            rows = self._connection.execute(_qmark(sql), params).fetchall()
        except sqlite3.OperationalError as exc:  # locked or busy: never wait on the loop
            raise LoopReads.UsePool(str(exc)) from exc
        size = sum(len(value) for row in rows for value in row if isinstance(value, str))
        if size > LOOP_MAX_BYTES:
            raise LoopReads.UsePool(f"{size} bytes of rows: decoded on the pool")
        return rows

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _open_read_only(params: dict[str, Any]) -> sqlite3.Connection:
    opened = sqlite3.connect(**params, isolation_level=None)  # autocommit: the latest commit
    opened.execute("PRAGMA query_only = 1")
    opened.execute("PRAGMA busy_timeout = 0")
    return opened


@cache
def _qmark(sql: str) -> str:
    """sqlite3's placeholders for ours (%s only: no literal % in these statements)."""
    return sql.replace("%s", "?")


def _select(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Run a read, once more on a fresh connection if the database dropped this one.

    A Django request calls close_old_connections first, which with CONN_HEALTH_CHECKS pings
    Postgres before every request: a second round trip per poll. A read is safe to repeat,
    so here a dead connection is found by using it; one past CONN_MAX_AGE is still replaced."""
    if connection.close_at is not None and time.monotonic() >= connection.close_at:
        connection.close()
    for attempt in range(2):
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        except (OperationalError, InterfaceError):
            connection.close()  # closed by the server (restart, idle timeout) or the network
            if attempt:
                raise
    raise AssertionError("unreachable: the second attempt returns or raises")


def _run_v1(row: tuple[Any, ...], db: BaseDatabaseWrapper) -> dict[str, Any]:
    """As console/api/v1.py's `_run_v1` builds a run (the contract test compares the bytes)."""
    converters = column_converters(_run_fields(), Run._meta.db_table, db)
    converted = [convert(value, each, db) for value, each in zip(row, converters, strict=False)]
    run_id, event_id, status, started_at, queued_at, ended_at, output, error = converted
    return {
        "run_id": run_id,
        "function_id": row[8],
        "event_id": event_id,
        "status": v1_status(status),
        "run_started_at": (started_at or queued_at).isoformat(),
        "ended_at": ended_at.isoformat() if ended_at else None,
        "output": output if status != RunStatus.FAILED else error,
    }


def _not_found(model: type[Run] | type[Event]) -> str:
    """ninja's 404 detail for Django's Http404 from `get_object_or_404`."""
    if settings.DEBUG:
        return f"Not Found: No {model._meta.object_name} matches the given query."
    return "Not Found"


@cache
def _run_fields() -> tuple[models.Field, ...]:
    fields = tuple(Run._meta.get_field(name) for name in _FIELDS)
    assert all(isinstance(f, models.Field) for f in fields)  # each name is a column of Run's own
    return fields  # type: ignore[return-value]  # narrowed by the assert


@cache
def _columns() -> str:
    run_columns = ", ".join(f"r.{column(Run, name)}" for name in _FIELDS)
    return f"{run_columns}, f.{column(Function, 'slug')}"


@cache
def _from() -> str:
    return (
        f"FROM {table(Run)} r JOIN {table(Function)} f "
        f"ON f.{column(Function, 'id')} = r.{column(Run, 'function')}"
    )


@cache
def _run_sql() -> str:
    return f"SELECT {_columns()} {_from()} WHERE r.{column(Run, 'id')} = %s"


@cache
def _event_sql() -> str:
    return f"SELECT 1 FROM {table(Event)} WHERE {column(Event, 'id')} = %s"


@cache
def _event_runs_sql() -> str:
    # The view's `Q(event=...) | Q(decisions__event=...)` with `.distinct()`: a subquery
    # names each run once without DISTINCT over the JSON columns.
    decided = (
        f"SELECT {column(Decision, 'run')} FROM {table(Decision)} "
        f"WHERE {column(Decision, 'event')} = %s AND {column(Decision, 'run')} IS NOT NULL"
    )
    return (
        f"SELECT {_columns()} {_from()} WHERE r.{column(Run, 'event')} = %s "
        f"OR r.{column(Run, 'id')} IN ({decided}) ORDER BY r.{column(Run, 'id')}"
    )

"""One statement of the hot path (fast_sql.py, fast_get.py) on the thread's connection.

On SQLite, inside a transaction (whose writer turn this process's lock already gave it: the
SQLite backend takes it at BEGIN), or for a read, the statement goes to the driver's own
connection with its SQL turned into qmark style once per text. Django's way builds a cursor
wrapper for every statement and converts the placeholders with a regex each time: ~6 µs around
a statement SQLite runs in ~2. On Postgres every statement goes to one driver cursor kept per
connection: Django's way builds a psycopg cursor (a copy of the connection's adapters) and its
wrapper for each, ~12 of an INSERT's ~52 µs of client CPU. Errors are Django's classes
either way (its error wrapper). Everything else takes Django's cursor as before: a query log
(DEBUG, a test counting queries), a write outside a transaction on SQLite (it must take its
turn), a transaction that has to roll back (Django refuses the statement), a connection not
open yet."""

from collections.abc import Sequence
from typing import Any, NamedTuple

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

_QMARK: dict[str, str] = {}  # a few dozen statement texts, each built once (fast_sql's caches)
# The attribute of a connection wrapper (one per thread) that keeps its driver cursor.
_KEPT_CURSOR = "_statements_kept_cursor"


class Done(NamedTuple):
    """What the callers read of a statement: rows changed, its first row, the new row's id."""

    rowcount: int
    row: tuple | None
    lastrowid: int | None


def execute(
    db: BaseDatabaseWrapper,
    sql: str,
    params: Sequence[Any],
    fetch: bool = False,
    read: bool = False,
) -> Done:
    """Run `sql` (%s placeholders) with `params`. `fetch`: it returns rows (a SELECT, or
    RETURNING), the first is kept; `read`: it changes nothing."""
    direct = _direct(db, read)
    if direct is None:
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone() if fetch else None
            return Done(cursor.rowcount, row, getattr(cursor, "lastrowid", None))  # not psycopg's
    with db.wrap_database_errors:
        cursor = direct.execute(_driver_sql(db, sql), params)
        row = cursor.fetchone() if fetch else None
        return Done(cursor.rowcount, row, getattr(cursor, "lastrowid", None))


def execute_many(db: BaseDatabaseWrapper, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    direct = _direct(db, read=False)
    if direct is None:
        with db.cursor() as cursor:
            cursor.executemany(sql, rows)
        return
    with db.wrap_database_errors:
        direct.executemany(_driver_sql(db, sql), rows)


def _direct(db: BaseDatabaseWrapper, read: bool) -> Any:
    """What runs the statement when it may skip Django's cursor (SQLite's connection, Postgres's
    kept cursor), else None."""
    if db.connection is None or db.queries_logged or db.needs_rollback or db.execute_wrappers:
        return None
    if db.vendor == "postgresql":
        return _kept_cursor(db)
    if db.vendor != "sqlite" or not (read or db.in_atomic_block):
        return None
    return db.connection


def _kept_cursor(db: BaseDatabaseWrapper) -> Any:
    """The driver cursor of `db`'s open connection, made by Django's own `create_cursor` (its
    cursor class and time zone) once per connection."""
    cursor = getattr(db, _KEPT_CURSOR, None)
    if cursor is None or cursor.connection is not db.connection or cursor.closed:
        cursor = db.create_cursor()
        setattr(db, _KEPT_CURSOR, cursor)
    return cursor


def _driver_sql(db: BaseDatabaseWrapper, sql: str) -> str:
    return _qmark(sql) if db.vendor == "sqlite" else sql


def _qmark(sql: str) -> str:
    converted = _QMARK.get(sql)
    if converted is None:
        converted = _QMARK[sql] = FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")
    return converted

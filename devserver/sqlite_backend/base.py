"""SQLite with one writer at a time per process, handed over on a lock instead of retried.

SQLite lets one connection write at a time; the others wait in its busy handler, which sleeps
1, 2, 5, 10... up to 100 ms between tries, however soon the writer finishes. In embedded mode a
dozen threads write (HTTP requests, executor threads), and under load those sleeps made most
of the latency: batches of 100 events had a p99 of about 2.4 s. Here the writers of this
process queue on one lock, taken when a write transaction begins (or for a single write
outside one) and given back at commit or rollback, so the next writer starts the moment the
previous one is done. Other processes (a `manage.py` command) still meet SQLite's own lock."""

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db.backends.sqlite3 import base
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

if TYPE_CHECKING:
    from django.db.backends.utils import _ExecuteParameters, _ExecuteQuery

_writer = threading.Lock()
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class DatabaseWrapper(base.DatabaseWrapper):
    holds_writer = False

    def take_writer(self) -> None:
        if not self.holds_writer:
            _writer.acquire()
            self.holds_writer = True

    def give_writer(self) -> None:
        if self.holds_writer:
            self.holds_writer = False
            _writer.release()

    def _start_transaction_under_autocommit(self) -> None:
        self.take_writer()  # BEGIN IMMEDIATE takes SQLite's write lock: queue for it here
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # Django-private: not in the stubs
        except BaseException:
            self.give_writer()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # Django-private: not in the stubs
        finally:
            self.give_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # Django-private: not in the stubs
        finally:
            self.give_writer()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # Django-private: not in the stubs
        finally:
            self.give_writer()

    def make_cursor(self, cursor: Any) -> CursorWrapper:
        return _TakingTurnsCursor(cursor, self)

    def make_debug_cursor(self, cursor: Any) -> CursorDebugWrapper:
        return _TakingTurnsDebugCursor(cursor, self)


class _TakesTurns(CursorWrapper):
    """A write outside a transaction (autocommit) holds the lock for that one statement."""

    db: DatabaseWrapper

    def execute(self, sql: "_ExecuteQuery", params: "_ExecuteParameters" = None) -> Any:
        if not _alone_write(self.db, sql):
            return super().execute(sql, params)
        self.db.take_writer()
        try:
            return super().execute(sql, params)
        finally:
            self.db.give_writer()

    def executemany(self, sql: "_ExecuteQuery", param_list: "Sequence[_ExecuteParameters]") -> Any:
        if not _alone_write(self.db, sql):
            return super().executemany(sql, param_list)
        self.db.take_writer()
        try:
            return super().executemany(sql, param_list)
        finally:
            self.db.give_writer()


def _alone_write(db: DatabaseWrapper, sql: object) -> bool:
    if db.holds_writer or not db.get_autocommit():
        return False
    # SQLite's SQL is always a str (only Postgres takes composed SQL).
    return isinstance(sql, str) and sql.lstrip()[:7].upper().startswith(_WRITES)


class _TakingTurnsCursor(_TakesTurns):
    pass


class _TakingTurnsDebugCursor(_TakesTurns, CursorDebugWrapper):
    pass

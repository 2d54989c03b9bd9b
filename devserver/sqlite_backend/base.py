"""SQLite with one writer at a time per process, handed over on a lock instead of retried.

SQLite lets one connection write at a time; the others wait in its busy handler, which sleeps
1, 2, 5, 10... up to 100 ms between tries, however soon the writer finishes. In embedded mode a
dozen threads write (HTTP requests, executor threads), and under load those sleeps made most
of the latency: batches of 100 events had a p99 of about 2.4 s. Here the writers of this
process queue on one lock, taken when a write transaction begins (or for a single write
outside one) and given back at commit or rollback, so the next writer starts the moment the
previous one is done. Other processes (a `manage.py` command) still meet SQLite's own lock."""

import threading
from typing import Any

from django.db.backends.sqlite3 import base
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

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
            super()._start_transaction_under_autocommit()
        except BaseException:
            self.give_writer()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self.give_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self.give_writer()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self.give_writer()

    def make_cursor(self, cursor: Any) -> CursorWrapper:
        return _TakingTurnsCursor(cursor, self)

    def make_debug_cursor(self, cursor: Any) -> CursorDebugWrapper:
        return _TakingTurnsDebugCursor(cursor, self)


class _TakesTurns:
    """A write outside a transaction (autocommit) holds the lock for that one statement."""

    db: DatabaseWrapper

    def execute(self, sql: str, params: Any = None) -> Any:
        if not _alone_write(self.db, sql):
            return super().execute(sql, params)  # type: ignore[misc]
        self.db.take_writer()
        try:
            return super().execute(sql, params)  # type: ignore[misc]
        finally:
            self.db.give_writer()

    def executemany(self, sql: str, param_list: Any) -> Any:
        if not _alone_write(self.db, sql):
            return super().executemany(sql, param_list)  # type: ignore[misc]
        self.db.take_writer()
        try:
            return super().executemany(sql, param_list)  # type: ignore[misc]
        finally:
            self.db.give_writer()


def _alone_write(db: DatabaseWrapper, sql: str) -> bool:
    if db.holds_writer or not db.get_autocommit():
        return False
    return sql.lstrip()[:7].upper().startswith(_WRITES)


class _TakingTurnsCursor(_TakesTurns, CursorWrapper):
    pass


class _TakingTurnsDebugCursor(_TakesTurns, CursorDebugWrapper):
    pass

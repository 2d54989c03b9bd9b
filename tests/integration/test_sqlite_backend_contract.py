"""devserver/sqlite_backend hands SQLite's write lock from one writer of the process to the next.

It overrides private methods of Django's sqlite3 DatabaseWrapper and relies on Django calling
them: `_start_transaction_under_autocommit` when `atomic()` begins (BEGIN IMMEDIATE),
`_commit`/`_rollback`/`_close` when it ends or the connection closes, and `make_cursor` /
`make_debug_cursor` for every cursor (`CursorWrapper.execute`/`executemany`), with
`get_autocommit()` telling a lone write. Here SQLite's own waiting is switched off (timeout 0),
so a second writer that did not queue on our lock fails at once with "database is locked": if
a Django upgrade stops calling any of those hooks, these tests fail. Django's stock backend
(DEVSERVER_FAST_SQLITE_BACKEND=0) is run through the same steps to show it does fail so."""

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connections, transaction

from devserver.sqlite_backend import base as ours

ALIAS = "sqlite_contract"
HOLD_S = 0.2
ENGINES = {"ours": "devserver.sqlite_backend", "stock": "django.db.backends.sqlite3"}


@pytest.fixture(params=list(ENGINES))
def engine(request: pytest.FixtureRequest, tmp_path: Path, django_db_blocker: Any) -> Iterator:
    """A database alias of our own on a file with SQLite's busy waiting off."""
    connections.settings[ALIAS] = connections.configure_settings(
        {
            "default": {},  # required by configure_settings, left alone
            ALIAS: {
                "ENGINE": ENGINES[request.param],
                "NAME": str(tmp_path / "contract.sqlite3"),
                "OPTIONS": {
                    "timeout": 0,
                    "transaction_mode": "IMMEDIATE",
                    "init_command": "PRAGMA journal_mode=WAL;",
                },
            },
        }
    )[ALIAS]
    with django_db_blocker.unblock():
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("CREATE TABLE t (n INTEGER NOT NULL)")
        connections[ALIAS].close()
        try:
            yield request.param
        finally:
            connections[ALIAS].close()
            del connections[ALIAS]  # this thread's wrapper, built from this test's settings
            del connections.settings[ALIAS]
            assert not ours._writer.locked(), "the writer lock was left held"


def _in_thread(work: Callable[[], object]) -> dict[str, Any]:
    """Run `work` on a thread of its own (a connection of its own); its outcome."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except Exception as exc:  # the test reads it
            outcome["error"] = exc
        finally:
            outcome["done_at"] = time.monotonic()
            connections[ALIAS].close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return outcome


def _hold_a_transaction(holding: threading.Event, contender: threading.Event) -> float:
    """Write in a transaction, keep it open until HOLD_S after the contender is about to meet it
    (not a fixed time: under load a thread may take longer than that to start), commit; returns
    when it committed."""
    with transaction.atomic(using=ALIAS), connections[ALIAS].cursor() as cursor:
        cursor.execute("INSERT INTO t (n) VALUES (1)")
        holding.set()
        assert contender.wait(10), "the contender never came"
        time.sleep(HOLD_S)
    committed = time.monotonic()
    time.sleep(HOLD_S)  # the connection stays open, as the server's do: commit alone must
    return committed  # hand the lock over


def _count() -> int:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM t")
        return cursor.fetchone()[0]


def _about_to_contend(contender: threading.Event) -> None:
    """Open this thread's connection, then tell the holder its contender is one statement away."""
    connections[ALIAS].ensure_connection()
    contender.set()


def _second_writer_meets_first(
    second: Callable[[threading.Event], object],
) -> tuple[dict, dict]:
    holding, contender = threading.Event(), threading.Event()
    first = _in_thread(lambda: _hold_a_transaction(holding, contender))
    assert holding.wait(5)
    other = _in_thread(lambda: second(contender))
    for outcome in (first, other):
        outcome["thread"].join(10)
        assert not outcome["thread"].is_alive(), "a writer never finished: the lock was kept"
    assert "error" not in first, first
    return first, other


def _atomic_write(contender: threading.Event) -> None:
    _about_to_contend(contender)
    with transaction.atomic(using=ALIAS), connections[ALIAS].cursor() as cursor:
        cursor.execute("INSERT INTO t (n) VALUES (2)")


def _lone_write(debug: bool, many: bool) -> Callable[[threading.Event], None]:
    def write(contender: threading.Event) -> None:
        connections[ALIAS].force_debug_cursor = debug  # make_debug_cursor instead
        _about_to_contend(contender)
        with connections[ALIAS].cursor() as cursor:
            if many:
                cursor.executemany("INSERT INTO t (n) VALUES (%s)", [(4,), (5,)])
            else:
                cursor.execute("INSERT INTO t (n) VALUES (3)")

    return write


@pytest.mark.parametrize(
    "second",
    [
        _atomic_write,
        _lone_write(debug=False, many=False),
        _lone_write(debug=False, many=True),
        _lone_write(debug=True, many=False),
        _lone_write(debug=True, many=True),
    ],
    ids=["atomic", "execute", "executemany", "debug-execute", "debug-executemany"],
)
def test_a_second_writer_waits_its_turn_instead_of_failing(engine: str, second) -> None:
    first, other = _second_writer_meets_first(second)
    if engine == "stock":  # shows the setup really contends: SQLite refuses at once
        assert isinstance(other.get("error"), OperationalError), other
        assert "locked" in str(other["error"])
        return
    assert "error" not in other, other
    assert other["done_at"] >= first["value"], "the second write finished before the commit"
    assert other["done_at"] < first["done_at"], "the lock was handed over at close, not commit"
    assert _in_and_back(_count) >= 2


def test_reads_do_not_queue_behind_a_writer(engine: str) -> None:
    holding, contender = threading.Event(), threading.Event()
    first = _in_thread(lambda: _hold_a_transaction(holding, contender))
    assert holding.wait(5)

    def read() -> int:
        _about_to_contend(contender)
        return _count()

    reader = _in_thread(read)
    for outcome in (reader, first):
        outcome["thread"].join(10)
    assert reader.get("value") == 0, reader  # WAL: the open transaction is not visible
    assert reader["done_at"] < first["value"], "the read waited for the writer's commit"


def test_the_lock_is_given_back_on_rollback_close_and_a_failed_begin(engine: str) -> None:
    if engine == "stock":
        pytest.skip("no lock of ours to give back")

    def roll_back() -> bool:
        with pytest.raises(ZeroDivisionError), transaction.atomic(using=ALIAS):
            connections[ALIAS].cursor().execute("INSERT INTO t (n) VALUES (1)")
            assert ours._writer.locked()
            1 / 0  # noqa: B018
        return ours._writer.locked()

    def close_mid_transaction() -> bool:
        connection = connections[ALIAS]
        connection.set_autocommit(False)  # no atomic(): close() is allowed in it
        connection.take_writer()
        connection.cursor().execute("INSERT INTO t (n) VALUES (1)")
        connection.close()  # Django's close() must reach our _close
        return ours._writer.locked()

    assert _in_and_back(roll_back) is False
    assert _in_and_back(close_mid_transaction) is False
    assert _in_and_back(_count) == 0
    # A writer that cannot begin (another process holds SQLite's lock) gives ours back too.
    holding, contender = threading.Event(), threading.Event()
    outside = _in_thread(lambda: _hold_outside_the_process(holding, contender))
    assert holding.wait(5)
    failed = _in_thread(lambda: _atomic_write(contender))
    failed["thread"].join(10)
    assert isinstance(failed.get("error"), OperationalError), failed
    assert not ours._writer.locked()
    outside["thread"].join(10)


def _hold_outside_the_process(holding: threading.Event, contender: threading.Event) -> None:
    """SQLite's write lock taken by a plain sqlite3 connection, as another process would."""
    import sqlite3

    raw = sqlite3.connect(connections.settings[ALIAS]["NAME"], isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")
    holding.set()
    assert contender.wait(10), "the contender never came"
    time.sleep(HOLD_S)
    raw.execute("ROLLBACK")
    raw.close()


def _in_and_back(work: Callable[[], object]) -> object:
    outcome = _in_thread(work)
    outcome["thread"].join(10)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]

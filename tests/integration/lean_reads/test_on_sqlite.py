"""On SQLite the lean reads run on the event loop (read_sql.LoopReads), without a hand-over to
a thread, except where a read would hold the loop: a big row to decode, a busy database. Their
answers stay Django's, byte for byte."""

import sqlite3
from typing import Any

import pytest
from django.db import connection

from devserver import read_sql
from tests.integration.lean_reads.calls import T0, alike, make_run, refuse_the_pool

pytestmark = pytest.mark.django_db(transaction=True)  # the route's threads have connections


def test_on_sqlite_the_reads_are_answered_on_the_loop_without_the_pool(
    apps: dict, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """read_sql.LoopReads: on SQLite no read is handed to the pool's threads (each hand-over
    was a few thread switches); the answers stay Django's."""
    if connection.vendor != "sqlite":
        pytest.skip("a server database is read on the pool")
    refuse_the_pool(apps, monkeypatch)
    alike(apps, f"/v1/runs/{world['runs']['dict'].id}")
    alike(apps, f"/v1/events/{world['events']['busy'].id}/runs")
    alike(apps, "/v1/runs/01UNKNOWN0000000000000000", served=True)


def test_on_sqlite_big_rows_are_decoded_on_the_pool_not_the_loop(
    apps: dict, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past read_sql.LOOP_MAX_BYTES of text (a large output to decode) the read goes to the
    pool, so one big answer does not hold every other connection; the answer is the same."""
    if connection.vendor != "sqlite":
        pytest.skip("a server database is read on the pool")
    function = world["runs"]["dict"].function
    big = make_run(function, None, "Completed", T0, T0, {"text": "x" * read_sql.LOOP_MAX_BYTES})
    path = f"/v1/runs/{big.id}"
    assert alike(apps, path)["status"] == 200  # served by the route, on its pool
    refuse_the_pool(apps, monkeypatch)
    alike(apps, path, served=False)  # the pool refuses: Django answers, the same
    alike(apps, f"/v1/runs/{world['runs']['dict'].id}")  # a small read stays on the loop


def test_on_sqlite_a_busy_database_is_read_on_the_pool(
    apps: dict, world: dict, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop never waits on SQLite (busy_timeout 0): when its connection is answered
    "database is locked", the pool reads instead, and the answer is still the route's own.
    Here the loop's connection is to a database another connection holds in exclusive
    locking mode, which makes SQLite refuse every read on it."""
    if connection.vendor != "sqlite":
        pytest.skip("a server database is read on the pool")
    locked = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("CREATE TABLE held (x)")  # the write takes the lock, kept until close
    on_loop = apps["lean"].on_loop
    refused = read_sql._open_read_only({"database": f"file:{locked}?mode=ro", "uri": True})
    monkeypatch.setattr(on_loop, "_connection", refused)
    try:
        with pytest.raises(read_sql.LoopReads.UsePool, match="locked"):
            read_sql.run(world["runs"]["dict"].id, on_loop)
        alike(apps, f"/v1/runs/{world['runs']['dict'].id}")  # served: on the pool
        alike(apps, f"/v1/events/{world['events']['busy'].id}/runs")
        refuse_the_pool(apps, monkeypatch)
        alike(apps, f"/v1/runs/{world['runs']['dict'].id}", served=False)
    finally:
        refused.close()
        holder.close()

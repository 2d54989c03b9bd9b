"""Peer: the 10-step workflow on DBOS, set up as DBOS's Python docs recommend, in this process
(DBOS is a library: the app that starts workflows runs them) on a throwaway Postgres database.

Checked against DBOS's docs (DBOS 3.4):
- docs.dbos.dev/python/programming-guide: a workflow is a @DBOS.workflow() function whose
  durable units are @DBOS.step() calls; DBOS(config=...) then DBOS.launch() in the app's main.
- docs.dbos.dev/python/tutorials/database-connection: Postgres for production (SQLite is the
  default, for prototyping); the system database given as `system_database_url`.
- docs.dbos.dev/python/reference/configuration: DBOSConfig; only `name` and the URL are set
  here, so the system database pool is DBOS's default (sys_db_pool_size 20, no overflow) and
  LISTEN/NOTIFY is on (the default). `log_level` WARNING only silences launch messages.
- docs.dbos.dev/python/reference/contexts: DBOS.start_workflow returns a handle once the
  workflow is durably recorded, and handle.get_result() waits for its end: the client every
  system here gets (start a run, wait for its end). Queues are for limiting concurrency or
  spreading runs over processes; this workload needs neither, so none is used.
A run is start_workflow to get_result: its status, 10 step outputs and result in Postgres."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from dbos import DBOS

from .loop import Processes

STEPS = 10
TOTAL = sum(range(STEPS))  # what ten-steps returns


@DBOS.step()
def step(index: int) -> int:
    """The same tiny work as ten-steps' `step.run(f"s{index}", lambda: index)`."""
    return index


@DBOS.workflow()
def ten_steps() -> int:
    return sum(step(index) for index in range(STEPS))


def run() -> None:
    """One run, as a DBOS app's client code starts one and waits for it."""
    total = DBOS.start_workflow(ten_steps).get_result()
    if total != TOTAL:
        raise RuntimeError(f"the DBOS workflow returned {total}, not {TOTAL}")


@contextmanager
def throwaway_database(pg_url: str) -> Iterator[str]:
    """A fresh database on the server at `pg_url` (no database name), dropped on the way out."""
    name = f"bench_peers_{os.getpid()}"
    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{pg_url}/{name}"
    finally:
        with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_settings(database_url: str) -> dict[str, str]:
    """The Postgres settings that decide what one commit costs."""
    names = ("server_version", "synchronous_commit", "fsync", "wal_sync_method")
    with psycopg.connect(database_url) as connection:
        return {name: _one(connection.execute(f"SHOW {name}").fetchone()) for name in names}


def _one(row: tuple | None) -> str:
    assert row is not None  # SHOW always answers one row
    return str(row[0])


@contextmanager
def launched(pg_url: str) -> Iterator[tuple[Processes, dict[str, str]]]:
    """DBOS launched on a fresh system database, destroyed on the way out (so its background
    threads do not run while another system is measured). Yields what its runs cost (this
    process: app and client in one) and the server's commit settings."""
    with throwaway_database(pg_url) as database_url:
        DBOS(
            config={
                "name": "bench-peers",
                "system_database_url": database_url,
                "log_level": "WARNING",
            }
        )
        try:
            DBOS.launch()
            run()  # the schema is created and the pool opened before anything is timed
            yield Processes(client="app+client"), server_settings(database_url)
        finally:
            DBOS.destroy()  # closes its pool, so the database can be dropped

"""Peer: the 10-step workflow on DBOS, a @DBOS.workflow of 10 @DBOS.step calls, run in this
process (DBOS is a library, not a server) on a throwaway database of the shared Postgres."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from dbos import DBOS

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
    """One run: the workflow called directly, as DBOS apps do; it returns once its status,
    its 10 step outputs and its result are in Postgres."""
    total = ten_steps()
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
        return {name: connection.execute(f"SHOW {name}").fetchone()[0] for name in names}


@contextmanager
def launched(pg_url: str, pool_size: int) -> Iterator[dict[str, str]]:
    """DBOS launched on a throwaway system database, with a connection pool large enough for
    every run in flight (DBOS's default is 20). Yields the server's commit settings."""
    with throwaway_database(pg_url) as database_url:
        DBOS(
            config={
                "name": "bench-peers",
                "system_database_url": database_url,
                "sys_db_pool_size": pool_size,
                "log_level": "WARNING",
            }
        )
        try:
            DBOS.launch()
            yield server_settings(database_url)
        finally:
            DBOS.destroy()  # closes its pool, so the database can be dropped

"""Knowing when runs end without weighing on the server being measured.

Each API request costs the dev server 6-10 ms (measured idle, on a 2-CPU machine), in the very
process whose executor is being timed. Polling the API every 10 ms about doubled the p50 latency
of a 10-step run in the first measurements. So by default the benchmark reads run statuses
straight from the server's SQLite file, read-only: in WAL mode a reader never blocks the writer,
and the server does no work for it. `ApiWatcher` (--watch api) is kept to show that effect.
"""

import sqlite3
from collections.abc import Set
from typing import Protocol

from devserver.settings import sqlite_database
from tests.harness import TERMINAL, DevServer


class Watcher(Protocol):
    def ended(self, pending: Set[str]) -> dict[str, dict]:
        """{event id: {"id": run id, "status": ...}} for pending events whose run ended."""
        ...

    def close(self) -> None: ...


class DbWatcher:
    """Run statuses from the server's database file (table runs_run, the Run model)."""

    def __init__(self, server: DevServer) -> None:
        path = sqlite_database(server.data_dir)["NAME"]
        self.db = sqlite3.connect(
            f"file:{path}?mode=ro",
            uri=True,
            isolation_level=None,
            timeout=10,
            check_same_thread=False,
        )

    def ended(self, pending: Set[str]) -> dict[str, dict]:
        if not pending:
            return {}
        marks = ",".join("?" * len(pending))
        rows = self.db.execute(
            f"SELECT event_id, id, status FROM runs_run WHERE event_id IN ({marks})", list(pending)
        )
        return {
            event: {"id": run, "status": status}
            for event, run, status in rows
            if status in TERMINAL
        }

    def close(self) -> None:
        self.db.close()


class ApiWatcher:
    """Run statuses from the API: one request lists the newest runs of the function, where
    in-flight runs nearly always are; events not on that page are asked about one by one."""

    def __init__(self, server: DevServer, slug: str, in_flight: int) -> None:
        self.server, self.slug, self.page = server, slug, in_flight + 10

    def ended(self, pending: Set[str]) -> dict[str, dict]:
        listing = self.server.http.get(
            "/api/runs", params={"function": self.slug, "limit": self.page}
        )
        runs = {r["event_id"]: r for r in listing.json()["runs"] if r["event_id"] in pending}
        for event_id in pending - runs.keys():
            for run in self.server.runs_for_event(event_id):
                runs[event_id] = {**run, "id": run["run_id"]}
        return {event: run for event, run in runs.items() if run["status"] in TERMINAL}

    def close(self) -> None:
        pass

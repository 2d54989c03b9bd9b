"""Benchmark: events accepted and stored per second, one event per request and batches of 100
(target: at least 2,000 events/s).

Why: an event is stored durably before `POST /e/{key}` answers, so ingest costs at least one
HTTP round trip through the server's stack per request and one commit per request. Both are
measured in the same invocation and printed beside the figures: the same clients posting a
body the view rejects before touching the database (the stack alone: daphne, middleware, the
view), and raw INSERTs + COMMIT of event rows into a fresh SQLite database with the server's
settings (one row per commit, and 100 rows per commit).

It starts the real dev server (embedded mode, SQLite, fresh data folder, no app synced, so no
function matches the events) and posts from C concurrent keep-alive connections (one
http.client connection per thread), then counts the rows in the server's database file to
check that every accepted event was stored. With --with-function the Python SDK test app is
synced and every event matches its `if-trigger` function (no steps), so ingest also starts a
run per event, and the server's embedded worker executes them meanwhile.

Usage, from the project root:
    .venv/bin/python -m bench.ingest [--single 4000] [--batches 300] [--concurrency 8]
                                     [--with-function]

Prints a table and writes bench/results/ingest-<timestamp>.json.
"""

import argparse
import json
import os
import signal
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

from devserver.settings import sqlite_database
from tests.harness import EVENT_KEY, ROOT, DevServer, SdkApp, wait_until

from . import cpu, floors
from .ingest_load import Phase, event, post_all
from .stats import summary
from .ten_steps import (
    SYNC_TIMEOUT_S,
    BenchServer,
    _exit_on_sigterm,
    git_revision,
    progress,
    write_results,
)

TARGET_EVENTS_PER_S = 2000.0
WARMUP_REQUESTS = 200
INSERT_SAMPLES = 2000
APP_ID = "bench-app"
MATCHED = "if"  # the test app's `if-trigger`: `event.data.amount > 10`, returns at once


class RowCounter:
    """Row counts read from the server's SQLite file (read-only: costs the server nothing)."""

    def __init__(self, server: DevServer) -> None:
        path = sqlite_database(server.data_dir)["NAME"]
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)

    def events(self, name: str) -> int:
        """Events of this name (a server with functions also stores its lifecycle events)."""
        query = "SELECT COUNT(*) FROM events_event WHERE name = ?"
        return self.db.execute(query, [name]).fetchone()[0]

    def runs(self, name: str) -> int:
        """Runs started by events of this name."""
        query = (
            "SELECT COUNT(*) FROM runs_run JOIN events_event ON runs_run.event_id = "
            "events_event.id WHERE events_event.name = ?"
        )
        return self.db.execute(query, [name]).fetchone()[0]

    def close(self) -> None:
        self.db.close()


def measure(
    server: DevServer,
    rows: RowCounter,
    label: str,
    name: str,
    requests: int,
    size: int,
    concurrency: int,
) -> Phase:
    """`requests` requests of `size` events each; the stored rows are counted after."""
    numbers = count()
    bodies = []
    for _ in range(requests):
        batch = [event(name, next(numbers)) for _ in range(size)]
        bodies.append(json.dumps(batch[0] if size == 1 else batch).encode())
    events_before, runs_before = rows.events(name), rows.runs(name)
    pids = {"server": server.process.proc.pid}
    before = cpu.snapshot(pids)
    wall, latencies = post_all(server.port, bodies, concurrency, expect=200)
    used = cpu.usage(before, cpu.snapshot(pids), requests * size, wall)
    stored = rows.events(name) - events_before
    if stored != requests * size:
        raise RuntimeError(f"{label}: {requests * size} events accepted, {stored} stored")
    runs = rows.runs(name) - runs_before
    return Phase(label, requests, size, wall, latencies, stored, runs, used)


def stack_floors(server: DevServer, requests: int, concurrency: int) -> dict[str, Phase]:
    """The same clients on the cheapest requests of the same stack: `GET /api/apps` (one
    SELECT of an empty table), and a `POST /e/{key}` the view refuses before the database
    (body `[]`: 400, which the server also logs as a warning)."""
    pids = {"server": server.process.proc.pid}
    cases = {
        "floor: GET /api/apps": ([None] * requests, 200, "/api/apps"),
        "floor: POST /e/ rejected (400)": ([b"[]"] * requests, 400, f"/e/{EVENT_KEY}"),
    }
    phases = {}
    for label, (bodies, expect, path) in cases.items():
        post_all(server.port, bodies[:WARMUP_REQUESTS], concurrency, expect, path)
        before = cpu.snapshot(pids)
        wall, latencies = post_all(server.port, bodies, concurrency, expect, path)
        used = cpu.usage(before, cpu.snapshot(pids), requests, wall)
        phases[label] = Phase(label, requests, 0, wall, latencies, 0, 0, used)
    return phases


def insert_floor(data_dir: Path, batch_size: int) -> dict[str, list[float]]:
    """INSERT + COMMIT (ms) of event rows in a fresh database with the server's SQLite
    settings: one row per commit ("one"), and `batch_size` rows per commit ("batch")."""
    floors._setup_django(data_dir)  # noqa: SLF001 - the same setup as the commit floor
    from django.db import connection, transaction

    from events.models import Event

    fields = [f for f in Event._meta.concrete_fields]
    sql = (
        f"INSERT INTO {Event._meta.db_table} ({', '.join(f.column for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    numbers = count()

    def row() -> list[object]:
        n, now = next(numbers), datetime.now(UTC)
        payload = event("bench/floor", n)
        values = {
            "id": f"{n:026d}",
            "name": payload["name"],
            "data": payload["data"],
            "user": payload["user"],
            "ts": payload["ts"],
            "received_at": now,
            "size_bytes": 250,
        }
        return [f.get_db_prep_save(values.get(f.name, f.get_default()), connection) for f in fields]

    def one() -> None:
        params = row()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)

    def batch() -> None:
        params = [row() for _ in range(batch_size)]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, params)

    floors.time_calls(one, floors.WARMUP_CALLS)
    one_ms = floors.time_calls(one, INSERT_SAMPLES)
    batches = max(INSERT_SAMPLES // batch_size, 20)
    floors.time_calls(batch, 5)
    return {"one": one_ms, "batch": floors.time_calls(batch, batches)}


@contextmanager
def running_server(work_dir: Path, with_function: bool) -> Iterator[DevServer]:
    """The dev server alone, or synced with the Python SDK test app (--with-function)."""
    server = BenchServer(work_dir)
    app = None
    if with_function:
        app = SdkApp("py", server.url, work_dir, app_id=APP_ID)
        server.sdk_urls = [app.url]
        app.start()
    try:
        server.start()
        if app:
            slug = app.slug("if-trigger")
            wait_until(
                lambda: slug in {f["slug"] for f in server.http.get("/api/functions").json()},
                SYNC_TIMEOUT_S,
                f"{slug} to sync",
            )
        yield server
    except Exception:
        progress(f"dev server log (tail):\n{server.output()[-3000:]}")
        raise
    finally:
        server.stop()
        if app:
            app.process.stop()


def benchmark(work_dir: Path, args: argparse.Namespace) -> dict:
    name = f"{APP_ID}/{MATCHED}" if args.with_function else "bench/order.placed"
    with (
        running_server(work_dir, args.with_function) as server,
        closing(RowCounter(server)) as rows,
    ):
        progress(f"warming up: {WARMUP_REQUESTS} requests")
        measure(server, rows, "warmup", name, WARMUP_REQUESTS, 1, args.concurrency)
        progress(f"stack floors: {args.single} requests each")
        stack = stack_floors(server, args.single, args.concurrency)
        progress(f"measuring: {args.single} requests of one event")
        single = measure(server, rows, "single", name, args.single, 1, args.concurrency)
        progress(f"measuring: {args.batches} requests of {args.batch_size} events")
        batch = measure(
            server, rows, "batch", name, args.batches, args.batch_size, args.concurrency
        )
        db_bytes = sum(p.stat().st_size for p in server.data_dir.glob("devserver.sqlite3*"))
    progress("floor: raw INSERT + COMMIT of event rows")
    inserts = insert_floor(work_dir / "floor-data", args.batch_size)
    return {
        "benchmark": "ingest",
        "started_at": args.started_at,
        "git": git_revision(),
        "machine": {"cpus": os.cpu_count(), "loadavg_at_end": os.getloadavg()},
        "config": {
            "single": args.single,
            "batches": args.batches,
            "batch_size": args.batch_size,
            "concurrency": args.concurrency,
            "with_function": args.with_function,
        },
        "single": single.figures(),
        "batch": batch.figures(),
        "stack_floors": {
            label: {
                "requests_per_s": phase.requests / phase.wall_s,
                "latency_ms": summary(phase.latencies_ms),
                "cpu_ms_per_request": phase.cpu_ms,
            }
            for label, phase in stack.items()
        },
        "insert_floor": {
            "one_per_commit_ms": summary(inserts["one"]),
            "batch_per_commit_ms": summary(inserts["batch"]),
        },
        "server_db_bytes": db_bytes,
    }


def print_table(results: dict) -> None:
    config, stacks = results["config"], results["stack_floors"]
    inserts = results["insert_floor"]
    one, many = inserts["one_per_commit_ms"], inserts["batch_per_commit_ms"]
    size = config["batch_size"]
    load = ", ".join(f"{x:.2f}" for x in results["machine"]["loadavg_at_end"])
    print(
        f"\ningest: concurrency {config['concurrency']}, "
        f"{'events start runs' if config['with_function'] else 'no function matches'}, "
        f"{results['machine']['cpus']} CPUs, load {load}, git {results['git']}"
    )
    print(f"{'':34}{'events/s':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'server CPU/event':>18}")

    def row(label: str, events_s: float | None, req_s: float, lat: dict, cpu_ms: dict) -> None:
        server = cpu_ms.get("server")
        print(
            f"{label:<34}{'' if events_s is None else f'{events_s:10.0f}':>10}{req_s:9.0f}"
            f"{lat['p50']:9.2f}{lat['p99']:9.2f}"
            f"{'?' if server is None else f'{server:.3f} ms':>18}"
        )

    for key, label in (("single", "1 event per request"), ("batch", f"{size} events per request")):
        phase = results[key]
        row(label, phase["events_per_s"], phase["requests_per_s"], phase["latency_ms"],
            phase["cpu_ms_per_event"])  # fmt: skip
    for label, stack in stacks.items():
        row(label, None, stack["requests_per_s"], stack["latency_ms"], stack["cpu_ms_per_request"])
    fastest = max(stack["requests_per_s"] for stack in stacks.values())
    print(
        f"floor: INSERT+COMMIT, 1 row  p50 {one['p50']:.3f} ms = {1000 / one['p50']:,.0f} events/s"
        f" (one thread)\nfloor: INSERT+COMMIT, {size} rows p50 {many['p50']:.3f} ms = "
        f"{1000 * size / many['p50']:,.0f} events/s (one thread)"
    )
    single, batch = results["single"], results["batch"]
    print(
        f"1 event per request: {single['requests_per_s'] / fastest:.2f}x the "
        f"fastest stack floor's requests/s; {size} per request: "
        f"{batch['events_per_s'] * many['p50'] / (1000 * size):.2f}x the batch insert floor's "
        "events/s"
    )
    if config["with_function"]:
        print(f"runs started: {single['runs_started']} + {batch['runs_started']}")
    best = max(single["events_per_s"], batch["events_per_s"])
    verdicts = {k: results[k]["events_per_s"] >= TARGET_EVENTS_PER_S for k in ("single", "batch")}
    print(
        f"target >= {TARGET_EVENTS_PER_S:,.0f} events/s: single "
        f"{'met' if verdicts['single'] else 'NOT met'}, batches "
        f"{'met' if verdicts['batch'] else 'NOT met'} (best {best:,.0f})"
    )
    others = [results[k]["cpu_ms_per_event"].get("others_cpu_pct") for k in ("single", "batch")]
    print(
        "rest of the machine meanwhile: "
        + ", ".join("?" if o is None else f"{o:.0f}%" for o in others)
        + " of one CPU (this client included)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--single", type=int, default=4000, help="requests of one event (4000)")
    parser.add_argument("--batches", type=int, default=300, help="requests of a batch (300)")
    parser.add_argument("--batch-size", type=int, default=100, help="events per batch (100)")
    parser.add_argument("--concurrency", type=int, default=8, help="client connections (8)")
    parser.add_argument(
        "--with-function",
        action="store_true",
        help="sync the Python SDK app so every event starts a run (default: no function)",
    )
    args = parser.parse_args(argv)
    if min(args.single, args.batches, args.batch_size, args.concurrency) < 1:
        parser.error("--single, --batches, --batch-size and --concurrency must be >= 1")
    args.started_at = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        results = benchmark(Path(tmp), args)
    print_table(results)
    path = write_results(results, "ingest")
    print(f"results: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

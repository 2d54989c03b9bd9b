"""Benchmark: the runs list and run detail pages over 100k stored runs (target: the runs list
answers in under 150 ms at p95).

It seeds a throwaway database (SQLite in a temporary folder, or with --postgres a test database
`test_<name>` beside the given one, dropped afterwards) and times GET requests in-process through
django.test.Client: no network, no server process, so the figures are the view, its queries and
its template. Beside them, a floor from the same invocation: a minimal view behind the same
middleware that runs SELECT 1 and renders the base layout. Each page's slowest query is then run
alone and explained. The "db ms" of a CEL-filtered list is its queries run to their last row;
the page itself stops reading after its time budget.

Seeding writes rows with raw executemany in batches (no model instances; SQLite without fsync
while seeding), so a million runs take about 4 minutes on 2 cores: --runs 1000000.

Usage, from the project root:
    .venv/bin/python -m bench.runs_list [--runs 100000] [--repeat 50] [--postgres URL]
"""

import argparse
import html
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.test import Client
from django.urls import include, path
from ulid import ULID

from .stats import summary

if TYPE_CHECKING:
    from django.db.models import Model

    from runs.models import Function, Run

TARGET_P95_MS = 150.0
WARMUP, BATCH = 3, 5000
SPREAD = timedelta(days=7)
APPS, FUNCTIONS_PER_APP = 3, 4
STEPS_EVERY, STEPS_PER_RUN = 10, 5  # one run in ten has five steps
BIG_RUN_STEPS = 1000  # plus one run this long, for the run detail
STATUS_MIX = {"Completed": 75, "Failed": 8, "Cancelled": 2, "Running": 6, "Sleeping": 4}
STATUS_MIX |= {"Waiting": 2, "Queued": 3}
ENDED = {"Completed", "Failed", "Cancelled"}
NEXT_LINK = re.compile(r'(?:href|hx-get)="([^"]*cursor=[^"]*)"')
FLOOR = "floor: SELECT 1 + base layout"
NO_MATCH = "event.data.i == -1"  # a CEL filter no run matches: the list scans the most


def floor_view(request: HttpRequest) -> HttpResponse:
    """The least a page costs here: the same middleware, one query, the base layout."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return render(request, "base.html")


class FloorUrls:
    """The URLconf while the benchmark runs: the project's routes plus the floor."""

    def __init__(self) -> None:  # built once Django is set up: include() imports the views
        self.urlpatterns = [path("bench/floor/", floor_view), path("", include("devserver.urls"))]


@contextmanager
def throwaway_database(postgres: str | None) -> Iterator[str]:
    """Set Django up on an empty, migrated database; yield what it is; drop it on the way out.
    DATABASE_URL alone selects Postgres. Without REDIS_URL (only Celery and Channels use it) the
    server stays in dev mode, where pages need no login, so the pages are timed the same way."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "devserver.settings"
    with tempfile.TemporaryDirectory(prefix="bench-runs-list-") as tmp:
        for name in ("DATABASE_URL", "REDIS_URL", "DEVSERVER_REQUIRE_LOGIN"):
            os.environ.pop(name, None)
        os.environ.update({"DATABASE_URL": postgres} if postgres else {"DEVSERVER_DATA_DIR": tmp})
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        settings.ROOT_URLCONF = FloorUrls()
        if not postgres:
            call_command("migrate", interactive=False, verbosity=0)
            yield f"SQLite {settings.DATABASES['default']['NAME']}"
            return
        old_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False
        )
        try:
            yield f"Postgres {connection.settings_dict['NAME']}"
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)


class RawInserter:
    """One INSERT of `model` rows given as {attname: value}, run with executemany: no model
    instances, each value adapted once for the database, the other columns set to their
    defaults (prepared once). Seeding a million runs through the ORM takes too long."""

    def __init__(self, model: type["Model"], given: list[str]) -> None:
        fields = [
            f
            for f in model._meta.concrete_fields
            if not (f.primary_key and f.get_internal_type().endswith("AutoField"))
        ]
        self.sql = (
            f"INSERT INTO {model._meta.db_table} ({', '.join(f.column for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        missing = set(given) - {f.attname for f in fields}
        if missing:
            raise ValueError(f"{model.__name__} has no columns {sorted(missing)}")
        self.slots: list[tuple[str, Callable[[Any], Any]] | tuple[None, Any]] = [
            (f.attname, _adapter(f))
            if f.attname in given
            else (None, f.get_db_prep_save(f.get_default(), connection))
            for f in fields
        ]

    def insert(self, rows: list[dict[str, Any]]) -> None:
        params = [
            [value if name is None else value(row[name]) for name, value in self.slots]
            for row in rows
        ]
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, params)


def _adapter(field: Any) -> Callable[[Any], Any]:
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        adapt = connection.ops.adapt_datetimefield_value
        if connection.vendor == "sqlite":  # what adapt() gives for UTC, in a third of the time
            return lambda value: (
                None
                if value is None
                else str(value.replace(tzinfo=None))
                if value.tzinfo is UTC
                else adapt(value)
            )
        return lambda value: None if value is None else adapt(value)
    if kind == "JSONField":  # None is SQL NULL, as the ORM stores it
        return lambda value: None if value is None else connection.ops.adapt_json_value(value, None)
    return lambda value: value


def one_run(
    i: int, function_id: int, slug: str, status: str, queued: datetime
) -> tuple[dict, dict, list[dict]]:
    """A run, its event (ids are ULIDs of queued_at: the list pages by id) and its steps."""
    began = None if status == "Queued" else queued + timedelta(milliseconds=20)
    ended = began + timedelta(seconds=1 + i % 30) if began and status in ENDED else None
    event_id = str(ULID.from_datetime(queued))
    event = {"id": event_id, "name": slug, "data": {"i": i}, "received_at": queued}
    event["ts"] = int(queued.timestamp() * 1000)
    run = {"id": str(ULID.from_datetime(queued)), "function_id": function_id}
    run |= {"event_id": event_id, "status": status, "queued_at": queued}
    run |= {"started_at": began, "ended_at": ended}
    run["output"] = {"i": i} if status == "Completed" else None
    run["error"] = {"name": "Error", "message": "boom"} if status == "Failed" else None
    steps = []
    if began and i % STEPS_EVERY == 0:
        for k in range(STEPS_PER_RUN):
            at = began + timedelta(milliseconds=100 * k)
            steps.append(
                {"run_id": run["id"], "hashed_id": f"s{k}", "name": f"step {k}"}
                | {"opcode": "StepRun", "status": "Completed", "memo": {"data": k}}
                | {"position": k, "started_at": at, "ended_at": at + timedelta(milliseconds=50)}
            )
    return event, run, steps


@contextmanager
def fast_writes() -> Iterator[None]:
    """SQLite: no fsync while seeding a throwaway database (the pages are timed after, with
    the server's own setting back)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def seed(runs: int, rng: random.Random) -> dict[str, Any]:
    """Apps, functions (a few busy, a long tail), one event per run, runs queued over 7 days in
    a realistic mix of statuses, steps for one run in ten; raw bulk inserts in batches, in the
    order runs were queued (ids are ULIDs of that time, so the indexes fill in order)."""
    from events.models import Event
    from runs.models import App, Function, Run, Step

    started, now = time.perf_counter(), datetime.now(UTC)
    apps = App.objects.bulk_create(
        App(name=f"bench-{a}", url=f"http://127.0.0.1:9/{a}/api/inngest") for a in range(APPS)
    )
    slugs = [(app, f"{app.name}-fn-{f}") for app in apps for f in range(FUNCTIONS_PER_APP)]
    functions = Function.objects.bulk_create(
        Function(app=app, slug=slug, name=slug, step_url=app.url, triggers=[{"event": slug}])
        for app, slug in slugs
    )
    weights = [1 / (k + 1) for k in range(len(functions))]
    queued_times = sorted(now - SPREAD * rng.random() for _ in range(runs))
    events = RawInserter(Event, ["id", "name", "data", "ts", "received_at"])
    run_rows = RawInserter(
        Run,
        ["id", "function_id", "event_id", "status", "queued_at", "started_at", "ended_at"]
        + ["output", "error"],
    )
    step_rows = RawInserter(
        Step,
        ["run_id", "hashed_id", "name", "opcode", "status", "memo", "position"]
        + ["started_at", "ended_at"],
    )
    with fast_writes():
        for start in range(0, runs, BATCH):
            count = min(BATCH, runs - start)
            chosen = rng.choices(functions, weights, k=count)
            statuses = rng.choices(list(STATUS_MIX), list(STATUS_MIX.values()), k=count)
            rows = [
                one_run(
                    start + n, chosen[n].id, chosen[n].slug, statuses[n], queued_times[start + n]
                )
                for n in range(count)
            ]
            with transaction.atomic():
                events.insert([event for event, _, _ in rows])
                run_rows.insert([run for _, run, _ in rows])
                step_rows.insert([s for _, _, steps in rows for s in steps])
            if start // BATCH % 20 == 19:
                progress(f"  {start + count} runs seeded, {time.perf_counter() - started:.0f} s")
    big_run = seed_big_run(functions[0], now)
    if connection.vendor == "postgresql":  # autovacuum would have; SQLite never gets stats
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    rare = functions[-1].slug
    return {
        "seconds": time.perf_counter() - started,
        "counts": {m.__name__: m.objects.count() for m in (App, Function, Event, Run, Step)},
        "detail_id": Step.objects.exclude(run=big_run)
        .order_by("-run_id")
        .values_list("run_id", flat=True)[0],
        "big_id": big_run.id,
        "rare_function": rare,
        "rare_runs": Run.objects.filter(function__slug=rare).count(),
        "failed_runs": Run.objects.filter(status="Failed").count(),
        "busy_app_runs": Run.objects.filter(function__app=apps[0]).count(),
    }


def seed_big_run(function: "Function", now: datetime) -> "Run":
    """One completed run of BIG_RUN_STEPS steps: the run detail must stay usable at this size."""
    from events.models import Event
    from runs.models import Run, Step

    queued = now - timedelta(minutes=5)
    event_row, run_row, _ = one_run(0, function.id, function.slug, "Completed", queued)
    with transaction.atomic():
        event = Event.objects.create(**event_row)
        run = Run.objects.create(**run_row | {"event_id": event.id})
        big_steps = []
        for k in range(BIG_RUN_STEPS):
            at = run.started_at + timedelta(milliseconds=10 * k)
            step = Step(run=run, hashed_id=f"b{k}", name=f"item {k}", opcode="StepRun")
            step.status, step.memo, step.position = "Completed", {"data": {"k": k, "ok": True}}, k
            step.started_at, step.ended_at = at, at + timedelta(milliseconds=8)
            big_steps.append(step)
        Step.objects.bulk_create(big_steps, batch_size=BATCH)
    return run


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def get(client: Client, url: str) -> HttpResponse:
    response = client.get(url)
    if response.status_code != 200:
        body = response.content[:500].decode(errors="replace")
        raise RuntimeError(f"GET {url} answered {response.status_code}:\n{body}")
    return response


def deep_url(client: Client, pages: int) -> str:
    """Follow the list's own link to older runs `pages` times, as a user would."""
    url = "/runs/"
    for _ in range(pages):
        match = NEXT_LINK.search(get(client, url).content.decode())
        if not match:
            raise RuntimeError(f"no link with a cursor on {url}: did the runs list change?")
        url = urljoin(url, html.unescape(match.group(1)))
    return url


def timed_query(sql: str, params: Any, explain: str = "") -> tuple[float, list[tuple]]:
    """Run one query again to its last row (Django times only `execute`, and SQLite does most
    of the work while rows are fetched): ms and rows; with `explain`, the plan's rows."""
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(f"{explain} {sql}", params)
        rows = cursor.fetchall()
        return (time.perf_counter() - started) * 1000, rows


def measure(client: Client, url: str, repeat: int) -> dict[str, Any]:
    """Timings (ms) after warming up; then the page's queries, each timed on its own."""
    for _ in range(WARMUP):
        get(client, url)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        get(client, url)
        samples.append((time.perf_counter() - started) * 1000)
    queries: list[tuple[str, Any]] = []

    def record(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        queries.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        get(client, url)
    costs = [min(timed_query(*query)[0] for _ in range(3)) for query in queries]
    slowest = max(range(len(costs)), key=costs.__getitem__)
    # On Postgres EXPLAIN ANALYZE runs the query, so its plan shows the real row counts.
    explain = (
        "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, COSTS OFF)"
    )
    return summary(samples) | {
        "queries": len(queries),
        "db_ms": sum(costs),
        "slowest_ms": costs[slowest],
        "slowest_sql": queries[slowest][0],
        "plan": [row[-1] for row in timed_query(*queries[slowest], explain)[1]],
    }


def report(database: str, seeded: dict[str, Any], results: dict[str, dict[str, Any]]) -> None:
    counts = ", ".join(f"{n} {name.lower()}s" for name, n in seeded["counts"].items())
    load = f"{seeded['load']:.2f} after seeding, {os.getloadavg()[0]:.2f} at the end"
    print(f"\nruns_list on {database}; {os.cpu_count()} CPUs, 1-min load {load}")
    print("requests: in-process django.test.Client (no network, no server process)")
    print(f"seeded in {seeded['seconds']:.1f} s: {counts}")
    floor = results[FLOOR]["p50"]
    print(f"\n{'page':<42}{'p50':>8}{'p95':>8}{'max':>8}{'x floor':>9}{'queries':>8}{'db ms':>7}")
    for label, r in results.items():
        print(
            f"{label:<42}{r['p50']:8.1f}{r['p95']:8.1f}{r['max']:8.1f}{r['p50'] / floor:8.1f}x"
            f"{r['queries']:8d}{r['db_ms']:7.1f}"
        )
    lists = {label: r["p95"] for label, r in results.items() if label.startswith("list")}
    missed = ", ".join(label for label, p95 in lists.items() if p95 >= TARGET_P95_MS)
    verdict = f"MISSED by {missed}" if missed else "met by every list page"
    print(f"\nruns list p95 < {TARGET_P95_MS:.0f} ms: {verdict}")
    print("\nslowest query of each page (ms, run alone to its last row) and its plan:")
    for label, r in results.items():
        print(f"  {label}: {r['slowest_ms']:.2f} ms  {r['slowest_sql'][:100]}...")
        print("\n".join(f"      {line}" for line in r["plan"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000, help="runs to seed (100000)")
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per page (50)")
    parser.add_argument("--pages", type=int, default=20, help="pages deep for the cursor (20)")
    parser.add_argument("--postgres", metavar="URL", help="seed a test database on this server")
    args = parser.parse_args(argv)
    if min(args.runs, args.repeat, args.pages) < 1:
        parser.error("--runs, --repeat and --pages must be >= 1")
    with throwaway_database(args.postgres) as database:
        print(f"seeding {args.runs} runs into {database}", file=sys.stderr, flush=True)
        seeded = seed(args.runs, random.Random(1)) | {"load": os.getloadavg()[0]}
        client = Client(raise_request_exception=False)  # a 500 is reported with its status
        rare = seeded["rare_function"]
        urls = {
            FLOOR: "/bench/floor/",
            "list: first page": "/runs/",
            f"list: status=Failed ({seeded['failed_runs']} runs)": "/runs/?status=Failed",
            f"list: function ({seeded['rare_runs']} runs)": f"/runs/?function={rare}",
            f"list: app=bench-0 ({seeded['busy_app_runs']} runs)": "/runs/?app=bench-0",
            f"list: {args.pages} pages deep": deep_url(client, args.pages),
            "list: if (CEL, matches none)": f"/runs/?if={quote(NO_MATCH)}",
            "run detail (5 steps)": f"/runs/{seeded['detail_id']}/",
            f"run detail ({BIG_RUN_STEPS} steps)": f"/runs/{seeded['big_id']}/",
        }
        results = {}
        for label, url in urls.items():
            print(f"timing {label}: {url}", file=sys.stderr, flush=True)
            results[label] = measure(client, url, args.repeat)
        report(database, seeded, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

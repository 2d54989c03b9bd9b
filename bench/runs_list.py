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
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.test import Client
from django.urls import include, path

from .runs_seed import BIG_RUN_STEPS, seed
from .stats import summary

if TYPE_CHECKING:
    pass

TARGET_P95_MS = 150.0
WARMUP = 3
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

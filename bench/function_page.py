"""Benchmark: the function page with its charts, and GET /api/functions/{slug}/stats, over 100k
runs of one function all queued in the last day (the worst case for the day window: every
run is in it; the hour holds about 1/24 of them), beside 10k runs of another function.

Same throwaway database and in-process timing as bench.runs_list (see its docstring).

Usage, from the project root:
    .venv/bin/python -m bench.function_page [--runs 100000] [--repeat 30] [--postgres URL]
"""

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from django.test import Client

from .runs_list import measure, throwaway_database
from .runs_seed import BATCH, STATUS_MIX, RawInserter, fast_writes, one_run, progress

OTHER_RUNS = 10_000


def seed_one_function(runs: int, rng: random.Random) -> str:
    """`runs` runs of bench-fn over the last day and OTHER_RUNS of bench-other, in queued
    order; returns the busy function's slug."""
    from events.models import Event
    from runs.models import App, Function, Run

    app = App.objects.create(name="bench", url="http://127.0.0.1:9/api/inngest")
    busy, other = (
        Function.objects.create(app=app, slug=s, name=s, step_url=app.url)
        for s in ("bench-fn", "bench-other")
    )
    events = RawInserter(Event, ["id", "name", "data", "received_at", "ts"])
    run_rows = RawInserter(
        Run, ["id", "function_id", "event_id", "status", "queued_at", "started_at", "ended_at"]
    )
    now, day = datetime.now(UTC), timedelta(days=1)
    moments = sorted(
        [(now - day * rng.random(), busy) for _ in range(runs)]
        + [(now - day * rng.random(), other) for _ in range(OTHER_RUNS)],
        key=lambda pair: pair[0],
    )
    statuses = rng.choices(list(STATUS_MIX), list(STATUS_MIX.values()), k=len(moments))
    with fast_writes():
        for start in range(0, len(moments), BATCH):
            chunk = range(start, min(start + BATCH, len(moments)))
            made = [
                one_run(i, moments[i][1].id, moments[i][1].slug, statuses[i], moments[i][0])
                for i in chunk
            ]
            events.insert([event for event, _, _ in made])
            run_rows.insert([{k: run[k] for k in run if k not in ("output", "error")}
                             for _, run, _ in made])  # fmt: skip
            progress(f"  {chunk.stop} runs")
    return busy.slug


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000, help="runs of the function")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page (30)")
    parser.add_argument("--postgres", metavar="URL", help="seed a test database on this server")
    args = parser.parse_args(argv)
    with throwaway_database(args.postgres) as database:
        began = time.perf_counter()
        slug = seed_one_function(args.runs, random.Random(1))
        seeded = time.perf_counter() - began
        client = Client(raise_request_exception=False)
        urls = {
            "function page, last hour": f"/functions/{slug}/",
            "function page, last day": f"/functions/{slug}/?window=1d",
            "stats API, last hour": f"/api/functions/{slug}/stats?window=1h",
            "stats API, last day": f"/api/functions/{slug}/stats?window=1d",
        }
        print(f"\nfunction_page on {database}: {args.runs} runs of {slug} in the last day, "
              f"{OTHER_RUNS} of another (seeded in {seeded:.0f} s)")  # fmt: skip
        print(f"{'page':<30}{'p50':>8}{'p95':>8}{'queries':>8}{'slowest ms':>11}")
        for label, url in urls.items():
            r = measure(client, url, args.repeat)
            print(f"{label:<30}{r['p50']:8.1f}{r['p95']:8.1f}{r['queries']:8d}"
                  f"{r['slowest_ms']:11.1f}")  # fmt: skip
            print("\n".join(f"      {line}" for line in r["plan"][:8]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the ten_steps workflow on our peers, measured as bench.ten_steps measures ours.

The same 10 sequential steps, each returning a small value, on:
  dbos    a @DBOS.workflow of 10 @DBOS.step calls, in this process (DBOS is a library), on a
          throwaway database of the shared Postgres, created and dropped here. A run is the
          workflow call: its status, 10 step outputs and result committed to Postgres.
  celery  a chain of 10 tasks on the shared Redis (broker and result backend, on a queue of its
          own), run by a real `celery worker --pool threads` subprocess. A run is apply_async
          until the last task's result is in the result backend, each task's result stored.
  ours    with --ours: bench.ten_steps itself, once per concurrency, in the same invocation
          (its own table and JSON too). Its latency is server-timed, queued->ended.

Each system is driven in a closed loop: C runs in flight, a new one as soon as one ends, after
a warmup at the same concurrency. Latency is per run; CPU per run is given for the processes
involved, the shared Postgres or Redis included, and the rest of the machine's load is shown:
on a busy machine the figures are not to be trusted.

Usage, from the project root (needs `pip install -e '.[bench]'`, or `make bench-peers`):
    .venv/bin/python -m bench.peers [--runs 100] [--concurrency 1 8 32] [--ours]

Prints a table and writes bench/results/peers-<timestamp>.json.
"""

import argparse
import json
import os
import platform
import signal
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import redis

from tests.harness import PG_URL, REDIS_BASE

from .. import cli
from ..ten_steps import (
    BUSY_MACHINE_PCT,
    RESULTS_DIR,
    ROOT,
    _exit_on_sigterm,
    git_revision,
    progress,
)
from . import celery_chain, ours
from .loop import measure

PEERS = ("dbos", "celery")


def measure_dbos(args: argparse.Namespace) -> tuple[list[dict], dict]:
    try:
        from . import dbos_workflow
    except ImportError as error:  # dbos is in the optional `bench` group only
        raise SystemExit(f"{error}: install it with `pip install -e '.[bench]'`") from None
    rows = []
    with dbos_workflow.launched(args.pg_url, max(20, max(args.concurrency) + 10)) as pg:
        for concurrency in args.concurrency:
            progress(f"dbos: {args.warmup} + {args.runs} runs, concurrency {concurrency}")
            rows.append(measure("dbos", dbos_workflow.run, concurrency, args, {}, "postgres"))
    return rows, {"dbos": version("dbos"), "postgres": pg}


def measure_celery(args: argparse.Namespace) -> tuple[list[dict], dict]:
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp,
        celery_chain.worker(args.redis_url, args.worker_threads, Path(tmp)) as (worker, run),
    ):
        pids = {"worker": worker.proc.pid}
        for concurrency in args.concurrency:
            progress(f"celery: {args.warmup} + {args.runs} runs, concurrency {concurrency}")
            rows.append(measure("celery", run, concurrency, args, pids, "redis-server"))
    with redis.Redis.from_url(args.redis_url) as client:
        server_version = client.info("server")["redis_version"]
    return rows, {"celery": version("celery"), "redis": server_version}


def measure_ours(args: argparse.Namespace) -> list[dict]:
    rows = []
    for concurrency in args.concurrency:
        progress(f"ours: bench.ten_steps --runs {args.runs} --concurrency {concurrency}")
        rows.append(ours.measure(concurrency, args.runs, args.warmup))
    return rows


def print_table(results: dict) -> None:
    machine = results["machine"]
    print(
        f"\npeers: 10-step workflow, {results['config']['runs']} runs per row, "
        f"{machine['cpus']} CPUs, load average {_load(machine['loadavg_at_start'])} at start, "
        f"{_load(machine['loadavg_at_end'])} at end, git {results['git']}"
    )
    print(
        f"{'system':<8}{'conc':>5}{'runs/s':>9}{'p50 ms':>9}{'p95 ms':>9}  "
        f"{'CPU ms per run':<44}{'rest of machine':>16}{'load 1m':>9}"
    )
    busy = False
    for row in results["results"]:
        usage = dict(row["cpu_ms_per_run"])
        others = usage.pop("others_cpu_pct")
        busy = busy or (others is not None and others > BUSY_MACHINE_PCT)
        cpu = ", ".join(f"{name} {_ms(value)}" for name, value in usage.items())
        rest = "?" if others is None else f"{others:.0f}% of a CPU"
        latency = row["latency_ms"]
        print(
            f"{row['system']:<8}{row['concurrency']:>5}{row['runs_per_s']:>9.1f}"
            f"{latency['p50']:>9.1f}{latency['p95']:>9.1f}  {cpu:<44}{rest:>16}"
            f"{row['loadavg_at_end'][0]:>9.2f}"
        )
    if busy:
        print("WARNING: other work on this machine skewed some figures; run again when idle")


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f}"


def _load(loadavg: list[float]) -> str:
    return " ".join(f"{value:.2f}" for value in loadavg)


def write_results(results: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"peers-{results['started_at']}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.parser("python -m bench.peers", __doc__)
    parser.add_argument("--runs", type=int, default=100, help="measured runs per row (100)")
    parser.add_argument(
        "--warmup", type=int, default=20, help="runs before each row (20, at least C if not 0)"
    )
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 8, 32], help="runs in flight (1 8 32)"
    )
    parser.add_argument(
        "--peers", nargs="*", choices=PEERS, default=list(PEERS), help="which peers (both)"
    )
    parser.add_argument("--ours", action="store_true", help="also run bench.ten_steps")
    parser.add_argument(
        "--pg-url", default=PG_URL, help=f"Postgres server, no database name ({PG_URL})"
    )
    parser.add_argument(
        "--redis-url", default=f"{REDIS_BASE}/14", help=f"Redis database ({REDIS_BASE}/14)"
    )
    parser.add_argument(
        "--worker-threads", type=int, default=8, help="Celery worker threads (8, as our worker)"
    )
    return cli.parse(parser, argv, ["runs", "concurrency", "worker_threads"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    loadavg_at_start = os.getloadavg()
    rows: list[dict] = []
    versions: dict = {}
    for peer, measure_peer in (("dbos", measure_dbos), ("celery", measure_celery)):
        if peer in args.peers:
            peer_rows, peer_versions = measure_peer(args)
            rows += peer_rows
            versions |= peer_versions
    if args.ours:
        rows += measure_ours(args)
    results = {
        "benchmark": "peers",
        "started_at": args.started_at,
        "git": git_revision(),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_at_start": loadavg_at_start,
            "loadavg_at_end": os.getloadavg(),
        },
        "versions": versions,
        "config": {
            key: getattr(args, key)
            for key in ("runs", "warmup", "concurrency", "peers", "ours", "worker_threads")
        },
        "results": rows,
    }
    print_table(results)
    print(f"results: {write_results(results).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

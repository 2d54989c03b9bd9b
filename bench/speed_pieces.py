"""Benchmark: what each speed piece buys, measured beside itself switched off, in one run.

Five pieces replace a library default for speed (README: Architecture); each has a switch
(DEVSERVER_FAST_*=0) that falls back to the stock behaviour. Here each is timed both ways in
the same invocation, alternating on and off in rounds so drift on the machine hits both:

- fast_sql: CPU per INSERT and per UPDATE of a step (inside a transaction, no commit), cached
  SQL text vs ORM statements;
- http_handler: GET /api/apps through the ASGI application in process, 8 requests in flight
  on one event loop (as daphne has them): requests/s and CPU per request, OneHopASGIHandler
  vs Django's ASGIHandler;
- memory_broker: publish-to-delivery latency to an idle consumer, and the CPU an idle
  consumer burns, the embedded transport vs kombu's memory transport polled every 5 ms;
- sqlite_backend: 8 threads committing small write transactions to one SQLite file with the
  server's settings: commits/s and the p99 of one transaction, our lock vs SQLite's busy wait;
- http_pool: one SDK call (a realistic 10th-step request body) to a minimal keep-alive
  HTTP/1.1 app in another process: round trip and client CPU, our HTTP/1.1 client
  (runs/http_wire.py) vs httpx;
- and, unless --e2e-runs 0, the 10-step function on the Python SDK (bench.ten_steps' stack)
  with all five on vs all five off: runs/s at concurrency 1 and 8 and server CPU per run.

Usage, from the project root:
    .venv/bin/python -m bench.speed_pieces [--samples 2000] [--rounds 3] [--e2e-runs 100]

Prints a table and writes bench/results/speed_pieces-<timestamp>.json.
"""

import os
import signal
import statistics
import sys
import tempfile
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from tests.harness import ROOT

from . import cli, cpu, floors, ten_steps
from .piece_benches import (
    IN_FLIGHT,
    WRITERS,
    bench_fast_sql,
    bench_http_handler,
    bench_http_pool,
    bench_memory_broker,
    bench_sqlite_backend,
)
from .stats import summary
from .watch import DbWatcher

SWITCHES = {
    "fast_sql": "DEVSERVER_FAST_SQL",
    "http_handler": "DEVSERVER_FAST_HTTP_HANDLER",
    "memory_broker": "DEVSERVER_FAST_MEMORY_BROKER",
    "sqlite_backend": "DEVSERVER_FAST_SQLITE_BACKEND",
    "http_pool": "DEVSERVER_FAST_HTTP_POOL",
}


def bench_ten_steps(work_dir: Path, runs: int) -> dict:
    """The 10-step function, all pieces on vs all off: two servers, one after the other."""
    results = {}
    for side, value in (("on", "1"), ("off", "0")):
        env = {name: value for name in SWITCHES.values()}
        side_dir = work_dir / f"ten-steps-{side}"
        with ten_steps.running_stack(
            side_dir, server_class=lambda wd, env=env: ten_steps.BenchServer(wd, env=env)
        ) as (server, app):
            figures: dict[str, float] = {}
            with closing(DbWatcher(server)) as watcher:
                ten_steps.drive(server, app, watcher, 10, 1, 0.002)  # warm up
                pids = {"server": server.process.proc.pid}
                for concurrency in (1, 8):
                    before = cpu.snapshot(pids)
                    batch = ten_steps.drive(server, app, watcher, runs, concurrency, 0.002)
                    used = cpu.usage(before, cpu.snapshot(pids), runs, batch.wall_s)
                    figures[f"runs_per_s_c{concurrency}"] = runs / batch.wall_s
                    figures[f"server_cpu_ms_per_run_c{concurrency}"] = used["server"] or 0.0
                    figures[f"latency_p50_ms_c{concurrency}"] = summary(
                        ten_steps.run_timings(server, batch.run_ids)["latency"]
                    )["p50"]
            results[side] = {name: [value] for name, value in figures.items()}
            ten_steps.progress(f"ten_steps, pieces {side}: {figures}")
    return results


ROWS = [  # piece, figure, how to read it, unit, higher is better
    ("fast_sql", "insert_cpu_us", "p50", "CPU per step INSERT", "us", False),
    ("fast_sql", "update_cpu_us", "p50", "CPU per step UPDATE", "us", False),
    (
        "http_handler",
        "requests_per_s",
        "mean",
        f"GET /api/apps, {IN_FLIGHT} in flight",
        "req/s",
        True,
    ),  # noqa: E501
    ("http_handler", "cpu_ms_per_request", "mean", "CPU per request", "ms", False),
    ("memory_broker", "latency_ms", "p50", "publish to delivery, p50", "ms", False),
    ("memory_broker", "latency_ms", "p99", "publish to delivery, p99", "ms", False),
    ("memory_broker", "idle_cpu_pct", "mean", "idle consumer's CPU", "% core", False),
    ("sqlite_backend", "commits_per_s", "mean", f"{WRITERS} writers' commits", "/s", True),
    ("sqlite_backend", "transaction_ms", "p99", "one write transaction, p99", "ms", False),
    ("http_pool", "round_trip_ms", "p50", "SDK call round trip, p50", "ms", False),
    ("http_pool", "client_cpu_us", "p50", "client CPU per call", "us", False),
    ("ten_steps", "runs_per_s_c1", "mean", "10-step runs/s, concurrency 1", "/s", True),
    ("ten_steps", "runs_per_s_c8", "mean", "10-step runs/s, concurrency 8", "/s", True),
    ("ten_steps", "latency_p50_ms_c1", "mean", "run latency p50, concurrency 1", "ms", False),
    ("ten_steps", "server_cpu_ms_per_run_c1", "mean", "server CPU per run, conc. 1", "ms", False),
    ("ten_steps", "server_cpu_ms_per_run_c8", "mean", "server CPU per run, conc. 8", "ms", False),
]


def figure(samples: list[float], how: str) -> float:
    return summary(samples)[how]


def print_table(results: dict) -> None:
    print(f"\nspeed_pieces: on vs off in one run, git {results['git']}, {results['cpus']} CPUs")
    print(f"{'piece':<15}{'measure':<34}{'on':>10}{'off':>10}  {'unit':<7}{'on is':>10}")
    for piece, name, how, label, unit, higher in ROWS:
        if piece not in results["pieces"]:
            continue
        sides = results["pieces"][piece]
        on, off = figure(sides["on"][name], how), figure(sides["off"][name], how)
        ratio = (on / off if higher else off / on) if on and off else float("nan")
        print(f"{piece:<15}{label:<34}{on:10.2f}{off:10.2f}  {unit:<7}{ratio:9.2f}x")
    print("('on is' N x: how many times better the piece makes the figure; switches: "
          + ", ".join(f"{v}=0" for v in SWITCHES.values()) + ")")  # fmt: skip


def parse_args(argv: list[str] | None) -> Any:
    parser = cli.parser("python -m bench.speed_pieces", __doc__)
    parser.add_argument("--samples", type=int, default=2000, help="samples per piece and side")
    parser.add_argument("--rounds", type=int, default=4, help="on/off alternations (default 4)")
    parser.add_argument(
        "--e2e-runs", type=int, default=100, help="10-step runs per side and concurrency (0: skip)"
    )
    parser.set_defaults(warmup=0)  # cli.parse checks it; each piece warms up its own way
    args = cli.parse(parser, argv, ["samples", "rounds"])
    if args.e2e_runs < 0:
        parser.error("--e2e-runs must be >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, ten_steps._exit_on_sigterm)
    with tempfile.TemporaryDirectory(prefix="bench-speed-pieces-") as tmp:
        work = Path(tmp)
        floors._setup_django(work / "micro-data")  # this process, on a throwaway database
        pieces: dict[str, dict] = {}
        steps: list[tuple[str, Callable[[], dict]]] = [
            ("fast_sql", lambda: bench_fast_sql(args.samples, args.rounds)),
            ("http_handler", lambda: bench_http_handler(args.samples, args.rounds)),
            ("memory_broker", lambda: bench_memory_broker(args.samples, args.rounds)),
            ("sqlite_backend", lambda: bench_sqlite_backend(work, args.samples, args.rounds)),
            ("http_pool", lambda: bench_http_pool(args.samples, args.rounds)),
        ]
        if args.e2e_runs:
            steps.append(("ten_steps", lambda: bench_ten_steps(work, args.e2e_runs)))
        for name, run in steps:
            ten_steps.progress(f"measuring {name}")
            pieces[name] = run()
    results = {
        "benchmark": "speed_pieces",
        "started_at": args.started_at,
        "git": ten_steps.git_revision(),
        "cpus": os.cpu_count(),
        "config": {"samples": args.samples, "rounds": args.rounds, "e2e_runs": args.e2e_runs},
        "pieces": pieces,
        "medians": {
            piece: {
                side: {name: statistics.median(v) for name, v in values.items()}
                for side, values in sides.items()
            }
            for piece, sides in pieces.items()
        },
    }
    print_table(results)
    print(f"results: {ten_steps.write_results(results, 'speed_pieces').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

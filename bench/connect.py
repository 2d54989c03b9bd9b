"""Benchmark: the 10-step run over Connect beside the same run over HTTP, in one invocation.

Why: a Connect worker receives its requests over a WebSocket it holds (runs/connect/) instead
of being called over HTTP; each of a run's SDK calls then crosses the gateway (a bus mailbox,
a protobuf frame, an ack, a reply) instead of a pooled HTTP request. This says what that costs
or saves per run, on the same server, the same machine and at the same moment.

One dev server (embedded mode) serves both: each SDK's test app (tests/apps/python_app.py,
tests/apps/js/app.mjs) runs twice with the same `ten-steps` function, once served over HTTP
and once as a Connect worker (`TRANSPORT=connect`). Every row is driven by the same client and
completion signal as bench.ten_steps: a closed loop keeping C runs in flight, run ends read
from the server's SQLite file (no load on the server), latency from the server's own
queued->ended stamps. The transports alternate in rounds (http, connect, http, connect, ...)
so a machine that gets busier weighs on both; each Connect row is set beside the HTTP row of
the same round, SDK and concurrency. CPU per run of the server and of each app is shown, and
how busy the rest of the machine was: on a busy machine the figures are not to be trusted.

Usage, from the project root:
    .venv/bin/python -m bench.connect [--runs 100] [--concurrency 1 8] [--rounds 2] [--sdks py js4]
    .venv/bin/python -m bench.connect --quick    # a smoke check: few runs, one round

Prints a table and writes bench/results/connect-<timestamp>.json.
"""

import argparse
import json
import os
import platform
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from functools import partial
from pathlib import Path

from tests.connect_apps import CONNECT_KINDS, ConnectApp
from tests.harness import SdkApp, wait_until

from . import cli
from .peers.loop import Processes, metered, warmup_runs
from .stats import summary
from .ten_steps import (
    BUSY_MACHINE_PCT,
    FUNCTION,
    RESULTS_DIR,
    ROOT,
    SYNC_TIMEOUT_S,
    BenchServer,
    _exit_on_sigterm,
    drive,
    git_revision,
    progress,
    run_timings,
)
from .watch import DbWatcher

TRANSPORTS = ("http", "connect")
BASELINE = "http"
QUICK = {"runs": 5, "warmup": 1, "rounds": 1, "concurrency": [1]}
POLL_S = 0.002  # between reads of the SQLite file, as bench.ten_steps does
App = SdkApp | ConnectApp


@contextmanager
def running(work_dir: Path, sdks: list[str]) -> Iterator[tuple[BenchServer, dict]]:
    """The server, and per SDK its app over HTTP and as a Connect worker, `ten-steps` synced
    on both; `apps[(sdk, transport)]`. All stopped on the way out."""
    server = BenchServer(work_dir)
    lean = {"LIFECYCLE_FUNCTIONS": "0"}  # ten-steps needs none of the other functions
    http = {sdk: SdkApp(sdk, server.url, work_dir, f"bench-http-{sdk}", lean) for sdk in sdks}
    server.sdk_urls = [app.url for app in http.values()]
    workers: list[ConnectApp] = []
    try:
        for http_app in http.values():
            http_app.start()
        server.start()
        workers = [
            ConnectApp(sdk, server, work_dir, f"bench-connect-{sdk}", env=lean) for sdk in sdks
        ]
        for worker in workers:
            worker.start(SYNC_TIMEOUT_S)
        apps: dict[tuple[str, str], App] = {(sdk, "http"): http[sdk] for sdk in sdks}
        apps |= {(w.kind, "connect"): w for w in workers}
        for slug in [app.slug(FUNCTION) for app in apps.values()]:
            wait_until(partial(_synced, server, slug), SYNC_TIMEOUT_S, f"{slug} to sync")
        yield server, apps
    except Exception:
        progress(f"dev server log (tail):\n{server.output()[-3000:]}")
        raise
    finally:
        server.stop()
        for process in [*(a.process for a in http.values()), *(w.process for w in workers)]:
            process.stop()


def _synced(server: BenchServer, slug: str) -> bool:
    return slug in {f["slug"] for f in server.http.get("/api/functions").json()}


def measure(
    server: BenchServer,
    apps: dict,
    sdk: str,
    transport: str,
    concurrency: int,
    args: argparse.Namespace,
) -> dict:
    """One row: warm up, then `args.runs` runs of `ten-steps` at `concurrency`."""
    app = apps[(sdk, transport)]
    sessions = {"server": server.process.proc.pid}  # type: ignore[union-attr]
    sessions |= {f"{s} {t}": a.process.proc.pid for (s, t), a in apps.items()}
    with closing(DbWatcher(server)) as watcher:
        drive(server, app, watcher, warmup_runs(args.warmup, concurrency), concurrency, POLL_S)
        with metered(Processes(sessions, client="bench")) as usage:
            batch = drive(server, app, watcher, args.runs, concurrency, POLL_S)
    timings = run_timings(server, batch.run_ids)
    return {
        "sdk": sdk,
        "transport": transport,
        "concurrency": concurrency,
        "runs": len(batch.run_ids),
        "runs_per_s": len(batch.run_ids) / usage.wall_s,
        "latency_ms": summary(timings["latency"]),
        "in_call_ms": summary(timings["in_call"]),
        "cpu_ms_per_run": usage.per_run(len(batch.run_ids)),
        "others_cpu_pct": usage.others_cpu_pct,
        "loadavg_at_end": os.getloadavg(),
        "wall_s": usage.wall_s,
        "samples_ms": timings["latency"],
    }


def print_table(results: dict) -> None:
    machine, config = results["machine"], results["config"]
    print(
        f"\nconnect: 10-step run over HTTP and over Connect, {config['runs']} runs per row, "
        f"{config['rounds']} round(s) alternating {', '.join(TRANSPORTS)}; {machine['cpus']} "
        f"CPUs; load average {machine['loadavg_at_start'][0]:.2f} at start, "
        f"{machine['loadavg_at_end'][0]:.2f} at end; git {results['git']}"
    )
    print("latency: the server's queued->ended of each run")
    print(
        f"{'round':<6}{'sdk':<5}{'transport':<10}{'conc':>5}{'runs/s':>8}{'/http':>7}"
        f"{'p50 ms':>8}{'/http':>7}{'p95 ms':>8}  {'CPU ms per run':<32}{'rest':>6}"
    )
    rows = results["results"]
    base = {(r["round"], r["sdk"], r["concurrency"]): r for r in rows if r["transport"] == BASELINE}
    busy = False
    for row in rows:
        http = base[(row["round"], row["sdk"], row["concurrency"])]
        others = row["others_cpu_pct"]
        busy = busy or (others is not None and others > BUSY_MACHINE_PCT)
        cpu = row["cpu_ms_per_run"]
        app_cpu = cpu[f"{row['sdk']} {row['transport']}"]
        used = f"server {cpu['server']:.1f}, app {app_cpu:.1f}"
        print(
            f"{row['round']:<6}{row['sdk']:<5}{row['transport']:<10}{row['concurrency']:>5}"
            f"{row['runs_per_s']:>8.1f}{row['runs_per_s'] / http['runs_per_s']:>6.2f}x"
            f"{row['latency_ms']['p50']:>8.1f}"
            f"{row['latency_ms']['p50'] / http['latency_ms']['p50']:>6.2f}x"
            f"{row['latency_ms']['p95']:>8.1f}  {used:<32}"
            f"{'?' if others is None else f'{others:.0f}%':>6}"
        )
    print(
        "/http: over the HTTP row of the same round, SDK and concurrency (runs/s: higher is "
        "better; p50: lower is better); rest: CPU the rest of the machine used meanwhile, in % "
        "of one CPU"
    )
    if busy:
        print(
            f"WARNING: the rest of the machine used over {BUSY_MACHINE_PCT:.0f}% of a CPU "
            "during some rows: those figures are skewed; run again on an idle machine"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    argv = sys.argv[1:] if argv is None else argv
    parser = cli.parser("python -m bench.connect", __doc__)
    parser.add_argument("--runs", type=int, default=100, help="measured runs per row (100)")
    parser.add_argument("--warmup", type=int, default=10, help="runs before each row (10)")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 8], help="runs in flight (1 8)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both transports (2)")
    parser.add_argument(
        "--sdks", nargs="+", choices=CONNECT_KINDS, default=list(CONNECT_KINDS), help="(py js4)"
    )
    cli.add_quick_and_results(parser, QUICK, RESULTS_DIR)
    return cli.parse(parser, argv, ["runs", "concurrency", "rounds"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    loadavg_at_start = os.getloadavg()
    rows: list[dict] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-connect-") as tmp,
        running(Path(tmp), args.sdks) as (server, apps),
    ):
        for round_number in range(1, args.rounds + 1):
            for sdk in args.sdks:
                for transport in TRANSPORTS:
                    for concurrency in args.concurrency:
                        progress(
                            f"round {round_number}: {sdk} over {transport}, "
                            f"{args.warmup} + {args.runs} runs, concurrency {concurrency}"
                        )
                        row = measure(server, apps, sdk, transport, concurrency, args)
                        rows.append({"round": round_number, **row})
    results = {
        "benchmark": "connect",
        "started_at": args.started_at,
        "git": git_revision(),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_at_start": loadavg_at_start,
            "loadavg_at_end": os.getloadavg(),
        },
        "config": {
            k: getattr(args, k) for k in ("runs", "warmup", "concurrency", "rounds", "sdks")
        },
        "results": rows,
    }
    print_table(results)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    path = args.results_dir.resolve() / f"connect-{results['started_at']}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

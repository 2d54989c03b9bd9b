"""Benchmark: does the staging stack scale out? Runs/s as Celery worker processes are added,
beside the ideal (linear) curve, in one invocation, with the CPU each process used.

Why: staging's promise is that more workers carry more runs. That holds only while the
workers, not the web process, Postgres, Redis or the machine, are what runs wait on. So the
app's steps wait on I/O (bench/io_app.py: the official Python SDK, async, each step sleeping
--step-ms) and cost the app little CPU; a run of 10 such steps holds a worker thread for 10
steps of ~50 ms, and runs/s should grow with workers x threads until a core runs out.

It starts the staging stack as the staging tests do (tests.harness with
DEVSERVER_TEST_STAGING=1: a web process and beat on a fresh Postgres database and Redis db),
then for each worker count W in --workers starts W `celery worker --pool threads -c T`
processes, warms up, keeps W x T runs in flight (a new event as soon as a run ends; run ends
read from Postgres, so no poll loads the web process), and stops those workers. The ideal
is the first row's runs/s per worker times W. CPU per run and each process's share of one
core are reported, and the rest of the machine's load: on a busy machine the figures skew.

`--app ten` runs the test app's 10-step function (steps that return at once) instead: what
the stack's own CPU allows, as bench.ten_steps measures the embedded server.
`--ab NAME=VALUE` measures every row four times, A B B A: workers as configured (A), then with
NAME=VALUE in their environment, or with the worker option NAME=VALUE when NAME starts with
a dash (`--ab=--prefetch-multiplier=1`) (B): an A/B of a worker setting in one invocation.
Compare the CPU per run of each process against the app's (the same work in every row): this
machine's speed drifts by a third within minutes.

Usage, from the project root (Postgres and Redis running: `bash .ci/services.sh`):
    .venv/bin/python -m bench.scale_out [--workers 1 2 4] [--threads 4] [--step-ms 50]
    .venv/bin/python -m bench.scale_out --app ten --workers 2 --threads 8 --concurrency 8

Prints a table and writes bench/results/scale_out-<timestamp>.json.
"""

import os
import sys

# Staging as the test suite runs it (tests.harness reads these at import).
STAGING_ENV = {
    "DEVSERVER_TEST_STAGING": "1",
    "SECRET_KEY": "test-only-secret-key-of-the-secured-suite",
    "INNGEST_SIGNING_KEY": "signkey-test-" + "5a1e" * 16,
    "INNGEST_EVENT_KEY": "test-key",
}
for _name, _value in STAGING_ENV.items():
    os.environ.setdefault(_name, _value)

import argparse  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator, Set  # noqa: E402
from contextlib import closing, contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

import psycopg  # noqa: E402

from tests.harness import (  # noqa: E402
    PG_URL,
    TERMINAL,
    DevServer,
    Process,
    SdkApp,
    cloud_mode_env,
    wait_until,
)

from . import cli, cpu, ten_steps  # noqa: E402
from .peers.loop import Processes, metered  # noqa: E402

APP_ID = "scale-app"
SYNC_TIMEOUT_S = 90.0
WORKER_READY_RUNS = 2  # runs that must end before a fresh worker set is timed
BUSY_MACHINE_PCT = 10.0  # the rest of the machine using more of a core than this skews rows


class PgWatcher:
    """Run ends from the server's Postgres database (table runs_run), read-only."""

    def __init__(self, server: DevServer) -> None:
        self.db = psycopg.connect(f"{PG_URL}/{server.database}", autocommit=True)

    def ended(self, pending: Set[str]) -> dict[str, dict]:
        if not pending:
            return {}
        rows = self.db.execute(
            "SELECT event_id, id, status FROM runs_run WHERE event_id = ANY(%s)", [list(pending)]
        )
        return {
            event: {"id": str(run), "status": status}
            for event, run, status in rows
            if status in TERMINAL
        }

    def backends(self) -> set[int]:
        """Postgres backends serving the server's database (not this watcher's): their CPU is
        the stack's, where the process name `postgres` also counts other tenants of the
        cluster."""
        rows = self.db.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in rows}

    def close(self) -> None:
        self.db.close()


class StackServer(DevServer):
    """The harness's staging server, apps re-synced every 5 s so syncs do not weigh on the
    figures; its one worker only syncs the app (a sync is a task), then each row starts its
    own set."""

    def __init__(self, work_dir: Path) -> None:
        super().__init__(work_dir, name="scale")
        self.worker_count, self.worker_threads = 1, 2
        self.env["DEVSERVER_POLL_INTERVAL"] = "5"

    def stop_sync_worker(self) -> None:
        for process in self.workers[:-1]:  # the last one is beat
            process.stop()
        self.workers = self.workers[-1:]


def start_app(server: DevServer, work_dir: Path, args: argparse.Namespace) -> SdkApp:
    """`--app io`: bench/io_app.py; `--app ten`: the Python test app (its ten-steps)."""
    app = SdkApp("py", server.url, work_dir, app_id=APP_ID)
    if args.app == "io":
        env = {
            "APP_ID": APP_ID,
            "PORT": str(app.port),
            "STEP_MS": str(args.step_ms),
            "STEPS": str(ten_steps.STEPS),
            **cloud_mode_env(server.url),
        }
        cmd = [sys.executable, "-m", "bench.io_app"]
        app.process = Process(APP_ID, cmd, env, work_dir)
    return app.start()


@contextmanager
def running_stack(work_dir: Path, args: argparse.Namespace) -> Iterator[tuple[DevServer, SdkApp]]:
    """Web process + beat + the app, its function synced; all stopped on the way out."""
    server = StackServer(work_dir)
    app = start_app(server, work_dir, args)
    server.sdk_urls = [app.url]
    try:
        server.start()
        slug = app.slug(function(args))
        wait_until(
            lambda: slug in {f["slug"] for f in server.http.get("/api/functions").json()},
            SYNC_TIMEOUT_S,
            f"{slug} to sync",
        )
        server.stop_sync_worker()
        yield server, app
    except Exception:
        ten_steps.progress(f"web process log (tail):\n{server.output()[-3000:]}")
        raise
    finally:
        server.stop()
        app.process.stop()


def function(args: argparse.Namespace) -> str:
    return "io-steps" if args.app == "io" else ten_steps.FUNCTION


def event(args: argparse.Namespace) -> str:
    return "io" if args.app == "io" else ten_steps.EVENT


@contextmanager
def workers(
    server: DevServer, work_dir: Path, count: int, threads: int, variant: dict[str, str]
) -> Iterator[list[Process]]:
    """`count` Celery worker processes of `threads` threads, as `make staging` starts them;
    `variant` adds environment variables, or worker options for names that start with -."""
    started = [
        Process(
            f"scale-w{count}x{threads}-{i}",
            [
                sys.executable,
                *("-m", "celery", "-A", "devserver", "worker", "--pool", "threads"),
                *("--concurrency", str(threads), "--hostname", f"w{i}-{server.port}@%h"),
                *("--without-gossip", "--without-mingle", "--loglevel", "WARNING"),
                *(f"{name}={value}" for name, value in variant.items() if name.startswith("-")),
            ],
            {
                **server.env,
                "DEVSERVER_SDK_URLS": ",".join(server.sdk_urls),
                **{name: value for name, value in variant.items() if not name.startswith("-")},
            },
            work_dir,
        ).start()
        for i in range(count)
    ]
    try:
        yield started
    finally:
        for process in started:
            process.stop()


def measure_row(
    server: DevServer,
    app: SdkApp,
    work_dir: Path,
    args: argparse.Namespace,
    count: int,
    variant: dict[str, str],
) -> dict:
    """One row: `count` workers, warmed up, timed over --runs runs at their in-flight count."""
    threads = args.threads
    in_flight = args.concurrency or count * threads
    runs = max(args.runs, in_flight * 3)  # several runs per slot, so a slow start averages out
    with (
        workers(server, work_dir, count, threads, variant) as started,
        closing(PgWatcher(server)) as watcher,
    ):
        warmup = max(args.warmup, in_flight, WORKER_READY_RUNS)
        ten_steps.drive(server, app, watcher, warmup, in_flight, args.poll_s, event(args))
        sessions = {f"worker{i}": p.proc.pid for i, p in enumerate(started) if p.proc}
        for name, process in (("web", server.process), ("app", app.process)):
            if process and process.proc:
                sessions[name] = process.proc.pid
        beat = server.workers[-1].proc if server.workers else None
        if beat:
            sessions["beat"] = beat.pid
        table = cpu.process_table()
        with metered(Processes(sessions, client="bench")) as usage:
            batch = ten_steps.drive(server, app, watcher, runs, in_flight, args.poll_s, event(args))
        after = cpu.process_table()
        # Backends that ended meanwhile are lost (the stack keeps its connections open).
        usage.cpu_ms["pg_backends"] = 1000 * sum(
            after[pid][2] - table.get(pid, ("", 0, 0.0))[2]
            for pid in watcher.backends()
            if pid in after
        )
    wall = usage.wall_s
    worker_ms = sum(ms for name, ms in usage.cpu_ms.items() if name.startswith("worker"))
    return {
        "workers": count,
        "threads": threads,
        "in_flight": in_flight,
        "variant": variant,
        "runs": len(batch.run_ids),
        "runs_per_s": len(batch.run_ids) / wall,
        "cpu_ms_per_run": {
            **usage.per_run(len(batch.run_ids)),
            "workers_total": worker_ms / len(batch.run_ids),
        },
        # Each process's share of one core while timed (100 = a core busy all the time).
        "cpu_pct": {name: ms / 10 / wall for name, ms in usage.cpu_ms.items()},
        "others_cpu_pct": usage.others_cpu_pct,
        "loadavg_at_end": os.getloadavg(),
        "wall_s": wall,
    }


def benchmark(work_dir: Path, args: argparse.Namespace) -> dict:
    variants: list[dict[str, str]] = [{}]
    if args.ab:
        name, _, value = args.ab.partition("=")
        variants.append({name: value})
    rows: list[dict] = []
    with running_stack(work_dir, args) as (server, app):
        for count in args.workers:
            # A B B A: the second of a pair ran faster in every A/B seen here (warmer caches,
            # a database with statistics), so neither variant may always go second.
            for variant in variants + variants[::-1] if args.ab else variants:
                label = " ".join(f"{k}={v}" for k, v in variant.items()) or "as configured"
                ten_steps.progress(f"measuring {count} x {args.threads} threads ({label})")
                rows.append(measure_row(server, app, work_dir, args, count, variant))
    for variant in variants:
        mine = [r for r in rows if r["variant"] == variant]
        per_worker = mine[0]["runs_per_s"] / mine[0]["workers"]
        for r in mine:
            r["ideal_runs_per_s"] = per_worker * r["workers"]
    return {
        "benchmark": "scale_out",
        "started_at": args.started_at,
        "git": ten_steps.git_revision(),
        "machine": {"cpus": os.cpu_count(), "loadavg_at_end": os.getloadavg()},
        "config": {
            "app": args.app,
            "workers": args.workers,
            "threads": args.threads,
            "step_ms": args.step_ms if args.app == "io" else 0,
            "runs": args.runs,
            "concurrency": args.concurrency,
            "ab": args.ab,
        },
        # A run's floor: its steps' waits, nothing else (the io app; 0 for ten).
        "run_floor_ms": ten_steps.STEPS * args.step_ms if args.app == "io" else 0.0,
        "rows": rows,
    }


def print_table(results: dict) -> None:
    config = results["config"]
    print(
        f"\nscale_out: app {config['app']} ({ten_steps.STEPS} steps of {config['step_ms']} ms), "
        f"{results['machine']['cpus']} CPUs, git {results['git']}"
    )
    print(
        f"{'workers x threads':<18}{'variant':<28}{'runs/s':>8}{'ideal':>8}{'ratio':>7}"
        f"{'capacity':>10}  CPU ms/run: web / workers / app / pg / redis; busiest worker %"
        f"  load / others"
    )
    floor_s = results["run_floor_ms"] / 1000
    for r in results["rows"]:
        cpu, pct = r["cpu_ms_per_run"], r["cpu_pct"]
        busiest = max((v for k, v in pct.items() if k.startswith("worker")), default=0.0)
        capacity = f"{r['in_flight'] / floor_s:10.1f}" if floor_s else f"{'-':>10}"
        label = " ".join(f"{k}={v}" for k, v in r["variant"].items()) or "as configured"
        print(
            f"{r['workers']} x {r['threads']:<14}{label[:27]:<28}{r['runs_per_s']:8.1f}"
            f"{r['ideal_runs_per_s']:8.1f}{r['runs_per_s'] / r['ideal_runs_per_s']:7.2f}"
            f"{capacity}  {cpu.get('web', 0):.1f} / {cpu['workers_total']:.1f} / "
            f"{cpu.get('app', 0):.1f} / {cpu.get('pg_backends', 0):.1f} / "
            f"{cpu.get('redis', 0):.1f}; {busiest:.0f}%"
            f"  {r['loadavg_at_end'][0]:.2f} / {r['others_cpu_pct'] or 0:.0f}%"
        )
    print(
        "ideal: the first row's runs/s per worker x workers; capacity: runs in flight / the "
        "steps' waits (what the app's I/O allows); pg: the backends of the stack's database; "
        "load: 1-minute load average at the row's end; others: the CPU the rest of the machine "
        "used meanwhile (% of one core)"
    )
    if any((r["others_cpu_pct"] or 0) > BUSY_MACHINE_PCT for r in results["rows"]):
        print("WARNING: other work on this machine took CPU the stack needed; run again when idle")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.parser("python -m bench.scale_out", __doc__)
    parser.add_argument("--app", choices=["io", "ten"], default="io")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--step-ms", type=int, default=50, help="each step's wait (io app)")
    parser.add_argument("--runs", type=int, default=60, help="timed runs per row (at least)")
    parser.add_argument("--warmup", type=int, default=8)
    parser.add_argument(
        "--concurrency", type=int, default=0, help="runs in flight (default workers x threads)"
    )
    parser.add_argument("--poll-s", type=float, default=0.005, help="between reads of run ends")
    parser.add_argument(
        "--ab", default="", help="NAME=VALUE: each row again with this env var or worker option"
    )
    parser.add_argument("--results-dir", type=Path, default=ten_steps.RESULTS_DIR)
    return cli.parse(parser, argv, ["workers", "threads", "runs"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, ten_steps._exit_on_sigterm)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-scale-out-") as tmp:
        results = benchmark(Path(tmp), args)
    results["bench_wall_s"] = time.perf_counter() - started
    print_table(results)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    path = args.results_dir / f"scale_out-{results['started_at']}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

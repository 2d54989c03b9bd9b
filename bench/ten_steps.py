"""Benchmark: a 10-step function, end to end, set beside the floors of the same machine.

Why: a durable run of 10 `step.run` calls costs at least 11 round trips to the app (one per
step, plus the call that returns) and 10 commits (a step is stored before the next call). So
absolute timings say little on their own; what matters is how far the server stays above that
floor, per run and per step. Both the server's figures and the floors are measured in the same
invocation, on the same machine, so the ratios can be compared across machines and commits.

It starts the real dev server (`manage.py devserver`, fresh data folder, no discovery) and the
Python SDK test app (tests/apps/python_app.py on FastAPI/uvicorn) through tests.harness,
warms up, then sends N events keeping C runs in flight, and reads each run's queued_at,
started_at and ended_at from the server's own API. Run ends are noticed by reading the
server's SQLite file, not by polling its API, which would load the very process being timed
(see bench/watch.py). CPU time per run of the server, the app and this process is reported,
and so is the rest of the machine's load: on a busy machine the figures are not to be trusted.

Usage, from the project root:
    .venv/bin/python -m bench.ten_steps [--runs 200] [--concurrency 1] [--warmup 20]

Prints a table and writes bench/results/ten_steps-<timestamp>.json.
"""

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from types import FrameType

from tests.harness import ROOT, DevServer, SdkApp, wait_until

from . import cli, cpu, floors
from .stats import summary
from .watch import ApiWatcher, DbWatcher, Watcher

APP_ID = "bench-app"
FUNCTION = "ten-steps"
EVENT = "ten"
STEPS = 10
SDK_CALLS = STEPS + 1  # one call per step, then the call that returns the output
RESULTS_DIR = ROOT / "bench" / "results"
RUN_TIMEOUT_S = 60.0
SYNC_TIMEOUT_S = 90.0  # a busy machine takes a while to start the app and sync it
BUSY_MACHINE_PCT = 10.0  # other processes using more of a CPU than this skew the figures


class BenchServer(DevServer):
    """The harness's dev server, re-syncing apps every 5 s (the default) instead of every 1 s
    as the tests do, so syncs do not weigh on the figures."""

    def command(self) -> list[str]:
        cmd = super().command()
        at = cmd.index("--poll-interval")
        return cmd[:at] + cmd[at + 2 :]


@contextmanager
def running_stack(
    work_dir: Path, function: str = FUNCTION, server_class: type[DevServer] = BenchServer
) -> Iterator[tuple[DevServer, SdkApp]]:
    """The dev server and the Python SDK app with `function` synced; both stopped on the way
    out."""
    work_dir.mkdir(parents=True, exist_ok=True)
    server = server_class(work_dir)
    app = SdkApp("py", server.url, work_dir, app_id=APP_ID)
    server.sdk_urls = [app.url]
    try:
        app.start()
        server.start()
        slug = app.slug(function)
        wait_until(
            lambda: slug in {f["slug"] for f in server.http.get("/api/functions").json()},
            SYNC_TIMEOUT_S,
            f"{slug} to sync",
        )
        yield server, app
    except Exception:
        progress(f"dev server log (tail):\n{server.output()[-3000:]}")
        raise
    finally:
        server.stop()
        app.process.stop()


@dataclass
class Batch:
    run_ids: list[str]
    wall_s: float
    polls: int
    cpu: dict[str, float | None] = field(default_factory=dict)


def drive(
    server: DevServer,
    app: SdkApp,
    watcher: Watcher,
    runs: int,
    concurrency: int,
    poll_s: float,
    event: str = EVENT,
) -> Batch:
    """Send `runs` events (one run each) in a closed loop: up to `concurrency` runs in flight,
    a new event as soon as one ends. Every run must complete."""
    pending: dict[str, float] = {}  # event id -> when it was sent
    done: list[str] = []  # run ids
    sent = polls = 0
    started = time.perf_counter()
    while len(done) < runs:
        while sent < runs and len(pending) < concurrency:
            [event_id] = server.send({"name": app.event(event), "data": {"i": sent}})
            pending[event_id] = time.monotonic()
            sent += 1
        time.sleep(poll_s)
        polls += 1
        for event_id, run in watcher.ended(pending.keys()).items():
            if run["status"] != "Completed":
                raise RuntimeError(f"run {run['id']} ended {run['status']}: {run}")
            done.append(run["id"])
            del pending[event_id]
        late = [e for e, at in pending.items() if time.monotonic() - at > RUN_TIMEOUT_S]
        if late:
            raise RuntimeError(f"runs of events {late} did not end within {RUN_TIMEOUT_S}s")
    return Batch(done, time.perf_counter() - started, polls)


def run_timings(server: DevServer, run_ids: list[str]) -> dict[str, list[float]]:
    """From the server's stored timestamps (ms, as its API gives them). Per run: queued->ended
    (latency), queued->started (dispatch), started->ended (duration). Per step: from the start
    of its SDK call to the step being recorded (in_call), and from there to the start of the
    next call (between_calls: the commit and the bookkeeping around it)."""
    names = ("latency", "dispatch", "duration", "in_call", "between_calls")
    timings: dict[str, list[float]] = {name: [] for name in names}
    for run_id in run_ids:
        run = server.run(run_id)
        steps = run["steps"]  # in the order they started
        if len(steps) != STEPS:
            raise RuntimeError(f"run {run_id} has {len(steps)} steps, not {STEPS}")
        timings["latency"].append(_ms(run["queued_at"], run["ended_at"]))
        timings["dispatch"].append(_ms(run["queued_at"], run["started_at"]))
        timings["duration"].append(_ms(run["started_at"], run["ended_at"]))
        timings["in_call"] += [_ms(step["started_at"], step["ended_at"]) for step in steps]
        timings["between_calls"] += [
            _ms(step["ended_at"], after["started_at"]) for step, after in pairwise(steps)
        ]
    return timings


def _ms(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() * 1000


def benchmark(server: DevServer, app: SdkApp, work_dir: Path, args: argparse.Namespace) -> dict:
    """Warm up, take the floors while the server is idle, then measure the runs."""
    watcher: Watcher = (
        DbWatcher(server)
        if args.watch == "db"
        else ApiWatcher(server, app.slug(FUNCTION), args.concurrency)
    )
    with closing(watcher):
        progress(f"warming up: {args.warmup} runs")
        drive(server, app, watcher, args.warmup, args.concurrency, args.poll_interval)
        progress(f"floor: {args.samples} SDK round trips")
        rtt = floors.sdk_round_trips(app.url, app.slug(FUNCTION), app.event(EVENT), args.samples)
        progress(f"floor: {args.samples} commits")
        commits = floors.commit_timings(work_dir / "floor-data", args.samples)
        progress(f"measuring: {args.runs} runs, concurrency {args.concurrency}")
        pids = {"server": server.process.proc.pid, "app": app.process.proc.pid}
        before = cpu.snapshot(pids)
        batch = drive(server, app, watcher, args.runs, args.concurrency, args.poll_interval)
        batch.cpu = cpu.usage(before, cpu.snapshot(pids), args.runs, batch.wall_s)
    timings = run_timings(server, batch.run_ids)
    return figures(args, batch, timings, rtt, commits)


def figures(
    args: argparse.Namespace,
    batch: Batch,
    timings: dict[str, list[float]],
    rtt: list[float],
    commits: dict[str, list[float]],
) -> dict:
    """Everything the table shows and the JSON keeps."""
    floor = {
        "sdk_round_trip_ms": summary(rtt),
        "commit_ms": summary(commits["raw"]),
        "orm_create_commit_ms": summary(commits["orm"]),
    }
    rtt_ms, commit_ms = floor["sdk_round_trip_ms"]["p50"], floor["commit_ms"]["p50"]
    floor["per_run_ms"] = SDK_CALLS * rtt_ms + STEPS * commit_ms
    measured = {name: summary(values) for name, values in timings.items()}
    overhead = (measured["duration"]["p50"] - SDK_CALLS * rtt_ms) / STEPS
    return {
        **context(args),
        "floor": floor,
        "run": measured,
        "server_overhead_per_step_ms": overhead,
        "runs_per_s": len(batch.run_ids) / batch.wall_s,
        "cpu_ms_per_run": batch.cpu,
        "wall_s": batch.wall_s,
        "polls": batch.polls,
        "samples_ms": {
            **{name: timings[name] for name in ("latency", "dispatch", "duration")},
            "sdk_round_trip": rtt,
            "commit": commits["raw"],
        },
    }


def context(args: argparse.Namespace) -> dict:
    """What the figures were measured on and with."""
    return {
        "benchmark": "ten_steps",
        "started_at": args.started_at,
        "git": git_revision(),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            # Other work on the machine skews every figure; this says how busy it was.
            "loadavg_at_end": os.getloadavg(),
        },
        "config": {
            "runs": args.runs,
            "concurrency": args.concurrency,
            "warmup": args.warmup,
            "samples": args.samples,
            "poll_interval_s": args.poll_interval,
            "watch": args.watch,
        },
    }


def print_table(results: dict) -> None:
    floor, run, config = results["floor"], results["run"], results["config"]
    per_run, commit = floor["per_run_ms"], floor["commit_ms"]["p50"]
    rtt = floor["sdk_round_trip_ms"]

    def row(label: str, value: float, base: float | None = None, unit: str = "ms") -> None:
        text = f"{label:<42}{value:9.2f} {unit:<5}"
        if base:
            text += f"floor {base:8.2f} {unit:<5} ratio {value / base:6.2f}x"
        print(text)

    print(
        f"\nten_steps: {len(results['samples_ms']['latency'])} runs, concurrency "
        f"{config['concurrency']}, {results['machine']['cpus']} CPUs, git {results['git']}"
    )
    row("10-step run latency p50 (queued->ended)", run["latency"]["p50"], per_run)
    row("10-step run latency p95", run["latency"]["p95"], per_run)
    row("run duration p50 (started->ended)", run["duration"]["p50"], per_run)
    row("queued->started p50", run["dispatch"]["p50"])
    row("queued->started p95", run["dispatch"]["p95"])
    row("server overhead per step", results["server_overhead_per_step_ms"], commit)
    row("per step: SDK call, server-timed (mean)", run["in_call"]["mean"], rtt["p50"])
    row("per step: between calls (mean)", run["between_calls"]["mean"], commit)
    row(f"runs/s (concurrency {config['concurrency']})", results["runs_per_s"], unit="")
    print(cpu_line(results["cpu_ms_per_run"], results["machine"]["cpus"]))
    print(
        f"floors: SDK round trip p50 {rtt['p50']:.2f} ms (p95 {rtt['p95']:.2f}); commit p50 "
        f"{commit:.3f} ms (p95 {floor['commit_ms']['p95']:.3f}); ORM create+commit p50 "
        f"{floor['orm_create_commit_ms']['p50']:.3f} ms; per run = {SDK_CALLS} x RTT + "
        f"{STEPS} x commit = {per_run:.2f} ms"
    )


def cpu_line(usage: dict[str, float | None], cpus: int | None) -> str:
    def ms(name: str) -> str:
        value = usage.get(name)
        return "?" if value is None else f"{value:.1f} ms"

    others = usage.get("others_cpu_pct")
    line = (
        f"CPU per run: server {ms('server')}, app {ms('app')}, bench {ms('bench')}; rest of the "
        f"machine meanwhile: {'?' if others is None else f'{others:.0f}%'} of one CPU "
        f"({cpus} CPUs)"
    )
    if others is not None and others > BUSY_MACHINE_PCT:
        line += "\nWARNING: other work on this machine skewed these figures; run again when idle"
    return line


def write_results(results: dict, benchmark: str = "ten_steps") -> Path:
    """bench/results/<benchmark>-<started_at>.json"""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{benchmark}-{results['started_at']}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


def git_revision() -> str:
    """Short HEAD, marked +dirty when the work tree has changes."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    try:
        head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
        return head + ("+dirty" if git("status", "--porcelain").strip() else "")
    except OSError:
        return "unknown"


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.parser("python -m bench.ten_steps", __doc__)
    parser.add_argument("--runs", type=int, default=200, help="measured runs (default 200)")
    parser.add_argument("--concurrency", type=int, default=1, help="runs in flight (default 1)")
    parser.add_argument("--warmup", type=int, default=20, help="runs before measuring")
    parser.add_argument("--samples", type=int, default=300, help="samples per floor")
    parser.add_argument(
        "--watch",
        choices=["db", "api"],
        default="db",
        help="how to learn that runs ended: read the server's SQLite file "
        "(default; costs the server nothing) or poll its API",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=0.002,
        help="seconds between checks for ended runs (default 0.002: a read of the SQLite file)",
    )
    return cli.parse(parser, argv, ["runs", "concurrency", "samples"])


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through `finally`, which stops the processes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with (
        tempfile.TemporaryDirectory(prefix="bench-ten-steps-") as tmp,
        running_stack(Path(tmp)) as (server, app),
    ):
        results = benchmark(server, app, Path(tmp), args)
    print_table(results)
    print(f"results: {write_results(results).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

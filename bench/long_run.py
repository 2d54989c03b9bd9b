"""Benchmark: one run of 100, 250, 500 and 1,000 sequential steps: total time, time per step,
the bytes of each SDK call, and the database work, to show how cost grows with a run's length.

Why: a run of N `step.run` calls costs N + 1 calls to the app and N stored steps, so the total
should grow like N and the cost per step stay flat. Two things can make it grow faster, and
this benchmark shows each one: every call's request body carries all the memoized steps so far
(the SDK protocol: call k sends k outputs, so the bytes sent over a run grow like N^2 / 2 and
the SDK replays k memoized steps before running step k + 1), and any per-call work of the server
that reads all of a run's steps.

It starts the dev server (embedded mode, SQLite) and the Python SDK test app (as
bench/ten_steps.py does) and runs the app's `many-steps` function once per N, one run at a
time. Per run it reports, from the server's own timestamps: queued->ended and started->ended,
ms per step, and the 1,000/100 ratio of ms per step (1.0 = linear). Bytes per SDK call: the
body of every call of the run, rebuilt with the server's own encoder (runs/protocol.py) from
the same step ids and outputs (mean per call, and the last call's). Database work: step rows,
bytes of stored outputs, and the growth of the database file (after a WAL checkpoint). CPU
per step of the server and the app tells whose cost grows. The run detail page and API of the
longest run are timed over HTTP beside the same server's cheapest API call (GET /api/apps).
With --count-queries a second server, with Django's SQL logging on (slower: its timings are
not reported), counts the queries per step.

The run page of the longest run is timed as a reader uses it: the page as opened (its latest
steps), its first page, a deep link to a step, the live fragment a websocket push re-fetches,
and a step's panel; each prints its p95 against the page budget (PAGE_BUDGET_MS, issue 14).
`--pages-only` makes one run of the longest length and times only those pages.

Usage, from the project root:
    .venv/bin/python -m bench.long_run [--steps 100,250,500,1000] [--count-queries]
    .venv/bin/python -m bench.long_run --steps 1000 --pages-only

Prints a table and writes bench/results/long_run-<timestamp>.json.
"""

import argparse
import os
import re
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from devserver.settings import sqlite_database
from tests.harness import DevServer, SdkApp, wait_until

from . import cpu, floors, ten_steps
from .stats import summary
from .ten_steps import ROOT, BenchServer, _exit_on_sigterm, _ms, git_revision, progress

FUNCTION, EVENT = "many-steps", "many"
DETAIL_REPEAT = 20
PAGE_REPEAT = 40  # the run page's views: enough samples for a p95 that is not the maximum
PAGE_BUDGET_MS = 300.0  # a 1,000-step run page answers in under this at p95 (issue 14)
RUN_TIMEOUT_S = 900.0
IDLE_S = 3.0
SQL_LINE = re.compile(r"django\.db\.backends: \([0-9.]+\) (\w+)")


def running_stack(work_dir: Path, log_queries: bool = False):  # type: ignore[no-untyped-def]
    """The dev server and the Python SDK app with `many-steps` synced; stopped on the way out."""
    server_class = QueryLoggingServer if log_queries else BenchServer
    return ten_steps.running_stack(work_dir, FUNCTION, server_class)


def sdk_request_bytes(slug: str, event_name: str, steps: int) -> list[int]:
    """The body size of each of the run's calls, built by the server's own encoder
    (runs/protocol.py) with the same step ids and outputs: call k carries k memoized steps."""
    return [len(floors.execution_body(slug, event_name, k)) for k in range(steps + 1)]


class QueryLoggingServer(BenchServer):
    """The dev server with DEBUG on and Django's SQL logger at DEBUG, so every query is a line
    of its log. The settings give `django.db.backends` no level of its own (it inherits INFO,
    and configuring logging resets it), so a wrapper around manage.py sets it right after
    Django configures logging; the server's code is unchanged."""

    WRAPPER = (
        "import logging, runpy, sys; import django.utils.log as django_log\n"
        "configure = django_log.configure_logging\n"
        "def configure_then_log_sql(*args):\n"
        "    configure(*args)\n"
        "    logging.getLogger('django.db.backends').setLevel(logging.DEBUG)\n"
        "django_log.configure_logging = configure_then_log_sql\n"
        "sys.argv = ['manage.py', *sys.argv[1:]]\n"
        "runpy.run_path('manage.py', run_name='__main__')\n"
    )

    def __init__(self, work_dir: Path, env: dict[str, str] | None = None) -> None:
        super().__init__(work_dir, env={**(env or {}), "DEVSERVER_DEBUG": "true"})

    def command(self) -> list[str]:
        python, script, *rest = super().command()
        assert script == "manage.py", script
        return [python, "-c", self.WRAPPER, *rest]


class Database:
    """The server's SQLite file, read beside it (the server is idle between runs)."""

    def __init__(self, server: DevServer) -> None:
        self.path = Path(sqlite_database(server.data_dir)["NAME"])
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def size_after_checkpoint(self) -> int:
        """Bytes of the main file once the WAL's pages are copied into it."""
        self.db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        return self.path.stat().st_size

    def run_of(self, event_id: str) -> tuple[str, str] | None:
        row = self.db.execute(
            "SELECT id, status FROM runs_run WHERE event_id = ?", [event_id]
        ).fetchone()
        return row if row and row[1] in ("Completed", "Failed", "Cancelled") else None

    def step_rows(self, run_id: str) -> tuple[int, int]:
        """Step rows of the run, and the bytes of their stored outputs (memo JSON)."""
        rows, memo = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(memo)), 0) FROM runs_step WHERE run_id = ?",
            [run_id],
        ).fetchone()
        return rows, memo

    def close(self) -> None:
        self.db.close()


def one_run(server: DevServer, app: SdkApp, db: Database, steps: int) -> dict:
    """Send one event for a run of `steps` steps, wait for it to end, and measure it."""
    pids = {"server": server.process.proc.pid, "app": app.process.proc.pid}
    size_before = db.size_after_checkpoint()
    cpu_before = cpu.snapshot(pids)
    started = time.perf_counter()
    [event_id] = server.send({"name": app.event(EVENT), "data": {"steps": steps}})
    run_id, status = wait_until(
        lambda: db.run_of(event_id), RUN_TIMEOUT_S, f"the {steps}-step run to end", 0.02
    )
    wall = time.perf_counter() - started
    cpu_used = cpu.usage(cpu_before, cpu.snapshot(pids), steps, wall)
    if status != "Completed":
        raise RuntimeError(f"the {steps}-step run {run_id} ended {status}")
    run = server.run(run_id)
    rows, memo_bytes = db.step_rows(run_id)
    calls = steps + 1
    sizes = sdk_request_bytes(app.slug(FUNCTION), app.event(EVENT), steps)
    duration = _ms(run["started_at"], run["ended_at"])
    return {
        "steps": steps,
        "run_id": run_id,
        "queued_to_ended_ms": _ms(run["queued_at"], run["ended_at"]),
        "started_to_ended_ms": duration,
        "ms_per_step": duration / steps,
        "sdk_calls": calls,
        "sdk_request_bytes_per_call": sum(sizes) / calls,
        "sdk_request_bytes_total": sum(sizes),
        "first_call_body_bytes": sizes[0],
        "last_call_body_bytes": sizes[-1],
        "step_rows": rows,
        "stored_output_bytes": memo_bytes,
        "db_file_growth_bytes": db.size_after_checkpoint() - size_before,
        "cpu_ms_per_step": cpu_used,
    }


def time_get(server: DevServer, path: str, repeat: int) -> dict:
    """GET `path` on the running server `repeat` times (after one warm-up): ms."""
    samples = []
    for attempt in range(repeat + 1):
        started = time.perf_counter()
        response = server.http.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
        if attempt:
            samples.append(elapsed)
    return summary(samples) | {"bytes": len(response.content)}


def time_run_page(server: DevServer, run_id: str, steps: int) -> dict[str, dict]:
    """The run page of `run_id` as a reader uses it, each view timed PAGE_REPEAT times."""
    hashed = [s["hashed_id"] for s in server.http.get(f"/api/runs/{run_id}").json()["steps"]]
    middle = hashed[len(hashed) // 2] if hashed else ""
    base = f"/runs/{run_id}/"
    views = {
        "opened (latest steps)": base,
        "first page": f"{base}?page=1",
        "deep link to a step": f"{base}?step={middle}",
        "live fragment, step kept": f"{base}?fragment=live&step={middle}",
        "step panel": f"{base}?fragment=panel&step={middle}",
    }
    return {
        f"run page ({steps} steps): {label}": time_get(server, path, PAGE_REPEAT)
        for label, path in views.items()
    }


def count_queries(work_dir: Path, counts: list[int]) -> dict[int, dict]:
    """Queries per step, from Django's SQL log on a second server (DEBUG on, so slower). The
    server's background work (reconciler, lease renewals) also queries: its rate while idle is
    measured first and taken off."""
    found = {}
    with (
        running_stack(work_dir, log_queries=True) as (server, app),
        closing(Database(server)) as db,
    ):
        log = server.process.log_path
        one_run(server, app, db, 5)  # warm up
        for steps in counts:
            progress(f"counting queries: {IDLE_S:.0f} s idle, then one run of {steps} steps")
            idle = _sql_verbs(log, lambda: time.sleep(IDLE_S))
            idle_per_s = sum(idle.values()) / IDLE_S
            started = time.perf_counter()
            verbs = _sql_verbs(log, lambda steps=steps: one_run(server, app, db, steps))
            background = idle_per_s * (time.perf_counter() - started)
            total = sum(verbs.values())
            found[steps] = {
                "queries": total,
                "idle_queries_per_s": idle_per_s,
                "per_step": (total - background) / steps,
                "by_verb": dict(verbs),
            }
    return found


def _sql_verbs(log: Path, action: Callable[[], object]) -> Counter:
    """Queries the server logged while `action` ran, by their first word."""
    start = log.stat().st_size
    action()
    time.sleep(0.3)  # another process writes the log
    with log.open("rb") as handle:
        handle.seek(start)
        text = handle.read().decode(errors="replace")
    return Counter(match.group(1).upper() for match in SQL_LINE.finditer(text))


def benchmark(work_dir: Path, args: argparse.Namespace) -> dict:
    runs = []
    lengths = args.steps[-1:] if args.pages_only else args.steps
    with running_stack(work_dir / "timed") as (server, app), closing(Database(server)) as db:
        progress("warming up: one run of 20 steps")
        one_run(server, app, db, 20)
        for steps in lengths:
            progress(f"measuring: one run of {steps} steps")
            runs.append(one_run(server, app, db, steps))
        longest = runs[-1]
        progress(f"timing the run detail of the {longest['steps']}-step run")
        pages = {
            "floor: GET /api/apps": time_get(server, "/api/apps", DETAIL_REPEAT),
            f"GET /api/runs/<id> ({longest['steps']} steps)": time_get(
                server, f"/api/runs/{longest['run_id']}", DETAIL_REPEAT
            ),
            f"GET /runs/<id>/ ({longest['steps']} steps)": time_get(
                server, f"/runs/{longest['run_id']}/", DETAIL_REPEAT
            ),
        }
        progress(f"timing the run page of the {longest['steps']}-step run as a reader uses it")
        pages |= time_run_page(server, longest["run_id"], longest["steps"])
    queries = count_queries(work_dir / "queries", args.steps) if args.count_queries else {}
    first, last = runs[0], runs[-1]
    return {
        "benchmark": "long_run",
        "started_at": args.started_at,
        "git": git_revision(),
        "machine": {"cpus": os.cpu_count(), "loadavg_at_end": os.getloadavg()},
        "config": {
            "steps": lengths,
            "count_queries": args.count_queries,
            "pages_only": args.pages_only,
        },
        "page_budget_ms": PAGE_BUDGET_MS,
        "runs": runs,
        "per_step_ratio": last["ms_per_step"] / first["ms_per_step"],
        "pages_ms": pages,
        "queries": {str(steps): q for steps, q in queries.items()},
    }


def print_table(results: dict) -> None:
    runs, queries = results["runs"], results["queries"]
    load = ", ".join(f"{x:.2f}" for x in results["machine"]["loadavg_at_end"])
    print(
        f"\nlong_run: one run at a time, {results['machine']['cpus']} CPUs, load {load}, "
        f"git {results['git']}"
    )
    print(
        f"{'steps':>6}{'run ms':>9}{'ms/step':>9}{'B/call':>9}{'last body':>10}"
        f"{'rows':>6}{'out B':>8}{'db B/step':>10}{'srv CPU/step':>13}{'app CPU/step':>13}"
        + ("  queries/step" if queries else "")
    )
    for run in runs:
        used = run["cpu_ms_per_step"]
        line = (
            f"{run['steps']:6d}{run['started_to_ended_ms']:9.0f}{run['ms_per_step']:9.2f}"
            f"{run['sdk_request_bytes_per_call']:9.0f}"
            f"{run['last_call_body_bytes']:10d}{run['step_rows']:6d}"
            f"{run['stored_output_bytes']:8d}{run['db_file_growth_bytes'] / run['steps']:10.0f}"
            f"{_ms_or_unknown(used.get('server')):>13}{_ms_or_unknown(used.get('app')):>13}"
        )
        if queries:
            line += f"{queries[str(run['steps'])]['per_step']:14.1f}"
        print(line)
    first, last = runs[0], runs[-1]
    print(
        f"ms per step, {last['steps']} steps / {first['steps']} steps: "
        f"{results['per_step_ratio']:.2f}x (1.00x = linear growth of the total)"
    )
    ratios = []
    for name in ("server", "app"):
        before, after = first["cpu_ms_per_step"].get(name), last["cpu_ms_per_step"].get(name)
        ratios.append(f"{name} {'?' if not before or after is None else f'{after / before:.2f}x'}")
    print(f"CPU per step, {last['steps']} / {first['steps']}: {', '.join(ratios)}")
    floor = next(iter(results["pages_ms"].values()))["p50"]
    for label, page in results["pages_ms"].items():
        verdict = ""
        if label.startswith("run page"):
            verdict = "  ok" if page["p95"] < results["page_budget_ms"] else "  OVER BUDGET"
        print(
            f"{label:<52} p50 {page['p50']:8.1f} ms  p95 {page['p95']:8.1f} ms  "
            f"{page['bytes']:>9} B  {page['p50'] / floor:6.1f}x floor{verdict}"
        )
    print(f"run page budget: p95 under {results['page_budget_ms']:.0f} ms")
    others = [run["cpu_ms_per_step"].get("others_cpu_pct") for run in runs]
    print(
        "rest of the machine meanwhile: "
        + ", ".join("?" if o is None else f"{o:.0f}%" for o in others)
        + " of one CPU (this client included)"
    )


def _ms_or_unknown(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.long_run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--steps",
        default="100,250,500,1000",
        help="comma-separated run lengths, shortest first (default 100,250,500,1000)",
    )
    parser.add_argument(
        "--count-queries",
        action="store_true",
        help="also count SQL queries per step on a second server with SQL logging on",
    )
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="one run of the longest length, then time its run page (no growth table)",
    )
    args = parser.parse_args(argv)
    try:
        args.steps = [int(n) for n in args.steps.split(",")]
    except ValueError:
        parser.error("--steps takes whole numbers separated by commas")
    if min(args.steps) < 1 or args.steps != sorted(args.steps):
        parser.error("--steps must be positive and in increasing order")
    args.started_at = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with tempfile.TemporaryDirectory(prefix="bench-long-run-") as tmp:
        results = benchmark(Path(tmp), args)
    print_table(results)
    path = ten_steps.write_results(results, "long_run")
    print(f"results: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

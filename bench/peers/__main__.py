"""Benchmark: the same 10-step workflow on DBOS, as a Celery chain, and on our server, in one
invocation, alternating the systems in rounds, each set up as its users would.

The same 10 sequential steps, each returning a small value, on:
  dbos    a @DBOS.workflow of 10 @DBOS.step calls in this process (DBOS is a library), on a
          fresh database of the shared Postgres (bench/peers/dbos_workflow.py: its setup,
          checked against DBOS's docs).
  celery  a chain of 10 tasks, run by a `celery worker` subprocess (prefork, acks_late) on
          the shared Redis as broker and result backend (bench/peers/celery_chain.py: its
          setup, checked against Celery's docs).
  ours    the dev server (embedded mode) and the official Python SDK's test app, as
          bench.ten_steps starts them, three times per concurrency: a client polling the REST
          API, a client whose polls ask the server to hold them until the run ends
          (`?wait=30`), then server-timed without polling (bench/peers/ours.py).

Every system gets the same client and completion signal: C threads in a closed loop, each
starting a run the way a user's script does and waiting for the system to say it ended
(DBOS: start_workflow + get_result; Celery: apply_async + AsyncResult.get; ours: POST the
event, then poll `GET /v1/events/{id}/runs`, every 5 ms or held with `?wait=`), after a warmup
at the same concurrency.
Systems alternate in rounds (dbos, celery, ours, dbos, celery, ours, ...), each round on a
fresh setup, so a machine that gets busier or quieter during the invocation weighs on all of
them. CPU per run is given for every process involved: the system's own (server, SDK app,
worker; DBOS's app is this process, with its client), the client, Postgres and Redis. The rest
of the machine's load is shown: on a busy machine the figures are not to be trusted.

Why it was rewritten: the README's peer rows (DBOS p50 56 ms, Celery 45 ms at concurrency 1)
were 2-3x what the same peers did here later. The code that measured them had not changed, and
it measured DBOS at 16 ms and Celery at 15 ms on a busy machine; the README's CPU per DBOS run
(41-57 ms) was 3x what the same work costs now: that invocation ran while the machine was
slower or busier, and as it ran the systems one after the other (all of DBOS, then Celery,
then ours) the slowdown fell on some systems more than others, with no load shown per row.
Besides: Celery ran a threads pool of 8 (mirroring our worker) instead of its documented
default, and ours was timed by the server (queued->ended) while the peers were timed by
their client, so the rows did not measure the same thing.

Usage, from the project root (needs `pip install -e '.[bench]'`, or `make bench-peers`):
    .venv/bin/python -m bench.peers [--runs 100] [--concurrency 1 8 32] [--rounds 2]
    .venv/bin/python -m bench.peers --quick    # a smoke check: few runs, one round

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
from ..ten_steps import RESULTS_DIR, ROOT, _exit_on_sigterm, git_revision, progress
from . import celery_chain, ours
from .loop import measure
from .table import print_table

SYSTEMS = ("dbos", "celery", "ours")
QUICK = {"runs": 10, "warmup": 2, "rounds": 1, "concurrency": [1, 8]}


def measure_dbos(args: argparse.Namespace, work_dir: Path) -> tuple[list[dict], dict]:
    try:
        from . import dbos_workflow
    except ImportError as error:  # dbos is in the optional `bench` group only
        raise SystemExit(f"{error}: install it with `pip install -e '.[bench]'`") from None
    rows = []
    with dbos_workflow.launched(args.pg_url) as (processes, postgres):
        for concurrency in args.concurrency:
            progress(f"dbos: {args.warmup} + {args.runs} runs, concurrency {concurrency}")
            rows.append(
                measure("dbos", dbos_workflow.run, concurrency, args.runs, args.warmup, processes)
            )
    return rows, {"dbos": version("dbos"), "postgres": postgres}


def measure_celery(args: argparse.Namespace, work_dir: Path) -> tuple[list[dict], dict]:
    rows = []
    with celery_chain.worker(args.redis_url, args.celery_processes, work_dir) as (processes, run):
        for concurrency in args.concurrency:
            progress(f"celery: {args.warmup} + {args.runs} runs, concurrency {concurrency}")
            rows.append(measure("celery", run, concurrency, args.runs, args.warmup, processes))
    with redis.Redis.from_url(args.redis_url) as client:
        server_version = client.info("server")["redis_version"]
    return rows, {"celery": version("celery"), "redis": server_version}


def measure_ours(args: argparse.Namespace, work_dir: Path) -> tuple[list[dict], dict]:
    rows = []
    poll_s = args.poll_ms / 1000
    with ours.running(work_dir) as stack:
        for concurrency in args.concurrency:
            progress(f"ours: {args.warmup} + {args.runs} runs, concurrency {concurrency}, polling")
            polled = ours.measure_polling(stack, concurrency, args.runs, args.warmup, poll_s)
            progress(f"ours: {args.warmup} + {args.runs} runs, concurrency {concurrency}, waiting")
            waited = ours.measure_waiting(stack, concurrency, args.runs, args.warmup)
            progress(f"ours: {args.warmup} + {args.runs} runs, concurrency {concurrency}, no poll")
            timed = ours.measure_server_timed(stack, concurrency, args.runs, args.warmup)
            rows += [polled, waited, timed]
        progress(f"ours: server CPU of {ours.POLL_COST_SAMPLES} polls on the idle server")
        per_poll = ours.poll_cost_ms(stack)
    for row in rows:
        if "requests_per_run" in row:
            row["server_cpu_ms_per_poll"] = per_poll
    return rows, {"inngest-sdk (python)": version("inngest")}


MEASURE = {"dbos": measure_dbos, "celery": measure_celery, "ours": measure_ours}


def write_results(results: dict, results_dir: Path) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"peers-{results['started_at']}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    argv = sys.argv[1:] if argv is None else argv
    parser = cli.parser("python -m bench.peers", __doc__)
    parser.add_argument("--runs", type=int, default=100, help="measured runs per row (100)")
    parser.add_argument(
        "--warmup", type=int, default=20, help="runs before each row (20, at least C if not 0)"
    )
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 8, 32], help="runs in flight (1 8 32)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="rounds of every system (2)")
    parser.add_argument(
        "--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS), help="in this order (all)"
    )
    parser.add_argument(
        "--poll-ms",
        type=float,
        default=5.0,
        help="ours: ms a client waits between polls (5: a few polls in a 20-40 ms run; "
        "every client in flight polls, so at concurrency 8 the server gets ~1,600/s)",
    )
    parser.add_argument(
        "--pg-url", default=PG_URL, help=f"Postgres server, no database name ({PG_URL})"
    )
    parser.add_argument(
        "--redis-url", default=f"{REDIS_BASE}/14", help=f"Redis database ({REDIS_BASE}/14)"
    )
    parser.add_argument(
        "--celery-processes",
        type=int,
        default=None,
        help="Celery prefork children (Celery's default: one per CPU)",
    )
    cli.add_quick_and_results(parser, QUICK, RESULTS_DIR)
    # The README's command predates ours being measured by default; it still works.
    parser.add_argument("--ours", action="store_true", help=argparse.SUPPRESS)
    return cli.parse(parser, argv, ["runs", "concurrency", "rounds"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    loadavg_at_start = os.getloadavg()
    rows: list[dict] = []
    versions: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        for round_number in range(1, args.rounds + 1):
            for system in args.systems:
                work_dir = Path(tmp) / f"{system}-{round_number}"
                work_dir.mkdir()
                system_rows, system_versions = MEASURE[system](args, work_dir)
                rows += [{"round": round_number, **row} for row in system_rows]
                versions |= system_versions
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
            for key in (
                "runs",
                "warmup",
                "concurrency",
                "rounds",
                "systems",
                "poll_ms",
                "celery_processes",
            )
        },  # fmt: skip
        "results": rows,
    }
    print_table(results)
    path = write_results(results, args.results_dir.resolve())
    print(f"results: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

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
  HTTP/1.1 app in another process: round trip and client CPU, http.client vs httpx;
- and, unless --e2e-runs 0, the 10-step function on the Python SDK (bench.ten_steps' stack)
  with all five on vs all five off: runs/s at concurrency 1 and 8 and server CPU per run.

Usage, from the project root:
    .venv/bin/python -m bench.speed_pieces [--samples 2000] [--rounds 3] [--e2e-runs 100]

Prints a table and writes bench/results/speed_pieces-<timestamp>.json.
"""

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import closing, suppress
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

from tests.harness import ROOT, free_port, wait_until

from . import cli, cpu, floors, ten_steps
from .stats import summary
from .watch import DbWatcher

SWITCHES = {
    "fast_sql": "DEVSERVER_FAST_SQL",
    "http_handler": "DEVSERVER_FAST_HTTP_HANDLER",
    "memory_broker": "DEVSERVER_FAST_MEMORY_BROKER",
    "sqlite_backend": "DEVSERVER_FAST_SQLITE_BACKEND",
    "http_pool": "DEVSERVER_FAST_HTTP_POOL",
}
WRITERS = 8
IN_FLIGHT = 8
# A minimal keep-alive app for the SDK-call round trip: it answers 206 with a step's opcode.
_APP = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
ANSWER = b'[{"op": "StepRun", "id": "x", "name": "s", "data": {"i": 1}}]'
class App(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(206)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), App).serve_forever()
"""


def alternate(rounds: int, measure: Callable[[bool, int], dict[str, list[float]]]) -> dict:
    """`measure(on, round)` per round, on then off; the samples of each side pooled."""
    pooled: dict[bool, dict[str, list[float]]] = {True: {}, False: {}}
    for number in range(rounds):
        for on in (True, False) if number % 2 == 0 else (False, True):
            for name, values in measure(on, number).items():
                pooled[on].setdefault(name, []).extend(values)
    return {"on": pooled[True], "off": pooled[False]}


def bench_fast_sql(samples: int, rounds: int) -> dict:
    from django.conf import settings
    from django.db import transaction

    from foundation import fast_sql
    from runs.models import Step

    run, numbers = floors._floor_run(), count()

    def measure(on: bool, _: int) -> dict[str, list[float]]:
        settings.FAST_SQL = on
        inserts, updates = [], []
        with transaction.atomic():  # CPU of building and running, not of committing
            for _ in range(samples // rounds):
                number, now = next(numbers), datetime.now(UTC)
                step = Step(
                    run=run, hashed_id=f"b{number}", name="s", opcode="StepRun",
                    status="Running", started_at=now, position=number,
                )  # fmt: skip
                start = time.thread_time_ns()
                fast_sql.insert(step)
                middle = time.thread_time_ns()
                fast_sql.update(
                    Step, {"id": step.id}, status="Completed", memo={"data": number}, ended_at=now
                )
                inserts.append((middle - start) / 1000)
                updates.append((time.thread_time_ns() - middle) / 1000)
        return {"insert_cpu_us": inserts, "update_cpu_us": updates}

    try:
        return alternate(rounds, measure)
    finally:
        settings.FAST_SQL = True


def bench_http_handler(samples: int, rounds: int) -> dict:
    from django.core.handlers.asgi import ASGIHandler

    from devserver.http_handler import OneHopASGIHandler

    handlers = {True: OneHopASGIHandler(), False: ASGIHandler()}

    async def get(handler: Any) -> int:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": "/api/apps", "raw_path": b"/api/apps",
            "query_string": b"", "root_path": "", "headers": [(b"host", b"localhost")],
            "client": ("127.0.0.1", 50000), "server": ("localhost", 80),
        }  # fmt: skip
        incoming = [{"type": "http.request", "body": b"", "more_body": False}]
        status: list[int] = []

        async def receive() -> dict:
            if incoming:
                return incoming.pop(0)
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await handler(scope, receive, send)
        return status[0]

    async def load(handler: Any, requests: int) -> None:
        left = iter(range(requests))

        async def client() -> None:
            for _ in left:
                if await get(handler) != 200:
                    raise RuntimeError("GET /api/apps did not answer 200")

        await asyncio.gather(*(client() for _ in range(IN_FLIGHT)))

    def measure(on: bool, _: int) -> dict[str, list[float]]:
        requests = max(samples // rounds // 2, IN_FLIGHT)
        asyncio.run(load(handlers[on], IN_FLIGHT * 4))  # warm: threads, connections
        cpu_start, start = time.process_time(), time.perf_counter()
        asyncio.run(load(handlers[on], requests))
        wall, used = time.perf_counter() - start, time.process_time() - cpu_start
        return {"requests_per_s": [requests / wall], "cpu_ms_per_request": [used * 1e3 / requests]}

    return alternate(rounds, measure)


def bench_memory_broker(samples: int, rounds: int) -> dict:
    from kombu import Connection, Exchange, Queue

    from devserver import memory_broker  # noqa: F401  (registers devserver-memory://)

    # Off: kombu's memory transport, polled every 5 ms as settings.py configures it.
    stock = ("memory://", {"polling_interval": 0.005})
    transports = {True: ("devserver-memory://", {}), False: stock}

    def measure(on: bool, number: int) -> dict[str, list[float]]:
        url, options = transports[on]
        name = f"bench-{on}-{number}"
        queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
        arrived: list[float] = []
        stop = threading.Event()
        got = threading.Event()

        def consume() -> None:
            with (
                Connection(url, transport_options=options) as connection,
                connection.Consumer(queue, callbacks=[on_message], accept=["json"]),
            ):
                while not stop.is_set():
                    with suppress(TimeoutError):
                        connection.drain_events(timeout=0.5)

        def on_message(body: object, message: Any) -> None:
            arrived.append(time.perf_counter())
            message.ack()
            got.set()

        consumer = threading.Thread(target=consume, daemon=True)
        consumer.start()
        time.sleep(0.2)
        idle_start = time.process_time()
        time.sleep(1.0)  # nothing sent: what an idle consumer costs
        idle_cpu_pct = (time.process_time() - idle_start) * 100
        latencies = []
        with Connection(url, transport_options=options) as connection:
            producer = connection.Producer(serializer="json")
            for _ in range(max(samples // rounds // 10, 20)):
                time.sleep(0.003)  # the consumer is asleep when the message comes
                got.clear()
                sent = time.perf_counter()
                producer.publish({"wake": 1}, exchange=queue.exchange, routing_key=name)
                if not got.wait(5):
                    raise RuntimeError("a message was not delivered within 5 s")
                latencies.append((arrived[-1] - sent) * 1000)
        stop.set()
        consumer.join(5)
        return {"latency_ms": latencies, "idle_cpu_pct": [idle_cpu_pct]}

    return alternate(rounds, measure)


def bench_sqlite_backend(data_dir: Path, samples: int, rounds: int) -> dict:
    from django.db import connections, transaction

    from devserver.settings import sqlite_database

    engines = {True: "devserver.sqlite_backend", False: "django.db.backends.sqlite3"}

    def measure(on: bool, number: int) -> dict[str, list[float]]:
        alias = f"bench_sqlite_{on}_{number}"
        database = {**sqlite_database(data_dir / alias), "ENGINE": engines[on]}
        (data_dir / alias).mkdir(parents=True, exist_ok=True)
        connections.settings[alias] = connections.configure_settings(
            {"default": {}, alias: database}
        )[alias]
        with connections[alias].cursor() as cursor:
            cursor.execute("CREATE TABLE t (n INTEGER NOT NULL, body TEXT NOT NULL)")
        each = max(samples // rounds // WRITERS, 10)
        timings: list[float] = []
        lock = threading.Lock()

        def writer() -> None:
            mine = []
            for n in range(each):
                start = time.perf_counter()
                with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
                    cursor.execute("INSERT INTO t (n, body) VALUES (%s, %s)", [n, "x" * 300])
                mine.append((time.perf_counter() - start) * 1000)
            connections[alias].close()
            with lock:
                timings.extend(mine)

        threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - start
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]
        return {"commits_per_s": [len(timings) / wall], "transaction_ms": timings}

    return alternate(rounds, measure)


def bench_http_pool(samples: int, rounds: int) -> dict:
    import httpx
    from django.conf import settings

    from runs import http_pool

    port = free_port()
    app = subprocess.Popen([sys.executable, "-c", _APP, str(port)])
    url = f"http://127.0.0.1:{port}/api/inngest?fnId=bench&stepId=step"
    body = floors.execution_body("bench", "bench/ten")
    headers = {**floors.SDK_HEADERS, "User-Agent": "bench"}
    try:
        wait_until(lambda: httpx.post(url, content=b"{}").status_code == 206, 10, "the app")

        def measure(on: bool, _: int) -> dict[str, list[float]]:
            settings.FAST_HTTP_POOL = on
            trips, cpus = [], []
            for index in range(max(samples // rounds, 50) + 20):
                start, cpu_start = time.perf_counter(), time.thread_time_ns()
                if http_pool.post(url, body, headers, 30.0).status != 206:
                    raise RuntimeError("the app did not answer 206")
                if index >= 20:  # the first calls open connections
                    trips.append((time.perf_counter() - start) * 1000)
                    cpus.append((time.thread_time_ns() - cpu_start) / 1000)
            return {"round_trip_ms": trips, "client_cpu_us": cpus}

        return alternate(rounds, measure)
    finally:
        settings.FAST_HTTP_POOL = True
        app.terminate()
        app.wait(10)


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

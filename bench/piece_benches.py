"""The micro-benchmarks of bench.speed_pieces, one per speed piece, each measured with the
piece on and off in alternating rounds.

The project's own modules are imported inside the functions that use them: the command sets
Django up first (as bench/floors.py does), and models cannot load before that."""

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

from tests.harness import free_port, wait_until

from . import floors

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

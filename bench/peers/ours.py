"""Our server in the peers' shape: the dev server (embedded mode) and the Python SDK test app
of bench.ten_steps, driven two ways on the same stack.

- polling: the client a user's script (or the SDK test suites) has: send the event over HTTP
  (`POST /e/{key}`), then poll the REST API's `GET /v1/events/{id}/runs` every `poll_s`
  until the run has ended; client-timed, like DBOS's get_result() and Celery's get(). The
  polls are the price of a system with no push to the client: requests per run, and the
  server CPU a poll costs (measured on the idle server afterwards), are reported.
- waiting: the same client, its GETs asking `?wait=30`: the server holds each until the run has
  ended (devserver/run_end_waits.py), so a run costs one POST and about one GET.
- server-timed: the same events, with run ends read from the server's SQLite file (no cost
  to the server; bench/watch.py) and latency from the server's own queued->ended stamps: what
  the server does without the polls. It excludes the event's POST, so it is not comparable
  with the client-timed rows; it is the floor the polling row stands on."""

import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.harness import EVENT_KEY, TERMINAL, DevServer, SdkApp

from .. import ten_steps
from ..watch import DbWatcher
from .loop import Processes, closed_loop, metered, row, warmup_runs

RUN_TIMEOUT_S = 60.0
POLL_COST_SAMPLES = 200  # polls timed on the idle server to price one


@dataclass
class Stack:
    server: DevServer
    app: SdkApp
    processes: Processes
    last_event: str = ""  # an event whose run ended: what the poll-cost probe asks about


@contextmanager
def running(work_dir: Path) -> Iterator[Stack]:
    """A fresh dev server and SDK app with the ten-steps function synced."""
    with ten_steps.running_stack(work_dir) as (server, app):
        assert server.process is not None and server.process.proc is not None
        assert app.process.proc is not None
        sessions = {"server": server.process.proc.pid, "app": app.process.proc.pid}
        yield Stack(server, app, Processes(sessions))


@dataclass
class PollingClient:
    """Sends an event and polls for its run's end, one HTTP connection per client thread (a
    script's keep-alive session). Counts the requests it makes."""

    stack: Stack
    poll_s: float  # between two polls; 0 with wait_s
    wait_s: int = 0  # asked of the server per poll: hold the answer until the run ends
    requests: int = 0
    _local: threading.local = field(default_factory=threading.local)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        http = self._http()
        name = self.stack.app.event(ten_steps.EVENT)
        response = http.post(f"/e/{EVENT_KEY}", json={"name": name, "data": {}})
        response.raise_for_status()
        [event_id] = response.json()["ids"]
        requests, deadline = 1, time.monotonic() + RUN_TIMEOUT_S
        query = f"?wait={self.wait_s}" if self.wait_s else ""
        while True:
            if self.poll_s:
                time.sleep(self.poll_s)
            runs = http.get(f"/v1/events/{event_id}/runs{query}").json()["data"]
            requests += 1
            if runs and runs[0]["status"] in TERMINAL:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the run of event {event_id} did not end in time")
        if runs[0]["status"] != "Completed":
            raise RuntimeError(f"run {runs[0]['run_id']} ended {runs[0]['status']}")
        with self._lock:  # `+=` on a shared int is not atomic across threads
            self.requests += requests
        self.stack.last_event = event_id

    def _http(self) -> httpx.Client:
        if not hasattr(self._local, "http"):
            self._local.http = httpx.Client(base_url=self.stack.server.url, timeout=30)
        return self._local.http


def measure_polling(stack: Stack, concurrency: int, runs: int, warmup: int, poll_s: float) -> dict:
    result = _client_timed("ours, polling", PollingClient(stack, poll_s), concurrency, runs, warmup)
    result["poll_interval_ms"] = poll_s * 1000
    return result


def measure_waiting(stack: Stack, concurrency: int, runs: int, warmup: int) -> dict:
    client = PollingClient(stack, poll_s=0, wait_s=30)
    return _client_timed("ours, waiting", client, concurrency, runs, warmup)


def _client_timed(
    system: str, client: PollingClient, concurrency: int, runs: int, warmup: int
) -> dict:
    closed_loop(client.run, warmup_runs(warmup, concurrency), concurrency)
    client.requests = 0
    with metered(client.stack.processes) as usage:
        latencies, _ = closed_loop(client.run, runs, concurrency)
    result = row(system, concurrency, latencies, usage)
    result["requests_per_run"] = client.requests / runs
    return result


def measure_server_timed(stack: Stack, concurrency: int, runs: int, warmup: int) -> dict:
    server, app = stack.server, stack.app
    with closing(DbWatcher(server)) as watcher:
        # 2 ms between reads of the SQLite file, as bench.ten_steps does.
        ten_steps.drive(server, app, watcher, warmup_runs(warmup, concurrency), concurrency, 0.002)
        with metered(stack.processes) as usage:
            batch = ten_steps.drive(server, app, watcher, runs, concurrency, 0.002)
    latencies = ten_steps.run_timings(server, batch.run_ids)["latency"]
    return row("ours, server-timed", concurrency, latencies, usage)


def poll_cost_ms(stack: Stack) -> float:
    """Server CPU ms of one `GET /v1/events/{id}/runs` of an ended run, on the idle server."""
    with (
        httpx.Client(base_url=stack.server.url, timeout=30) as http,
        metered(stack.processes) as usage,
    ):
        for _ in range(POLL_COST_SAMPLES):
            http.get(f"/v1/events/{stack.last_event}/runs").raise_for_status()
    return usage.cpu_ms["server"] / POLL_COST_SAMPLES

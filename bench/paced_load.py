"""Load for bench.filter_cost: single-event ingest at a steady, open-loop rate, the server's
RSS sampled meanwhile, and one window of filter requests measured beside it."""

import argparse
import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

import httpx

from tests.harness import EVENT_KEY

from . import cpu
from .adversarial_filters import EVENT_NAME, Filter, Surface, answer_of
from .ingest_load import event
from .stats import summary
from .ten_steps import progress

INGEST_CONNECTIONS = 4  # enough that a slow answer does not hold back the next due request
RSS_EVERY_S = 0.02


# --- Load and measurements ------------------------------------------------------------------


class PacedIngest:
    """Single-event POSTs at a steady rate from a few keep-alive connections. Request i is due
    at start + i / rate; its latency runs from then (not from when a connection was free)."""

    def __init__(self, port: int, rate: float) -> None:
        self.port, self.rate = port, rate
        self.samples: list[tuple[float, float]] = []  # (due, latency ms), monotonic clock
        self.failures: list[tuple[float, int]] = []  # (due, status), kept going after
        self.stop_event = threading.Event()
        self.numbers = count()
        self.threads: list[threading.Thread] = []

    def start(self) -> "PacedIngest":
        self.started = time.monotonic()
        self.threads = [threading.Thread(target=self._client) for _ in range(INGEST_CONNECTIONS)]
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join()

    def between(self, start: float, end: float) -> list[float]:
        """Latencies (ms) of the requests due from `start` to `end`."""
        return [ms for due, ms in list(self.samples) if start <= due < end]

    def errors_between(self, start: float, end: float) -> Counter:
        """The statuses other than 200 of the requests due from `start` to `end`."""
        return Counter(status for due, status in list(self.failures) if start <= due < end)

    def _client(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Content-Type": "application/json"}
        with closing(connection):
            while not self.stop_event.is_set():
                n = next(self.numbers)
                due = self.started + n / self.rate
                if self.stop_event.wait(max(0.0, due - time.monotonic())):
                    return
                body = json.dumps(event(EVENT_NAME, n)).encode()
                connection.request("POST", f"/e/{EVENT_KEY}", body, headers)
                response = connection.getresponse()
                answer = response.read()
                self.samples.append((due, (time.monotonic() - due) * 1000))
                if response.status != 200:  # counted, and shown beside the window it fell in
                    self.failures.append((due, response.status))
                    progress(f"  ingest answered {response.status}: {answer[:120]!r}")


def rss_mib(pid: int) -> float:
    """Resident memory of process `pid` now (MiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class RssSampler:
    """The server's RSS every RSS_EVERY_S seconds, to find the peak of any stretch of time."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[tuple[float, float]] = []  # (monotonic, MiB)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._sample)

    def _sample(self) -> None:
        while not self.stop_event.wait(RSS_EVERY_S):
            self.samples.append((time.monotonic(), rss_mib(self.pid)))

    def peak(self, start: float, end: float) -> float:
        return max([mib for at, mib in list(self.samples) if start <= at <= end] or [0.0])

    def __enter__(self) -> "RssSampler":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.thread.join()


@dataclass
class Ingest:
    """A stretch of ingest alone."""

    latencies_ms: list[float]
    wall_s: float
    cpu: dict[str, float | None]
    errors: Counter

    def figures(self) -> dict:
        return {
            "latency_ms": summary(self.latencies_ms),
            "errors": dict(self.errors),
            "requests_per_s": len(self.latencies_ms) / self.wall_s,
            "cpu_ms_per_request": self.cpu,
        }


def ingest_alone(port: int, pid: int, rate: float, seconds: float) -> Ingest:
    load = PacedIngest(port, rate)
    before = cpu.snapshot({"server": pid})
    load.start()
    time.sleep(seconds)
    load.stop()
    wall = time.monotonic() - load.started
    latencies = [ms for _, ms in load.samples]
    used = cpu.usage(before, cpu.snapshot({"server": pid}), len(latencies), wall)
    return Ingest(latencies, wall, used, load.errors_between(load.started, time.monotonic()))


@dataclass
class Window:
    """One filter sent to one surface for a while, with ingest going on."""

    surface: str
    filter: str
    operator: bool
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    answer: str = ""
    server_cpu_ms: float = 0.0  # all of the server's CPU in the window
    ingest_requests: int = 0
    ingest_ms: list[float] = field(default_factory=list)
    ingest_errors: Counter = field(default_factory=Counter)
    rss_start_mib: float = 0.0
    rss_peak_mib: float = 0.0
    source_chars: int = 0

    def cpu_per_request_ms(self, ingest_cpu_ms: float) -> float:
        """The window's server CPU less what its ingest requests cost alone, per request."""
        own = self.server_cpu_ms - self.ingest_requests * ingest_cpu_ms
        return max(own, 0.0) / len(self.latencies_ms)

    def figures(self, ingest_cpu_ms: float, idle_p99: float) -> dict:
        ingest = summary(self.ingest_ms) if self.ingest_ms else None
        return {
            "surface": self.surface,
            "filter": self.filter,
            "operator": self.operator,
            "source_chars": self.source_chars,
            "statuses": dict(self.statuses),
            "answer": self.answer,
            "latency_ms": summary(self.latencies_ms),
            "server_cpu_ms_per_request": self.cpu_per_request_ms(ingest_cpu_ms),
            "server_cpu_ms_in_window": self.server_cpu_ms,
            "ingest_requests_in_window": self.ingest_requests,
            "ingest_errors": dict(self.ingest_errors),
            "ingest_latency_ms": ingest,
            "ingest_p99_ratio": ingest["p99"] / idle_p99 if ingest else None,
            "rss_start_mib": self.rss_start_mib,
            "rss_peak_mib": self.rss_peak_mib,
        }


def send_window(
    client: httpx.Client,
    surface: Surface,
    chosen: Filter,
    numbers: Iterator[int],
    pid: int,
    load: PacedIngest,
    rss: RssSampler,
    args: argparse.Namespace,
) -> Window:
    """Send `chosen` to `surface`, one request after another, for --window seconds and at
    least --min-requests requests."""
    window = Window(surface.label, chosen.label, surface.operator, rss_start_mib=rss_mib(pid))
    before, start = cpu.cpu_seconds(pid), time.monotonic()
    while len(window.latencies_ms) < args.min_requests or time.monotonic() - start < args.window:
        source = chosen.source(next(numbers))
        began = time.perf_counter()
        response = surface.send(client, source)
        window.latencies_ms.append((time.perf_counter() - began) * 1000)
        window.statuses[response.status_code] += 1
        window.answer, window.source_chars = answer_of(response), len(source)
    end, after = time.monotonic(), cpu.cpu_seconds(pid)
    if before is None or after is None:
        raise RuntimeError(f"cannot read the CPU time of process {pid} (Linux /proc only)")
    window.server_cpu_ms = (after - before) * 1000
    window.ingest_ms = load.between(start, end)
    window.ingest_requests = len(window.ingest_ms)
    window.ingest_errors = load.errors_between(start, end)
    window.rss_peak_mib = rss.peak(start, end)
    return window

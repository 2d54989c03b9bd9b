"""The ingest benchmark's load: SDK-shaped events, POSTed from concurrent keep-alive clients,
and what one kind of request cost (a Phase)."""

import http.client
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from itertools import count

from tests.harness import EVENT_KEY

from .stats import summary


@dataclass
class Phase:
    """Requests of one kind sent by C clients, and what the server stored for them."""

    label: str
    requests: int
    events_per_request: int
    wall_s: float
    latencies_ms: list[float]
    stored: int
    runs_started: int
    cpu_ms: dict[str, float | None]

    @property
    def events(self) -> int:
        return self.requests * self.events_per_request

    def figures(self) -> dict:
        return {
            "requests": self.requests,
            "events_per_request": self.events_per_request,
            "events": self.events,
            "stored": self.stored,
            "runs_started": self.runs_started,
            "wall_s": self.wall_s,
            "requests_per_s": self.requests / self.wall_s,
            "events_per_s": self.stored / self.wall_s,
            "latency_ms": summary(self.latencies_ms),
            "cpu_ms_per_event": self.cpu_ms,
        }


def event(name: str, number: int) -> dict:
    """An event shaped like an SDK's: a name, nested data, a user, a timestamp (~250 bytes)."""
    return {
        "name": name,
        "data": {
            "order_id": f"ord_{number:010d}",
            "amount": 11 + number % 90,  # over 10: every event matches `if-trigger`
            "currency": "EUR",
            "items": [{"sku": "A-1", "qty": 1}, {"sku": "B-2", "qty": number % 5 + 1}],
        },
        "user": {"id": f"user_{number % 1000}"},
        "ts": int(time.time() * 1000),
    }


def post_all(
    port: int,
    bodies: list[bytes | None],
    concurrency: int,
    expect: int,
    path: str = f"/e/{EVENT_KEY}",
) -> tuple[float, list[float]]:
    """POST every body to `path` (GET when it is None) from `concurrency` threads, each on its
    own keep-alive connection, taking the next body as soon as the last answer came. Wall time
    (s) and each request's latency (ms). Every answer must carry status `expect`."""
    numbers, latencies, failures = count(), [], []
    headers = {"Content-Type": "application/json"}

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        with closing(connection):
            while (n := next(numbers)) < len(bodies) and not failures:
                started = time.perf_counter()
                body = bodies[n]
                connection.request("GET" if body is None else "POST", path, body, headers)
                response = connection.getresponse()
                answer = response.read()
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status != expect:
                    failures.append(f"{response.status}: {answer[:300]!r}")

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"the server answered {failures[0]} (expected {expect})")
    return wall, latencies

"""Benchmark: what a console user's costly CEL filters cost the server, and what they do to
ingest meanwhile (issue 13, "no read-only user can take the server down"). Targets: a
read-only user's worst filter costs at most ~1 s of server CPU per request, ingest's p99 stays
under 2x its idle value, and the server grows by less than 100 MiB.

It seeds a fresh data folder with N runs and their events (bench/runs_seed.py), starts the real
dev server on it (embedded mode, with logins required, so the filters come from a real
read-only user and the bulk previews from an operator), then, in one invocation:
  1. ingest alone: single-event `POST /e/{key}` at a steady rate (open loop: each latency is
     counted from the moment the request was due, so a stalled server cannot hide behind a
     client that waits for it), the baseline;
  2. the same ingest load while one read-only client sends adversarial filters, one kind at a
     time for a short window each, on `GET /api/runs?if=`, `/runs/?if=` and `/events/?if=`,
     and an operator sends bulk previews (`POST /api/bulk` with `expression`); for each: the
     answer, p50/p99 latency, the server CPU per request (the server's CPU time in the window
     minus what the ingest requests of that window cost in step 1), ingest's p99 meanwhile and
     the server's RSS growth;
  3. ingest alone again, to show the server came back.
An ingest answer other than 200 is counted (and shown beside the window it fell in), not fatal:
it is a finding. The server's RSS is sampled every 20 ms: before the adversarial phase, its
peak, and after.
Every filter but one is new on every request (a different literal), as an attacker would send
it: no cached compilation helps, and every one that compiles stays in the compiled cache.

Usage, from the project root:
    .venv/bin/python -m bench.filter_cost [--runs 3000] [--rate 50] [--baseline-seconds 10]
                                          [--window 2] [--min-requests 3]

Prints a table and writes bench/results/filter_cost-<timestamp>.json.
"""

import argparse
import html
import http.client
import io
import json
import os
import random
import re
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

import httpx

from tests.harness import EVENT_KEY, ROOT, SECURED_SERVER_ENV, SIGNING_KEY, DevServer

from . import cli, cpu, floors
from .ingest_load import event
from .stats import summary
from .ten_steps import BenchServer, _exit_on_sigterm, git_revision, progress, write_results

TARGET_CPU_MS = 1000.0  # a read-only user's worst filter, server CPU per request
TARGET_INGEST_RATIO = 2.0  # ingest p99 under adversarial filters / ingest p99 alone
TARGET_RSS_GROWTH_MIB = 100.0
READER, OPERATOR_NOTE = "bench-reader", "operator (raw signing key)"
PASSWORD = "bench-reader-password"  # noqa: S105 - a throwaway user in a temporary folder
INGEST_CONNECTIONS = 4  # enough that a slow answer does not hold back the next due request
RSS_EVERY_S = 0.02
EVENT_NAME = "bench/order.placed"
NEAR_BUDGET_SHARE = 0.6  # the calibrated filter takes this share of the evaluation budget


# --- The filters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    label: str
    source: Callable[[int], str]  # request number -> expression ("" for no filter)


def _digits(n: int) -> str:
    return "[" + ",".join(str(k % 10) for k in range(n)) + "]"


def _or_chain(k: int, most: int = 2040) -> str:
    """`event.data.i == a || ...` as long as fits in `most` characters: parses to a big tree,
    evaluates every term on every row, matches nothing."""
    terms: list[str] = []
    while True:
        longer = " || ".join([*terms, f"event.data.i == {-(k * 97 + len(terms))}"])
        if len(longer) > most:
            return " || ".join(terms)
        terms.append(longer.rsplit(" || ", 1)[-1])


def near_budget_size() -> int:
    """The widest nested `map` (n x n inner evaluations) that stays under NEAR_BUDGET_SHARE of
    the evaluation budget in this process: a filter that is never stopped yet costs nearly
    the most one evaluation may."""
    from events.expressions import EVALUATION_SECONDS, ExpressionTooCostly, evaluate

    variables = {"event": {"name": EVENT_NAME, "data": {"i": 1}}}
    best = 4
    for n in range(4, 80, 2):
        source = f"{_digits(n)}.map(a, {_digits(n)}.map(b, a + b)).size() == -1"
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            try:
                evaluate(source, variables, refuse_costly=True)
            except ExpressionTooCostly:
                return best
            timings.append(time.perf_counter() - started)
        if min(timings) > NEAR_BUDGET_SHARE * EVALUATION_SECONDS:
            return best
        best = n
    return best


def filters(near: int) -> dict[str, Filter]:
    """The set a hostile read-only user sends, and two ordinary ones to set them beside."""
    long_list = _digits(450)
    ten = " + ".join(["s"] * 10)
    x1000 = "x" * 1000
    fixed_chain = _or_chain(0)
    chosen = [
        Filter("no filter", lambda k: ""),
        Filter("plain: event.data.i == -k (no match)", lambda k: f"event.data.i == {-k}"),
        Filter(
            "map in map, 450 x 450 digits",
            lambda k: f"{long_list}.map(a, {long_list}.map(b, a + b)).size() == {-k}",
        ),
        Filter(
            f"map in map, {near} x {near} (under budget)",
            lambda k: f"{_digits(near)}.map(a, {_digits(near)}.map(b, a + b)).size() == {-k}",
        ),
        Filter(
            "string doubling with +",
            lambda k: f"['{x1000}'].map(s, [{ten}].map(s, {ten} + {ten})).size() == {-k}",
        ),
        Filter("600 nested parentheses", lambda k: "(" * 600 + str(k) + ")" * 600 + " == 1"),
        Filter("2,000 characters of || terms", _or_chain),
        Filter("the same 2,000 characters each time", lambda k: fixed_chain),
        Filter("1,000-term + chain", lambda k: "1+" * 1000 + f"1 == {k}"),
    ]
    return {f.label: f for f in chosen}


# --- Where they are sent -----------------------------------------------------------------


@dataclass(frozen=True)
class Surface:
    label: str
    send: Callable[[httpx.Client, str], httpx.Response]
    operator: bool = False


def _get(path: str) -> Callable[[httpx.Client, str], httpx.Response]:
    return lambda client, source: client.get(path, params={"if": source} if source else {})


def _bulk(client: httpx.Client, source: str) -> httpx.Response:
    body = {"kind": "replay", "status": "Completed", "expression": source}
    return client.post("/api/bulk", json=body)


LISTS = [
    Surface("GET /api/runs?if=", _get("/api/runs")),
    Surface("GET /runs/?if=", _get("/runs/")),
    Surface("GET /events/?if=", _get("/events/")),
]
BULK = Surface("POST /api/bulk (preview)", _bulk, operator=True)
BULK_READER = Surface("POST /api/bulk as read-only", _bulk)
BULK_FILTERS = [
    "no filter",
    "plain: event.data.i == -k (no match)",
    "map in map, 450 x 450 digits",
    "map in map, {near} x {near} (under budget)",
    "2,000 characters of || terms",
]
_REASON = re.compile(
    r"(the expression[^<\"]{0,160}|the `if` filter[^<\"]{0,160}|needs an operator)"
)


def answer_of(response: httpx.Response) -> str:
    """What the server said, in a few words: the limit it named, or how much it found."""
    text = html.unescape(response.text)
    found = _REASON.search(text)
    if found:
        return "refused: " + found.group(1).rsplit(": ", 1)[-1].strip()
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        if "runs" in body:
            return f"{len(body['runs'])} runs" + (", more" if body.get("next_cursor") else "")
        if "total" in body:
            return f"preview of {body['total']} runs"
    return f"page, {len(response.content) // 1024} KiB"


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


# --- The server --------------------------------------------------------------------------


@contextmanager
def seeded_server(work_dir: Path, runs: int, seed: int) -> Iterator[DevServer]:
    """A dev server on a data folder seeded here first (runs, events, a read-only user), with
    logins required; its `http` client is an operator (the raw signing key)."""
    server = BenchServer(work_dir, env={**SECURED_SERVER_ENV, "DEVSERVER_REQUIRE_LOGIN": "true"})
    progress(f"seeding {runs} runs and their events")
    floors._setup_django(server.data_dir)  # noqa: SLF001 - the floors' setup, on the server's folder
    from django.core.management import call_command
    from django.db import connections

    from .runs_seed import seed as seed_runs

    seeded = seed_runs(runs, random.Random(seed))
    call_command("console_user", READER, "--password", PASSWORD, stdout=io.StringIO())
    connections.close_all()
    server.seeded = seeded["counts"]  # type: ignore[attr-defined]
    server.http.headers["Authorization"] = f"Bearer {SIGNING_KEY}"
    try:
        server.start()
        yield server
    except Exception:
        progress(f"dev server log (tail):\n{server.output()[-3000:]}")
        raise
    finally:
        server.stop()


def reader_client(server: DevServer) -> httpx.Client:
    """Logged in through the login form as the read-only user."""
    client = httpx.Client(base_url=server.url, timeout=120)
    client.get("/accounts/login/")
    fields = {
        "username": READER,
        "password": PASSWORD,
        "csrfmiddlewaretoken": client.cookies["csrftoken"],
    }
    answer = client.post("/accounts/login/", data=fields)
    if answer.status_code != 302 or client.get("/api/runs?limit=1").status_code != 200:
        raise RuntimeError(f"could not log in as {READER}: {answer.status_code}")
    return client


# --- The run -------------------------------------------------------------------------------


def benchmark(work_dir: Path, args: argparse.Namespace) -> dict:
    near = near_budget_size()
    chosen = filters(near)
    combos = [(surface, f) for surface in LISTS for f in chosen.values()]
    combos += [(BULK, chosen[name.format(near=near)]) for name in BULK_FILTERS]
    combos.append((BULK_READER, chosen["map in map, 450 x 450 digits"]))
    with seeded_server(work_dir, args.runs, args.seed) as server:
        pid = server.process.proc.pid
        with closing(reader_client(server)) as reader, RssSampler(pid) as rss:
            progress(f"warming up: {args.warmup} ingest requests, each surface unfiltered")
            ingest_alone(server.port, pid, args.rate, args.warmup / args.rate)
            numbers = count(1)
            for surface in [*LISTS, BULK]:  # the adversarial filters only once measuring
                surface.send(server.http if surface.operator else reader, "")
            progress(f"ingest alone: {args.rate:g} requests/s for {args.baseline_seconds:g} s")
            idle = ingest_alone(server.port, pid, args.rate, args.baseline_seconds)
            rss_before = rss_mib(pid)
            progress(f"adversarial filters: {len(combos)} windows of {args.window:g} s, ingest on")
            load = PacedIngest(server.port, args.rate).start()
            snapshot = cpu.snapshot({"server": pid})
            try:
                windows = [
                    send_window(
                        server.http if s.operator else reader, s, f, numbers, pid, load, rss, args
                    )
                    for s, f in combos
                ]
            finally:
                load.stop()
            wall = time.monotonic() - load.started
            phase_cpu = cpu.usage(snapshot, cpu.snapshot({"server": pid}), 1, wall)
            adversarial = [ms for _, ms in load.samples]
            rss_peak = rss.peak(load.started, time.monotonic())
            progress(f"ingest alone again: {args.baseline_seconds:g} s")
            again = ingest_alone(server.port, pid, args.rate, args.baseline_seconds)
            rss_after = rss_mib(pid)
        seeded = server.seeded  # type: ignore[attr-defined]
    ingest_cpu_ms = idle.cpu["server"] or 0.0
    idle_p99 = summary(idle.latencies_ms)["p99"]
    return {
        "benchmark": "filter_cost",
        "started_at": args.started_at,
        "git": git_revision(),
        "machine": {"cpus": os.cpu_count(), "loadavg_at_end": os.getloadavg()},
        "config": {
            "runs": args.runs,
            "rate": args.rate,
            "baseline_seconds": args.baseline_seconds,
            "window_s": args.window,
            "min_requests": args.min_requests,
            "near_budget_size": near,
            "seed": args.seed,
        },
        "seeded": seeded,
        "ingest_alone": idle.figures(),
        "ingest_alone_after": again.figures(),
        "ingest_under_filters": {
            "latency_ms": summary(adversarial),
            "p99_ratio": summary(adversarial)["p99"] / idle_p99,
            "p99_ratio_to_after": summary(adversarial)["p99"]
            / again.figures()["latency_ms"]["p99"],
            "errors": dict(load.errors_between(load.started, time.monotonic())),
            "wall_s": wall,
            "server_cpu_pct": (phase_cpu["server"] or 0.0) / wall / 10,
            "others_cpu_pct": phase_cpu["others_cpu_pct"],
        },
        "windows": [w.figures(ingest_cpu_ms, idle_p99) for w in windows],
        "rss_mib": {"before": rss_before, "peak": rss_peak, "after": rss_after},
    }


def verdicts(results: dict) -> dict[str, tuple[bool, str]]:
    """Each target: met or not, and the figure that decides it."""
    read_only = [w for w in results["windows"] if not w["operator"]]
    worst = max(read_only, key=lambda w: w["server_cpu_ms_per_request"])
    ratio = results["ingest_under_filters"]["p99_ratio"]
    errors = results["ingest_under_filters"]["errors"]
    rss = results["rss_mib"]
    growth = rss["peak"] - rss["before"]
    return {
        "cpu": (
            worst["server_cpu_ms_per_request"] <= TARGET_CPU_MS,
            f"read-only user's worst filter: {worst['server_cpu_ms_per_request']:.0f} ms of server "
            f"CPU per request ({worst['filter']}, {worst['surface']}); target <= "
            f"{TARGET_CPU_MS:.0f} ms",
        ),
        "ingest": (
            ratio < TARGET_INGEST_RATIO and not errors,
            f"ingest p99 under the filters: "
            f"{results['ingest_under_filters']['latency_ms']['p99']:.1f} ms vs "
            f"{results['ingest_alone']['latency_ms']['p99']:.1f} ms alone = {ratio:.2f}x, "
            f"{sum(errors.values())} errors; target < {TARGET_INGEST_RATIO:g}x, no errors",
        ),
        "rss": (
            growth < TARGET_RSS_GROWTH_MIB,
            f"server RSS: {rss['before']:.0f} MiB before, peak {rss['peak']:.0f} MiB "
            f"(+{growth:.0f}), {rss['after']:.0f} MiB after; "
            f"target growth < {TARGET_RSS_GROWTH_MIB:.0f} MiB",
        ),
    }


def print_table(results: dict) -> None:
    config, idle, again = results["config"], results["ingest_alone"], results["ingest_alone_after"]
    load = ", ".join(f"{x:.2f}" for x in results["machine"]["loadavg_at_end"])
    seeded = results["seeded"]
    print(
        f"\nfilter_cost: {seeded['Run']:,} runs and {seeded['Event']:,} events seeded, ingest "
        f"{config['rate']:g} req/s, read-only user vs {OPERATOR_NOTE} for bulk, "
        f"{results['machine']['cpus']} CPUs, load {load}, git {results['git']}"
    )
    for label, phase in (("ingest alone (baseline)", idle), ("ingest alone, after", again)):
        lat, server = phase["latency_ms"], phase["cpu_ms_per_request"]["server"]
        print(
            f"{label:<26} n {lat['n']:4d}  p50 {lat['p50']:6.2f} ms  p99 {lat['p99']:6.2f} ms  "
            f"server CPU {server or 0:.2f} ms/request, errors {phase['errors'] or 'none'}"
        )
    under = results["ingest_under_filters"]
    lat = under["latency_ms"]
    print(
        f"{'ingest under the filters':<26} n {lat['n']:4d}  p50 {lat['p50']:6.2f} ms  p99 "
        f"{lat['p99']:6.2f} ms  ({under['p99_ratio']:.2f}x the baseline p99, "
        f"{under['p99_ratio_to_after']:.2f}x the one after; server at "
        f"{under['server_cpu_pct']:.0f}% of a CPU), errors {under['errors'] or 'none'}"
    )
    print(
        f"\n{'surface':<26}{'filter (new source each request)':<40}{'chars':>6} {'status':<7}"
        f"{'n':>4}{'p50 ms':>9}{'p99 ms':>9}{'CPU/req':>9}{'ingest p99':>11}{'x':>6}"
        f"{'RSS +MiB':>9}  answer"
    )
    for w in results["windows"]:
        lat, ingest = w["latency_ms"], w["ingest_latency_ms"]
        statuses = ",".join(str(s) for s in sorted(w["statuses"]))
        print(
            f"{w['surface']:<26}{w['filter'][:39]:<40}{w['source_chars']:6d} {statuses:<7}"
            f"{lat['n']:4d}{lat['p50']:9.1f}{lat['p99']:9.1f}"
            f"{w['server_cpu_ms_per_request']:9.1f}"
            f"{ingest['p99'] if ingest else 0:11.1f}{w['ingest_p99_ratio'] or 0:6.2f}"
            f"{w['rss_peak_mib'] - w['rss_start_mib']:9.1f}  {w['answer'][:70]}"
            + "".join(f"; INGEST {s} x{n}" for s, n in w["ingest_errors"].items())
        )
    print(
        "CPU/req: the server's CPU in the window less its ingest requests at their baseline "
        "cost, per filter request; ingest p99: requests due in the window, and x its baseline."
    )
    operator = [w for w in results["windows"] if w["operator"]]
    if operator:
        worst = max(operator, key=lambda w: w["server_cpu_ms_per_request"])
        print(
            f"operator's worst bulk preview: {worst['server_cpu_ms_per_request']:.0f} ms of "
            f"server CPU per request ({worst['filter']}; no target: bulk needs an operator)"
        )
    for met, text in verdicts(results).values():
        print(f"{'PASS' if met else 'FAIL'}  {text}")
    others = under["others_cpu_pct"]
    print(
        f"rest of the machine during the filters: {'?' if others is None else f'{others:.0f}%'}"
        " of one CPU (this client included)"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.parser("python -m bench.filter_cost", __doc__)
    parser.add_argument("--runs", type=int, default=3000, help="runs seeded (default 3000)")
    parser.add_argument("--rate", type=float, default=50.0, help="ingest requests/s (50)")
    parser.add_argument(
        "--baseline-seconds", type=float, default=10.0, help="ingest alone, each time (10)"
    )
    parser.add_argument("--window", type=float, default=2.0, help="seconds per filter (2)")
    parser.add_argument("--min-requests", type=int, default=3, help="per filter (3)")
    parser.add_argument("--warmup", type=int, default=100, help="ingest requests first (100)")
    parser.add_argument("--seed", type=int, default=13, help="of the seeded runs (13)")
    args = cli.parse(parser, argv, ["runs", "min_requests"])
    if min(args.rate, args.baseline_seconds, args.window) <= 0:
        parser.error("--rate, --baseline-seconds and --window must be > 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with tempfile.TemporaryDirectory(prefix="bench-filter-cost-") as tmp:
        results = benchmark(Path(tmp), args)
    print_table(results)
    print(f"results: {write_results(results, 'filter_cost').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

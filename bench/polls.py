"""Benchmark: the REST v1 API's run-status polls, `GET /v1/runs/{id}` and
`GET /v1/events/{id}/runs`, with the lean reads (devserver/read_route.py) and through Django
(DEVSERVER_LEAN_READS=0), in the same invocation.

Why: the SDKs' tests and users' scripts poll these until a run ends, several times per run, so
a poll's server CPU is part of what a run costs. Beside them, the floor: the same clients on
the cheapest request of the same server, a `POST /e/{key}` the lean ingest route refuses before
the database (body `[]`: 400), which is the web server and ASGI stack alone.

It starts the real dev server (embedded mode, or staging with DEVSERVER_TEST_STAGING=1) with
the Python SDK test app, sends events that each start a run of `if-trigger` (it returns at
once), waits until every run completed, then restarts the same server (same data) with each
setting in turn, --rounds times, and polls the runs and events from C keep-alive clients.

Usage, from the project root:
    .venv/bin/python -m bench.polls [--requests 3000] [--runs 200] [--concurrency 8]
                                    [--rounds 2]

Prints a table and writes bench/results/polls-<timestamp>.json.
"""

import argparse
import http.client
import itertools
import os
import signal
import sys
import tempfile
import threading
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from tests.harness import EVENT_KEY, ROOT, DevServer, wait_until

from . import cpu
from .ingest import APP_ID, MATCHED, running_server
from .ingest_load import event
from .stats import summary
from .ten_steps import _exit_on_sigterm, git_revision, progress, write_results

EVENT_NAME = f"{APP_ID}/{MATCHED}"  # the test app's `if-trigger` (see bench.ingest)
WARMUP_REQUESTS = 300
SETTINGS = {"lean reads": "1", "through Django": "0"}  # DEVSERVER_LEAN_READS


def poll_all(
    server: DevServer, requests: list[tuple[str, str]], concurrency: int, expect: int
) -> tuple[float, list[float]]:
    """Send every (method, path) from `concurrency` threads, each on its own keep-alive
    connection, with the server's own credential (staging needs the signing key). Wall time
    (s) and each request's latency (ms); every answer must carry status `expect`."""
    numbers, latencies, failures = itertools.count(), [], []
    headers = {k: v for k, v in server.http.headers.items() if k.lower() == "authorization"}

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        with closing(connection):
            while (n := next(numbers)) < len(requests) and not failures:
                method, path = requests[n]
                body = b"[]" if method == "POST" else None
                started = time.perf_counter()
                connection.request(method, path, body, headers)
                response = connection.getresponse()
                answer = response.read()
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status != expect:
                    failures.append(f"{method} {path}: {response.status} {answer[:200]!r}")

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


def start_runs(server: DevServer, count: int) -> tuple[list[str], list[str]]:
    """`count` events, each starting one run; their ids and the runs' ids once all ended."""
    bodies = [event(EVENT_NAME, n) for n in range(count)]
    event_ids: list[str] = []
    for at in range(0, count, 100):
        answer = server.http.post(f"/e/{EVENT_KEY}", json=bodies[at : at + 100])
        event_ids += answer.json()["ids"]
    run_ids: dict[str, str] = {}

    def all_ended() -> bool:
        for event_id in event_ids:
            if event_id not in run_ids:
                runs = server.http.get(f"/v1/events/{event_id}/runs").json()["data"]
                if not runs or runs[0]["status"] != "Completed":
                    return False
                run_ids[event_id] = runs[0]["run_id"]
        return True

    wait_until(all_ended, 120, f"{count} runs to complete")
    return event_ids, list(run_ids.values())


def measure(
    server: DevServer, requests: list[tuple[str, str]], concurrency: int, expect: int
) -> dict:
    pids = {"server": server.process.proc.pid} if server.process else {}
    before = cpu.snapshot(pids)
    wall, latencies = poll_all(server, requests, concurrency, expect)
    used = cpu.usage(before, cpu.snapshot(pids), len(requests), wall)
    return {
        "requests_per_s": len(requests) / wall,
        "latency_ms": summary(latencies),
        "cpu_ms_per_request": used,
    }


def benchmark(work_dir: Path, args: argparse.Namespace) -> dict:
    cases: dict[str, dict[str, list[dict]]] = {label: {} for label in SETTINGS}
    with running_server(work_dir, with_function=True) as server:
        progress(f"starting {args.runs} runs")
        event_ids, run_ids = start_runs(server, args.runs)
        kinds = {
            "floor: POST /e/ rejected (400)": ([("POST", f"/e/{EVENT_KEY}")], 400),
            "GET /v1/runs/{id}": ([("GET", f"/v1/runs/{r}") for r in run_ids], 200),
            "GET /v1/events/{id}/runs": ([("GET", f"/v1/events/{e}/runs") for e in event_ids], 200),
        }
        for round_ in range(args.rounds):
            for label, value in SETTINGS.items():
                progress(f"round {round_ + 1}: {label} (DEVSERVER_LEAN_READS={value})")
                server.stop()
                server.env["DEVSERVER_LEAN_READS"] = value
                server.start()
                for paths, expect in kinds.values():  # every kind warm before any is measured
                    warmup = list(itertools.islice(itertools.cycle(paths), WARMUP_REQUESTS))
                    poll_all(server, warmup, args.concurrency, expect)
                for kind, (paths, expect) in kinds.items():
                    requests = list(itertools.islice(itertools.cycle(paths), args.requests))
                    figures = measure(server, requests, args.concurrency, expect)
                    cases[label].setdefault(kind, []).append(figures)
    return {
        "benchmark": "polls",
        "started_at": args.started_at,
        "git": git_revision(),
        "machine": {"cpus": os.cpu_count(), "loadavg_at_end": os.getloadavg()},
        "config": {k: getattr(args, k) for k in ("requests", "runs", "concurrency", "rounds")},
        "staging": bool(os.environ.get("DEVSERVER_TEST_STAGING")),
        "cases": cases,
    }


def print_table(results: dict) -> None:
    config = results["config"]
    load = ", ".join(f"{x:.2f}" for x in results["machine"]["loadavg_at_end"])
    print(
        f"\npolls: {'staging' if results['staging'] else 'embedded'}, concurrency "
        f"{config['concurrency']}, {config['requests']} requests per row and round, "
        f"{results['machine']['cpus']} CPUs, load {load}, git {results['git']}"
    )
    print(f"{'':46}{'req/s':>14}{'p50 ms':>16}{'server CPU/request':>24}{'others':>13}")
    for label, kinds in results["cases"].items():
        for kind, rounds in kinds.items():
            rates = " / ".join(f"{r['requests_per_s']:.0f}" for r in rounds)
            p50 = " / ".join(f"{r['latency_ms']['p50']:.2f}" for r in rounds)
            server = " / ".join(_ms(r["cpu_ms_per_request"].get("server")) for r in rounds)
            others = " / ".join(_pct(r["cpu_ms_per_request"].get("others_cpu_pct")) for r in rounds)
            print(f"{label + ': ' + kind:<46}{rates:>14}{p50:>16}{server:>24}{others:>13}")
    print("(one figure per round; others: the rest of the machine, in % of one CPU)")


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.3f} ms"


def _pct(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}%"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.polls",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--requests", type=int, default=3000, help="requests per row (3000)")
    parser.add_argument("--runs", type=int, default=200, help="runs (and events) polled (200)")
    parser.add_argument("--concurrency", type=int, default=8, help="client connections (8)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both settings (2)")
    args = parser.parse_args(argv)
    if min(args.requests, args.runs, args.concurrency, args.rounds) < 1:
        parser.error("--requests, --runs, --concurrency and --rounds must be >= 1")
    args.started_at = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with tempfile.TemporaryDirectory(prefix="bench-polls-") as tmp:
        results = benchmark(Path(tmp), args)
    print_table(results)
    path = write_results(results, "polls")
    print(f"results: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

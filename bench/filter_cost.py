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
import io
import os
import random
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from itertools import count
from pathlib import Path

import httpx

from tests.harness import ROOT, SECURED_SERVER_ENV, SIGNING_KEY, DevServer

from . import cli, cpu, floors
from .adversarial_filters import BULK, BULK_FILTERS, BULK_READER, LISTS, filters, near_budget_size
from .paced_load import PacedIngest, RssSampler, ingest_alone, rss_mib, send_window
from .stats import summary
from .ten_steps import BenchServer, _exit_on_sigterm, git_revision, progress, write_results

TARGET_CPU_MS = 1000.0  # a read-only user's worst filter, server CPU per request
TARGET_INGEST_RATIO = 2.0  # ingest p99 under adversarial filters / ingest p99 alone
TARGET_RSS_GROWTH_MIB = 100.0
READER, OPERATOR_NOTE = "bench-reader", "operator (raw signing key)"
PASSWORD = "bench-reader-password"  # noqa: S105 - a throwaway user in a temporary folder


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

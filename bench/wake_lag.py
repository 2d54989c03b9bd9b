"""Benchmark: how late sleeping runs wake (target: p99 <= 250 ms for 1,000 runs sleeping 1-5 s).

Why: a durable sleep is a row with a wake time; what users feel is the gap between that time
and the moment the server calls their app again. Lag is read from the server's own rows: the
sleep step's `wake_at` and the start of the next step's SDK call. Beside it, the floor of the
same machine in the same run: how late plain Python timers (one thread sleeping until each of
the same wake times) fire.

It starts the dev server and the Python SDK app (as bench/ten_steps.py does), sends N events
at once for the `sleepy` function with sleeps spread over 1-5 s, waits for all runs to end,
and prints lag p50/p95/p99/max.

Usage, from the project root:
    .venv/bin/python -m bench.wake_lag [--runs 1000]
"""

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from tests.harness import wait_until

from .stats import summary
from .ten_steps import running_stack

BATCH = 100  # events per ingest request


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def server_lags(server, run_ids: list[str]) -> list[float]:
    """Per run: start of the call after the sleep minus the sleep's wake time (ms)."""
    lags = []
    for run_id in run_ids:
        steps = server.run(run_id)["steps"]
        [nap] = [s for s in steps if s["opcode"] == "Sleep"]
        [after] = [s for s in steps if s["name"] == "after"]
        lags.append((_at(after["started_at"]) - _at(nap["wake_at"])).total_seconds() * 1000)
    return lags


def timer_floor(delays_s: list[float]) -> list[float]:
    """How late one thread wakes for the same schedule (ms): the machine's own timer lag."""
    start = time.monotonic()
    lags = []
    for delay in sorted(delays_s):
        target = start + delay
        time.sleep(max(0.0, target - time.monotonic()))
        lags.append((time.monotonic() - target) * 1000)
    return lags


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args(argv)
    rng = random.Random(7)
    seconds = [rng.randint(1, 5) for _ in range(args.runs)]
    with (
        tempfile.TemporaryDirectory(prefix="bench-wake-") as tmp,
        running_stack(Path(tmp)) as (
            server,
            app,
        ),
    ):
        event_ids: list[str] = []
        sent_at = time.perf_counter()
        for start in range(0, args.runs, BATCH):
            chunk = [
                {"name": app.event("sleep"), "data": {"seconds": s}}
                for s in seconds[start : start + BATCH]
            ]
            event_ids += server.send(chunk)

        runs = []
        for event_id in event_ids:
            found = wait_until(lambda e=event_id: server.runs_for_event(e), 120, "runs to start")
            runs.append(found[0]["run_id"])
        wait_until(
            lambda: all(server.run(r)["status"] == "Completed" for r in runs), 600, "every run"
        )
        wall = time.perf_counter() - sent_at
        lags = server_lags(server, runs)
    floor = timer_floor([float(s) for s in seconds[: min(200, args.runs)]])
    ours, base = summary(lags), summary(floor)
    print(f"{args.runs} runs sleeping 1-5 s, all ended in {wall:.1f} s")
    print(f"{'':24}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    for label, s in (("wake-up lag (server)", ours), ("timer floor (same run)", base)):
        print(f"{label:24}" + "".join(f"{s[k]:9.1f}" for k in ("p50", "p95", "p99", "max")))
    verdict = "met" if ours["p99"] <= 250 else "NOT met"
    print(f"target p99 <= 250 ms: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

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
    .venv/bin/python -m bench.wake_lag [--runs 1000] [--over SECONDS]

All at once, 1,000 runs are 3,000 SDK calls within a few seconds: more than one Python SDK
process answers on 2 cores, so the lag then measures throughput; --over spreads the events
(e.g. --over 20) to measure the timers under a load the machine can carry.
"""

import argparse
import math
import random
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from .stats import summary
from .ten_steps import running_stack
from .watch import DbWatcher

BATCH = 100  # events per ingest request when sent at once
PACE_S = 0.1  # seconds between requests when the events are spread out


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


def send_paced(server, app, seconds: list[int], over_s: float) -> list[str]:
    """All events in requests of BATCH, or (over_s > 0) a steady stream: a request every
    PACE_S seconds, evenly spread over `over_s` seconds."""
    size = BATCH if not over_s else max(1, math.ceil(len(seconds) * PACE_S / over_s))
    batches = range(0, len(seconds), size)
    gap = over_s / max(1, len(batches) - 1) if over_s else 0.0
    began, event_ids = time.monotonic(), []
    for index, start in enumerate(batches):
        time.sleep(max(0.0, began + index * gap - time.monotonic()))
        chunk = [
            {"name": app.event("sleep"), "data": {"seconds": s}}
            for s in seconds[start : start + size]
        ]
        event_ids += server.send(chunk)
    return event_ids


def wait_all_ended(server, event_ids: list[str], timeout_s: float = 600) -> None:
    """Watch the server's database file, not its API: polling the API would load the very
    process whose lag is measured (see bench/watch.py)."""
    watcher, pending = DbWatcher(server), set(event_ids)
    deadline = time.monotonic() + timeout_s
    try:
        while pending:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(pending)} runs did not end within {timeout_s:.0f} s")
            for event_id, run in watcher.ended(pending).items():
                if run["status"] != "Completed":
                    raise RuntimeError(f"run {run['id']} ended {run['status']}")
                pending.discard(event_id)
            time.sleep(0.2)
    finally:
        watcher.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument(
        "--over",
        type=float,
        default=0.0,
        help="seconds over which to spread the events (default 0: all at once)",
    )
    args = parser.parse_args(argv)
    rng = random.Random(7)
    seconds = [rng.randint(1, 5) for _ in range(args.runs)]
    with (
        tempfile.TemporaryDirectory(prefix="bench-wake-") as tmp,
        running_stack(Path(tmp)) as (server, app),
    ):
        sent_at = time.perf_counter()
        event_ids = send_paced(server, app, seconds, args.over)
        wait_all_ended(server, event_ids)
        wall = time.perf_counter() - sent_at
        runs = [server.runs_for_event(e)[0]["run_id"] for e in event_ids]
        lags = server_lags(server, runs)
    floor = timer_floor([float(s) for s in seconds[: min(200, args.runs)]])
    ours, base = summary(lags), summary(floor)
    spread = f"sent over {args.over:.0f} s" if args.over else "sent at once"
    print(f"{args.runs} runs sleeping 1-5 s, {spread}, all ended in {wall:.1f} s")
    print(f"{'':24}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    for label, s in (("wake-up lag (server)", ours), ("timer floor (same run)", base)):
        print(f"{label:24}" + "".join(f"{s[k]:9.1f}" for k in ("p50", "p95", "p99", "max")))
    verdict = "met" if ours["p99"] <= 250 else "NOT met"
    print(f"target p99 <= 250 ms: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

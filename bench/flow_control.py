"""Benchmark: what flow control costs per run. The same 10-step function runs once plain and
once behind concurrency, throttle, rateLimit, idempotency and priority (limits set so that
none of them holds a run back), in the same server, alternating batches; the difference is
the price of the admission and slot checks.

Usage, from the project root:
    .venv/bin/python -m bench.flow_control [--runs 100] [--rounds 3]
"""

import argparse
import signal
import sys
import tempfile
from contextlib import closing
from pathlib import Path

from .stats import summary
from .ten_steps import _exit_on_sigterm, drive, progress, run_timings, running_stack
from .watch import DbWatcher

PLAIN, GATED = "ten", "ten-flow"


def measure(runs: int, rounds: int) -> dict[str, dict[str, float]]:
    latencies: dict[str, list[float]] = {PLAIN: [], GATED: []}
    with (
        tempfile.TemporaryDirectory(prefix="bench-flow-") as tmp,
        running_stack(Path(tmp)) as (server, app),
        closing(DbWatcher(server)) as watcher,
    ):
        for event in (PLAIN, GATED):  # warm both paths
            drive(server, app, watcher, 10, 1, 0.002, event=event)
        for round_number in range(rounds):  # alternate so drift hits both alike
            for event in (PLAIN, GATED):
                progress(f"round {round_number + 1}: {runs} runs of {event}")
                batch = drive(server, app, watcher, runs, 1, 0.002, event=event)
                latencies[event] += run_timings(server, batch.run_ids)["latency"]
    return {event: summary(values) for event, values in latencies.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100, help="runs per batch (default 100)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    results = measure(args.runs, args.rounds)
    plain, gated = results[PLAIN], results[GATED]
    print(f"{'10-step run, queued to ended':34} {'p50':>9} {'p95':>9}")
    print(f"{'no flow control (baseline)':34} {plain['p50']:8.1f}ms {plain['p95']:8.1f}ms")
    print(f"{'five gates, none holding':34} {gated['p50']:8.1f}ms {gated['p95']:8.1f}ms")
    added = gated["p50"] - plain["p50"]
    print(f"flow control adds {added:.1f} ms per run at p50 ({gated['p50'] / plain['p50']:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

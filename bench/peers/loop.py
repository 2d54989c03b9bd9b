"""The closed loop every peer is driven by: C threads, each starting a run as soon as its last
one ended, with per-run latency from the start of the call to its result, and the CPU time of
the processes involved so a busy machine shows."""

import os
import time
from argparse import Namespace
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from pathlib import Path

from .. import cpu
from ..stats import summary

Run = Callable[[], None]


def closed_loop(run: Run, runs: int, concurrency: int) -> tuple[list[float], float]:
    """`runs` calls of `run` from `concurrency` threads; each call's latency (ms) and the wall
    time (s) of the whole batch. A run that raises fails the batch, once the others end."""
    numbers = count()  # next() on itertools.count is atomic under the GIL
    latencies: list[float] = []

    def thread() -> None:
        while next(numbers) < runs:
            start = time.perf_counter()
            run()
            latencies.append((time.perf_counter() - start) * 1000)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency, thread_name_prefix="bench-run") as pool:
        for future in [pool.submit(thread) for _ in range(concurrency)]:
            future.result()
    return latencies, time.perf_counter() - started


def warmup_runs(warmup: int, concurrency: int) -> int:
    """At least one warmup run per run in flight, so every thread and pooled connection has
    been used before the clock starts (a pool that grows while timed skews the figures)."""
    return max(warmup, concurrency) if warmup else 0


def service_pids(command: str) -> list[int]:
    """Pids of the running processes named `command` (e.g. every Postgres backend)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    pids.append(int(entry.name))
            except OSError:
                continue  # ended meanwhile
    return pids


def measure(
    system: str,
    run: Run,
    concurrency: int,
    args: Namespace,
    pids: dict[str, int],
    service: str,
) -> dict:
    """Warm up, then time `args.runs` runs at `concurrency`. CPU ms per run is reported for
    the named `pids`, this process ("bench"), and all processes called `service` together
    (the shared Postgres or Redis, so it includes whatever else uses them meanwhile)."""
    runs = args.runs
    closed_loop(run, warmup_runs(args.warmup, concurrency), concurrency)
    services = service_pids(service)
    before = cpu.snapshot(pids)
    services_before = {pid: cpu.cpu_seconds(pid) for pid in services}
    latencies, wall_s = closed_loop(run, runs, concurrency)
    after = cpu.snapshot(pids)
    services_used = 0.0
    for pid in set(services) | set(service_pids(service)):
        # A backend started meanwhile counts whole, one that ended meanwhile counts 0.
        was, now = services_before.get(pid, 0.0), cpu.cpu_seconds(pid)
        if was is not None and now is not None:
            services_used += now - was
    # Counting the service as one of ours keeps its CPU out of "the rest of the machine".
    before[service], after[service] = 0.0, services_used
    return {
        "system": system,
        "concurrency": concurrency,
        "runs": runs,
        "runs_per_s": runs / wall_s,
        "latency_ms": summary(latencies),
        "cpu_ms_per_run": cpu.usage(before, after, runs, wall_s),
        "loadavg_at_end": os.getloadavg(),
        "wall_s": wall_s,
        "samples_ms": latencies,
    }

"""The closed loop every system is driven by, and the CPU it cost: C threads, each starting a
run as soon as its last one ended, each run timed by its client from start to observed end;
CPU per run for every process involved (the system's own, this client, Postgres, Redis) and
how busy the rest of the machine was, so a skewed figure shows."""

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count

from .. import cpu
from ..stats import summary

Run = Callable[[], None]

# The shared services, by process name; every system's row shows both, so a system's use of
# one it does not need (none) and other tenants' load on them are both visible.
SERVICES = {"postgres": "postgres", "redis": "redis-server"}


@dataclass
class Processes:
    """The processes a system's runs cost: `sessions` names the session leaders started for
    it (each counted with everything it forked); this process is counted as `client`."""

    sessions: dict[str, int] = field(default_factory=dict)
    client: str = "client"


@dataclass
class Usage:
    """CPU used between `start` and `stop`, per named process, per run."""

    processes: Processes
    table: cpu.Table = field(default_factory=dict)
    client_s: float = 0.0
    machine_s: float | None = None
    wall_s: float = 0.0
    cpu_ms: dict[str, float] = field(default_factory=dict)
    others_cpu_pct: float | None = None

    def per_run(self, runs: int) -> dict[str, float]:
        return {name: ms / runs for name, ms in self.cpu_ms.items()}


@contextmanager
def metered(processes: Processes) -> Iterator[Usage]:
    """Measure the CPU of `processes` (and of the rest of the machine) over the block."""
    usage = Usage(processes, cpu.process_table(), time.process_time(), cpu.machine_busy_seconds())
    started = time.perf_counter()
    yield usage
    usage.wall_s = time.perf_counter() - started
    table, machine = cpu.process_table(), cpu.machine_busy_seconds()
    seconds = {
        name: cpu.group_seconds(usage.table, table, session=pid)
        for name, pid in processes.sessions.items()
    }
    seconds[processes.client] = time.process_time() - usage.client_s
    for name, command in SERVICES.items():
        seconds[name] = cpu.group_seconds(usage.table, table, command=command)
    usage.cpu_ms = {name: s * 1000 for name, s in seconds.items()}
    if machine is not None and usage.machine_s is not None:
        others = machine - usage.machine_s - sum(seconds.values())
        usage.others_cpu_pct = max(others, 0) * 100 / usage.wall_s


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


def row(system: str, concurrency: int, latencies: list[float], usage: Usage) -> dict:
    """One row of the table (and of the JSON): throughput, latency, CPU per run."""
    runs = len(latencies)
    return {
        "system": system,
        "concurrency": concurrency,
        "runs": runs,
        "runs_per_s": runs / usage.wall_s,
        "latency_ms": summary(latencies),
        "cpu_ms_per_run": usage.per_run(runs),
        "others_cpu_pct": usage.others_cpu_pct,
        "loadavg_at_end": os.getloadavg(),
        "wall_s": usage.wall_s,
        "samples_ms": latencies,
    }


def measure(
    system: str, run: Run, concurrency: int, runs: int, warmup: int, processes: Processes
) -> dict:
    """Warm up, then time `runs` runs of `run` at `concurrency`, client-timed."""
    closed_loop(run, warmup_runs(warmup, concurrency), concurrency)
    with metered(processes) as usage:
        latencies, _ = closed_loop(run, runs, concurrency)
    return row(system, concurrency, latencies, usage)

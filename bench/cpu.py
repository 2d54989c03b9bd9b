"""CPU time used by the processes under test (to tell which one a run waits on), and by
everything else on the machine (to tell whether the figures can be trusted). Linux /proc;
elsewhere the figures are None."""

import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process `pid` (all its threads); None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the fields after "pid (command)"
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_busy_seconds() -> float | None:
    """CPU seconds all CPUs spent busy (not idle, not waiting on I/O) since boot."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in first[1:8])
    return (user + nice + system + irq + softirq) / TICKS


def snapshot(pids: dict[str, int]) -> dict[str, float | None]:
    """CPU seconds of each named process, of this one ("bench") and of the whole machine."""
    return {
        **{name: cpu_seconds(pid) for name, pid in pids.items()},
        "bench": time.process_time(),
        "machine": machine_busy_seconds(),
    }


def usage(
    before: dict[str, float | None], after: dict[str, float | None], runs: int, wall_s: float
) -> dict[str, float | None]:
    """CPU ms per run of each process between two snapshots, and `others_cpu_pct`: how much
    of one CPU the rest of the machine used meanwhile."""
    used = {
        name: None if before[name] is None or after[name] is None else after[name] - before[name]
        for name in before
    }
    machine = used.pop("machine")
    ours = list(used.values())
    result = {name: None if s is None else s * 1000 / runs for name, s in used.items()}
    others = None if machine is None or None in ours else machine - sum(ours)
    result["others_cpu_pct"] = None if others is None else max(others, 0) * 100 / wall_s
    return result


# A process table: pid -> (command, session id, CPU seconds). Processes started by
# tests.harness.Process lead a session of their own, so a session id names a process and
# everything it forked (Celery's prefork pool, for one).
Table = dict[int, tuple[str, int, float]]


def process_table() -> Table:
    """Every live process's command, session and user + system CPU seconds."""
    table: Table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        command = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        table[int(entry.name)] = (
            command,
            int(fields[3]),
            (int(fields[11]) + int(fields[12])) / TICKS,
        )
    return table


def group_seconds(before: Table, after: Table, *, session: int = 0, command: str = "") -> float:
    """CPU seconds used between two tables by the processes of `session`, or named `command`.
    A process started meanwhile counts whole; one that ended meanwhile counts 0 (its last
    moments are lost: a bench keeps its processes alive while it measures)."""
    used = 0.0
    for pid, (name, sid, seconds) in after.items():
        if (session and sid == session) or (command and name == command):
            used += seconds - before.get(pid, ("", 0, 0.0))[2]
    return used

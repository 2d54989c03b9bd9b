"""Our server in the same invocation: bench.ten_steps exactly as its own command runs it (a
fresh dev server and SDK app per concurrency, its floors, its table and JSON), with its figures
then put in the peers' shape."""

import tempfile
from pathlib import Path

from .. import ten_steps
from ..ten_steps import ROOT
from .loop import warmup_runs


def measure(concurrency: int, runs: int, warmup: int) -> dict:
    warmup = warmup_runs(warmup, concurrency)
    argv = ["--runs", str(runs), "--concurrency", str(concurrency), "--warmup", str(warmup)]
    args = ten_steps.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="bench-ten-steps-") as tmp,
        ten_steps.running_stack(Path(tmp)) as (server, app),
    ):
        results = ten_steps.benchmark(server, app, Path(tmp), args)
    ten_steps.print_table(results)
    path = ten_steps.write_results(results)
    return {
        "system": "ours",
        "concurrency": concurrency,
        "runs": runs,
        "runs_per_s": results["runs_per_s"],
        # Server-timed (queued->ended): the event's POST and the watcher's poll are outside it.
        "latency_ms": results["run"]["latency"],
        "cpu_ms_per_run": results["cpu_ms_per_run"],
        "loadavg_at_end": results["machine"]["loadavg_at_end"],
        "wall_s": results["wall_s"],
        "ten_steps_results": str(path.relative_to(ROOT)),
        "samples_ms": results["samples_ms"]["latency"],
    }

"""`python -m bench.scale_out` still runs end to end on a tiny grid, so the scale-out bench
cannot rot. It starts a staging stack (Postgres, Redis), so only the staging suite runs it.
Nothing here looks at a figure: a smoke run's timings mean nothing."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import ROOT, STAGING

TIMEOUT_S = 300


@pytest.mark.skipif(not STAGING, reason="needs the Postgres and Redis the staging suite starts")
def test_bench_scale_out_measures_each_worker_count_beside_the_ideal(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "bench.scale_out", "--workers", "1", "2", "--threads", "2"),
            *("--runs", "4", "--warmup", "1", "--step-ms", "10"),
            *("--results-dir", str(tmp_path)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [path] = tmp_path.glob("scale_out-*.json")
    results = json.loads(path.read_text())
    assert [row["workers"] for row in results["rows"]] == [1, 2]
    for row in results["rows"]:
        assert row["runs"] >= 4 and row["threads"] == 2, row
        assert {"runs_per_s", "ideal_runs_per_s", "cpu_pct", "loadavg_at_end"} <= row.keys()
        assert {"web", "app", "workers_total", "pg_backends"} <= row["cpu_ms_per_run"].keys()
    assert "ideal" in done.stdout

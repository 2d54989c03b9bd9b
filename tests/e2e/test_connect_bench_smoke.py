"""`python -m bench.connect --quick` still runs end to end, so the benchmark cannot rot: the
10-step run over HTTP and over Connect, Python and JS 4.x, one row each. Embedded suite only
(the bench reads run ends from the embedded server's SQLite file). Nothing here looks at a
figure: a smoke run's timings mean nothing."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import ROOT, STAGING

TIMEOUT_S = 300


@pytest.mark.skipif(STAGING, reason="the bench runs the embedded server: that suite runs it")
def test_bench_connect_quick_measures_both_transports_of_each_sdk(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.connect", "--quick", "--runs", "3"]
        + ["--results-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [path] = tmp_path.glob("connect-*.json")
    rows = json.loads(path.read_text())["results"]

    assert [(r["sdk"], r["transport"]) for r in rows] == [
        ("py", "http"),
        ("py", "connect"),
        ("js4", "http"),
        ("js4", "connect"),
    ]
    for row in rows:
        assert row["round"] == 1 and row["runs"] == 3 and row["concurrency"] == 1, row
        assert row["latency_ms"]["n"] == 3 and row["cpu_ms_per_run"]["server"] > 0, row
    assert "py   connect" in done.stdout and "js4  connect" in done.stdout

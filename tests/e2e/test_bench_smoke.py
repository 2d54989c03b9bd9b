"""`python -m bench.peers --quick` still runs end to end, so the benchmark cannot rot. Each
suite runs the systems its services allow: the embedded suite ours (the embedded dev server,
no Postgres or Redis needed), the staging suite the peers on the Postgres and Redis it starts.
Nothing here looks at a figure: a smoke run's timings mean nothing."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import ROOT, STAGING

TIMEOUT_S = 300
DBOS_INSTALLED = importlib.util.find_spec("dbos") is not None


def _run_bench(systems: list[str], results_dir: Path) -> tuple[str, dict]:
    """The quick bench on `systems`; its output and its JSON results."""
    done = subprocess.run(
        [
            *(sys.executable, "-m", "bench.peers", "--quick", "--runs", "5"),
            *("--concurrency", "1", "--systems", *systems, "--results-dir", str(results_dir)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [path] = results_dir.glob("peers-*.json")
    return done.stdout, json.loads(path.read_text())


def _check_rows(results: dict, systems: list[str]) -> None:
    assert [row["system"] for row in results["results"]] == systems
    for row in results["results"]:
        assert row["round"] == 1 and row["runs"] == 5, row
        assert {"postgres", "redis"} <= row["cpu_ms_per_run"].keys(), row


@pytest.mark.skipif(STAGING, reason="ours in the bench is the embedded server: that suite runs it")
def test_bench_peers_quick_measures_ours_polling_waiting_and_server_timed(tmp_path: Path) -> None:
    output, results = _run_bench(["ours"], tmp_path)
    _check_rows(results, ["ours, polling", "ours, waiting", "ours, server-timed"])
    polled, waited = results["results"][:2]
    assert {"server", "app", "client"} <= polled["cpu_ms_per_run"].keys()
    assert polled["requests_per_run"] >= 2  # the event's POST and at least one poll
    assert polled["server_cpu_ms_per_poll"] > 0
    # The POST and one GET held until the run ended (a second only if the hold timed out).
    assert 2 <= waited["requests_per_run"] < 2.5
    assert "requests per run" in output and "ours, server-timed" in output
    assert "held by the server until the run ended" in output


@pytest.mark.skipif(not STAGING, reason="needs the Redis that the staging suite starts")
def test_bench_peers_quick_measures_a_celery_chain(tmp_path: Path) -> None:
    output, results = _run_bench(["celery"], tmp_path)
    _check_rows(results, ["celery"])
    assert {"worker", "client"} <= results["results"][0]["cpu_ms_per_run"].keys()
    assert "celery" in output


@pytest.mark.skipif(not STAGING, reason="needs the Postgres that the staging suite starts")
@pytest.mark.skipif(
    not DBOS_INSTALLED,
    reason="dbos is in the optional [bench] extra, which `make test` does not install "
    "(`pip install -e '.[bench]'` to run this)",
)
def test_bench_peers_quick_measures_a_dbos_workflow(tmp_path: Path) -> None:
    output, results = _run_bench(["dbos"], tmp_path)
    _check_rows(results, ["dbos"])
    assert "app+client" in results["results"][0]["cpu_ms_per_run"]
    assert "dbos" in output

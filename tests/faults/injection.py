"""Fault injection and its checks, shared by the fault tests and bench/soak.py."""

import os
import subprocess
import time

from tests.harness import wait_until


def steps_run_after_stored(lines: list[str], key: str, steps: list[dict]) -> list[str]:
    """Steps of a `soak` run (tests/apps/python_app.py) whose body ran again after the
    execution whose output was stored, or whose stored execution is not in the app's log.
    A body that ran before it (its result lost with a killed worker) is at-least-once, fine."""
    wrong = []
    for step in steps:
        nonce = (step.get("memo") or {}).get("data")
        prefix = f"soak:{key}:{step['name']}:"
        if not isinstance(nonce, str):
            continue  # a sleep or a wait
        ran = [i for i, line in enumerate(lines) if line.startswith(prefix)]
        stored = [i for i in ran if lines[i] == prefix + nonce]
        if not stored or ran[-1] != stored[0]:
            wrong.append(step["name"])
    return wrong


def restart_postgres(down_seconds: float = 3.0) -> None:
    """Stop the local PostgreSQL cluster (fast: clients are cut off), keep it down for a
    while, start it again and wait until it accepts connections (as .ci/services.sh runs it)."""
    version = sorted(os.listdir("/usr/lib/postgresql"), key=int)[-1]
    subprocess.run(["pg_ctlcluster", version, "main", "stop", "-m", "fast"], check=True)
    time.sleep(down_seconds)  # an outage, not a blip
    subprocess.run(["pg_ctlcluster", version, "main", "start"], check=True)
    wait_until(
        lambda: subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0,
        30,
        "PostgreSQL to accept connections again",
        interval=0.2,
    )

"""A Connect worker that stops heartbeating while it still lives (the Python SDK's own
heartbeat override: one beat on connecting, then silence): the gateway closes its socket after
the missed beats, its registry entry goes, and the step it was running is re-driven on another
worker, its output stored once; the app's history says the socket ended for missed
heartbeats. And a worker dialing in after a Postgres restart (staging) still syncs and is
recorded."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.connect_apps import connection_history
from tests.faults.injection import restart_postgres
from tests.harness import APPS, STAGING, DevServer, Process, cloud_mode_env, wait_until

APP_ID = "hb-connect"
HEARTBEAT = 2


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DevServer]:
    # Beats every 2 s, so three missed take 6 s, not Inngest's 30 (the healthy Python worker
    # is told to beat every second: the Python SDK keeps its own interval).
    env = {"DEVSERVER_CONNECT_HEARTBEAT_SECONDS": str(HEARTBEAT)}
    if STAGING:
        env["DEVSERVER_SDK_URLS"] = ""
    server = DevServer(tmp_path, env=env, name="heartbeats").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def start_worker(server: DevServer, tmp_path: Path) -> Iterator:
    started: list[Process] = []

    def start(instance: str, **env: str) -> Process:
        process = Process(
            f"connect-{instance}",
            [sys.executable, str(APPS / "py_connect.py")],
            {
                "APP_ID": APP_ID,
                "INSTANCE_ID": instance,
                "LOG_FILE": str(tmp_path / "steps.log"),
                "INNGEST_DEV": "1",
                "INNGEST_BASE_URL": server.url,
                **(cloud_mode_env(server.url) if STAGING else {}),
                **env,
            },
            tmp_path,
            cwd=APPS,
        ).start()
        started.append(process)
        return process

    (tmp_path / "steps.log").write_text("")
    yield start
    for process in started:
        process.kill()


def _connections(server: DevServer, instance: str) -> set[str]:
    apps = server.http.get("/api/apps").json()
    app = next((a for a in apps if a.get("name") == APP_ID), {})
    return {
        w["connection_id"]
        for w in app.get("connect_workers", [])
        if w.get("instance_id") == instance
    }


def test_missed_heartbeats_drop_the_worker_and_its_step_is_redriven(server, start_worker, tmp_path):
    log = tmp_path / "steps.log"
    silent = start_worker("silent", HEARTBEAT_SECONDS="3600")
    [first] = wait_until(lambda: _connections(server, "silent"), 60, "the silent worker")
    # The silent worker's step would outlast the test; the healthy one's is short.
    [event_id] = server.send(
        {"name": f"{APP_ID}/slow", "data": {"seconds": 1, "seconds_on": {"silent": 300}}}
    )
    wait_until(lambda: "slow:start:silent" in log.read_text(), 30, "the step on the worker")
    start_worker("healthy", HEARTBEAT_SECONDS="1")
    wait_until(lambda: _connections(server, "healthy"), 60, "the healthy worker")

    # Three beats missed (6 s): the gateway drops that connection although the process lives.
    wait_until(lambda: first not in _connections(server, "silent"), 60, "the silent socket dropped")
    assert silent.proc is not None and silent.proc.poll() is None
    # The gateway's watchdog closes the socket (every 5 s it looks) and records why.
    reason = wait_until(
        lambda: next(
            r["reason"] for r in connection_history(server, APP_ID) if r["connection"] == first
        ),
        30,
        "the socket's end recorded",
    )
    assert reason == "heartbeat missed"
    # The SDK dials in again and would be silent again: take it away, so the retry of the step
    # can only go to the healthy worker.
    silent.kill()

    run = server.wait_run(event_id, f"{APP_ID}-slow", timeout=120)
    assert run["status"] == "Completed", run
    assert run["output"] == {"worker": "healthy", "after": "ok"}
    assert len(run["failed_attempts"]) == 1, run["failed_attempts"]
    lines = log.read_text().splitlines()
    assert "slow:end:silent" not in lines
    assert lines.count("slow:start:healthy") == 1 and lines.count("slow:after") == 1


@pytest.mark.skipif(not STAGING, reason="PostgreSQL serves the staging mode only")
def test_a_worker_dialing_in_after_a_postgres_restart_syncs_and_is_in_the_history(
    server, start_worker
):
    """The gateway's database calls run on threads outside Django's request cycle: their
    connections, cut by the restart, were never replaced, so a worker dialing in afterwards
    could not sync its app and no history row was written (until the web process restarted)."""
    before = start_worker("before", HEARTBEAT_SECONDS="1")
    wait_until(lambda: _connections(server, "before"), 60, "the first worker")
    before.kill()
    restart_postgres(down_seconds=2)
    start_worker("after", HEARTBEAT_SECONDS="1")
    wait_until(lambda: _connections(server, "after"), 60, "a worker dialing in after the restart")
    wait_until(
        lambda: any(r["instance"] == "after" for r in connection_history(server, APP_ID)),
        30,
        "its connection in the app's history",
    )
    [event_id] = server.send({"name": f"{APP_ID}/slow", "data": {"seconds": 0}})
    run = server.wait_run(event_id, f"{APP_ID}-slow", timeout=60)
    assert run["status"] == "Completed", run

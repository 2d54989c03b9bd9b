"""The web process that holds the Connect workers' sockets is killed (`kill -9`) and started
again while runs of their apps sleep: each worker (Python `inngest.connect`, JS 4.x
`connect()`) dials in again on its own, the runs go on and complete, and no step body runs
twice nor is any step stored twice. Staging: the web process alone dies, its Celery workers and
beat keep going (a wake-up due meanwhile finds no worker and is retried); embedded: the whole
server restarts from its database. The registry forgets the dead process's sockets at once
(not after their missed heartbeats), and the app's history closes them as `gateway lost`."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.connect_apps import (
    CONNECT_KINDS,
    ConnectApp,
    connect_server,
    connect_workers,
    connection_history,
)
from tests.harness import DevServer, wait_until

RUNS_PER_APP = 2
SLEEP_SECONDS = 8  # long enough to be asleep through the kill, short for the suite


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DevServer]:
    with connect_server(tmp_path, "web-restart") as server:
        yield server


@pytest.fixture
def workers(server: DevServer, tmp_path: Path) -> Iterator[list[ConnectApp]]:
    apps = [
        ConnectApp(
            kind, server, tmp_path, app_id=f"restart-{kind}", env={"LIFECYCLE_FUNCTIONS": "0"}
        )
        for kind in CONNECT_KINDS
    ]
    for app in apps:
        app.process.start()
    try:
        for app in apps:
            app.wait_connected()
        yield apps
    finally:
        for app in apps:
            app.process.kill()


def _sleep_event(app: ConnectApp, index: int) -> dict:
    # Python's sleepy reads `seconds`, JS's `duration`.
    data = {"seconds": SLEEP_SECONDS, "duration": f"{SLEEP_SECONDS}s", "i": index}
    return {"name": app.event("sleep"), "data": data}


def test_runs_sleeping_through_a_web_restart_complete_once(server, workers):
    events = {
        app.app_id: server.send([_sleep_event(app, i) for i in range(RUNS_PER_APP)])
        for app in workers
    }
    for app in workers:
        for event_id in events[app.app_id]:
            server.wait_run(event_id, app.slug("sleepy"), {"Sleeping"}, timeout=60)
    before = {
        app.app_id: {w["connection_id"] for w in connect_workers(server, app.app_id)}
        for app in workers
    }

    server.kill_web()
    server.start_web()

    # Every worker holds a new socket, dialed in on its own.
    for app in workers:
        wait_until(
            lambda app=app: (
                {w["connection_id"] for w in connect_workers(server, app.app_id)}
                - before[app.app_id]
            ),
            90,
            f"{app.app_id} to reconnect after the restart",
        )
        # The dead process's sockets leave the registry with its gateway key (5 s), so no
        # request goes to them: their heartbeats alone would keep them 20-30 s after the kill.
        wait_until(
            lambda app=app: (
                not {w["connection_id"] for w in connect_workers(server, app.app_id)}
                & before[app.app_id]
            ),
            15,
            f"{app.app_id}'s dead sockets to leave the registry",
        )
        # Nothing recorded their end; the app's history closes them when the app reconnects.
        wait_until(
            lambda app=app: (
                {
                    r["connection"]
                    for r in connection_history(server, app.app_id)
                    if r["reason"] == "gateway lost"
                }
                == before[app.app_id]
            ),
            30,
            f"{app.app_id}'s dead sockets recorded as lost",
        )
    for app in workers:
        for event_id in events[app.app_id]:
            run = server.wait_run(event_id, app.slug("sleepy"), timeout=120)
            assert run["status"] == "Completed" and run["output"] == "done", run
            names = [step["name"] for step in run["steps"]]
            assert sorted(names) == ["after", "before", "nap"], run["steps"]  # each stored once
        # Each run's last step ran once: the body after the sleep is logged once per run.
        assert app.log_lines().count("step:after") == RUNS_PER_APP, app.log_lines()

    # New work reaches the reconnected workers too.
    for app in workers:
        [event_id] = server.send({"name": app.event("multi"), "data": {"after": "restart"}})
        run = server.wait_run(event_id, app.slug("multi-step"), timeout=60)
        assert run["status"] == "Completed", run
        assert run["output"]["event"] == {"after": "restart"}

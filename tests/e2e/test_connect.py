"""Connect workers on the official Python SDK (`inngest.connect`, tests/apps/py_connect.py)
dial in to a real server: their app syncs over the socket, runs go through them (steps, sleep,
retries, waitForEvent), several workers share the load, a worker killed mid-step has its step
retried on another, a draining worker finishes its step and takes no new one."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import APPS, STAGING, DevServer, Process, cloud_mode_env, wait_until

APP_ID = "py-connect"
FUNCTIONS = 6


class Worker:
    def __init__(self, server: DevServer, work: Path, instance: str, **env: str) -> None:
        self.instance = instance
        self.process = Process(
            f"connect-{instance}",
            [sys.executable, str(APPS / "py_connect.py")],
            {
                "APP_ID": APP_ID,
                "INSTANCE_ID": instance,
                "LOG_FILE": str(work / "connect.steps.log"),
                "INNGEST_DEV": "1",
                "INNGEST_BASE_URL": server.url,
                **(cloud_mode_env(server.url) if STAGING else {}),
                **env,
            },
            work,
            cwd=APPS,
        ).start()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    work = tmp_path_factory.mktemp("connect")
    env = {"DEVSERVER_SDK_URLS": ""} if STAGING else {}
    server = DevServer(work, env=env, name="connect").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def work(server: DevServer) -> Path:
    log = server.work_dir / "connect.steps.log"
    log.write_text("")
    return server.work_dir


@pytest.fixture
def workers(server: DevServer, work: Path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.process.kill()


def _lines(work: Path) -> list[str]:
    return (work / "connect.steps.log").read_text().splitlines()


def _connected(server: DevServer, count: int) -> None:
    """The app is synced and `count` of its workers hold a socket (the Apps API lists them)."""

    def ready() -> bool:
        apps = server.http.get("/api/apps").json()
        app = next((a for a in apps if a.get("name") == APP_ID), None)
        return bool(app) and len(app.get("connect_workers", [])) >= count

    wait_until(ready, 60, f"{count} Connect worker(s) of {APP_ID}")


def _start(server: DevServer, work: Path, workers: list[Worker], name: str, **env: str) -> Worker:
    worker = Worker(server, work, name, **env)
    workers.append(worker)
    _connected(server, len([w for w in workers if w.process.proc.poll() is None]))
    return worker


def test_worker_syncs_its_app_and_runs_steps_once(server, work, workers):
    _start(server, work, workers, "a")
    functions = [f["slug"] for f in server.http.get("/api/functions").json()]
    assert sum(s.startswith(f"{APP_ID}-") for s in functions) == FUNCTIONS

    [event_id] = server.send({"name": f"{APP_ID}/multi", "data": {"x": 1}})
    run = server.wait_run(event_id, f"{APP_ID}-multi-step", timeout=60)

    assert run["status"] == "Completed", run
    assert run["output"] == {"a": {"n": 1}, "b": 2, "c": 3, "event": {"x": 1}}
    assert sorted(_lines(work)) == ["step:a", "step:b", "step:c"]


def test_sleep_retry_and_wait_for_event_over_connect(server, work, workers):
    _start(server, work, workers, "a")
    [sleep_id, flaky_id, wait_id] = server.send(
        [
            {"name": f"{APP_ID}/sleep", "data": {"seconds": 1}},
            {"name": f"{APP_ID}/flaky"},
            {"name": f"{APP_ID}/wait", "data": {"key": "k1"}},
        ]
    )

    def waiting() -> bool:
        runs = server.runs_for_event(wait_id)
        steps = server.run(runs[0]["run_id"])["steps"] if runs else []
        return any(step["status"] == "Waiting" for step in steps)

    wait_until(waiting, 60, "the waiter to wait for its event")
    server.send({"name": f"{APP_ID}/approved", "data": {"key": "k1", "ok": True}})

    assert server.wait_run(sleep_id, f"{APP_ID}-sleepy", timeout=60)["output"] == "done"
    flaky = server.wait_run(flaky_id, f"{APP_ID}-flaky", timeout=60)
    assert flaky["output"] == {"attempts": 3} and len(flaky["failed_attempts"]) == 2
    waited = server.wait_run(wait_id, f"{APP_ID}-waiter", timeout=60)
    assert waited["output"] == {"approved": {"key": "k1", "ok": True}}


def test_workers_share_the_load_up_to_their_capacity(server, work, workers):
    _start(server, work, workers, "a", MAX_CONCURRENCY="1")
    _start(server, work, workers, "b", MAX_CONCURRENCY="1")
    ids = server.send([{"name": f"{APP_ID}/slow", "data": {"seconds": 1}} for _ in range(4)])
    runs = [server.wait_run(i, f"{APP_ID}-slow", timeout=90) for i in ids]

    assert all(r["status"] == "Completed" for r in runs), runs
    assert {r["output"]["worker"] for r in runs} == {"a", "b"}
    starts = [line for line in _lines(work) if line.startswith("slow:start:")]
    assert len(starts) == 4


def test_worker_killed_mid_step_has_the_step_retried_on_another(server, work, workers):
    first = _start(server, work, workers, "k1")
    _start(server, work, workers, "k2")
    [event_id] = server.send({"name": f"{APP_ID}/slow", "data": {"seconds": 4}})
    started = wait_until(
        lambda: next((s for s in _lines(work) if s.startswith("slow:start:")), None),
        30,
        "the slow step to start",
    )
    victim = first if started.endswith(":k1") else workers[1]
    victim.process.kill()
    run = server.wait_run(event_id, f"{APP_ID}-slow", timeout=120)

    survivor = "k2" if victim is first else "k1"
    assert run["status"] == "Completed", run
    assert run["output"] == {"worker": survivor, "after": "ok"}
    assert f"slow:end:{victim.instance}" not in _lines(work)
    assert _lines(work).count("slow:after") == 1  # stored once, never run again


def test_draining_worker_finishes_its_step_and_takes_no_new_one(server, work, workers):
    first = _start(server, work, workers, "d1")
    _start(server, work, workers, "d2")
    [event_id] = server.send({"name": f"{APP_ID}/slow", "data": {"seconds": 3}})
    started = wait_until(
        lambda: next((s for s in _lines(work) if s.startswith("slow:start:")), None),
        30,
        "the slow step to start",
    )
    drained = first if started.endswith(":d1") else workers[1]
    drained.process.proc.terminate()  # SIGTERM: the SDK sends WORKER_PAUSE and drains
    run = server.wait_run(event_id, f"{APP_ID}-slow", timeout=90)

    assert run["status"] == "Completed", run
    assert run["output"]["worker"] == drained.instance  # its in-flight step counted
    assert f"slow:end:{drained.instance}" in _lines(work)
    assert len([s for s in _lines(work) if s.startswith("slow:start:")]) == 1
    assert drained.process.proc.wait(timeout=30) is not None

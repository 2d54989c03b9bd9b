"""Connect workers on the official SDKs (Python `inngest.connect`, tests/apps/py_connect.py; JS
4.x `connect()`, tests/apps/js/connect_app.mjs) dial in to a real server: their app syncs over
the socket, runs go through them (steps, sleep, retries, waitForEvent), several workers share
the load, a worker killed mid-step has its step retried on another, a draining worker finishes
its step and takes no new one; the app's history records why each worker left. Every case
runs with each SDK."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.connect_apps import WORKER_APPS, ConnectWorker, connect_server, connection_history
from tests.harness import DevServer, wait_until

FUNCTIONS = 6


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    with connect_server(tmp_path_factory.mktemp("connect"), "connect") as server:
        yield server


@pytest.fixture
def work(server: DevServer) -> Path:
    log = server.work_dir / "connect.steps.log"
    log.write_text("")
    return server.work_dir


@pytest.fixture(params=list(WORKER_APPS))
def sdk(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def app(sdk: str) -> str:
    return WORKER_APPS[sdk][1]


@pytest.fixture
def workers(server: DevServer, work: Path) -> Iterator[list[ConnectWorker]]:
    started: list[ConnectWorker] = []
    yield started
    for worker in started:
        worker.process.kill()
    # The next test's first worker must not be mistaken for one still leaving.
    for worker in started:
        worker.process.proc.wait(timeout=30)


def _lines(work: Path) -> list[str]:
    return (work / "connect.steps.log").read_text().splitlines()


def _connected(server: DevServer, app_id: str, instances: set[str]) -> None:
    """The app is synced and these workers hold a socket (the Apps API lists them)."""

    def ready() -> bool:
        apps = server.http.get("/api/apps").json()
        app = next((a for a in apps if a.get("name") == app_id), None)
        held = {w.get("instance_id") for w in (app or {}).get("connect_workers", [])}
        return instances <= held

    wait_until(ready, 60, f"Connect worker(s) {sorted(instances)} of {app_id}")


def _left_for(server: DevServer, app_id: str, instance: str) -> str:
    """Why the instance's latest connection ended, once the app's history says (blank: not
    yet)."""
    rows = [r for r in connection_history(server, app_id) if r["instance"] == instance]
    return rows[0]["reason"] if rows else ""


def _start(
    server: DevServer, work: Path, workers: list[ConnectWorker], sdk: str, name: str, **env: str
) -> ConnectWorker:
    worker = ConnectWorker(server, work, sdk, name, **env)
    workers.append(worker)
    alive = {w.instance for w in workers if w.process.proc.poll() is None}
    _connected(server, WORKER_APPS[sdk][1], alive)
    return worker


def test_worker_syncs_its_app_and_runs_steps_once(server, work, workers, sdk, app):
    _start(server, work, workers, sdk, "a")
    functions = [f["slug"] for f in server.http.get("/api/functions").json()]
    assert sum(s.startswith(f"{app}-") for s in functions) == FUNCTIONS

    [event_id] = server.send({"name": f"{app}/multi", "data": {"x": 1}})
    run = server.wait_run(event_id, f"{app}-multi-step", timeout=60)

    assert run["status"] == "Completed", run
    assert run["output"] == {"a": {"n": 1}, "b": 2, "c": 3, "event": {"x": 1}}
    assert sorted(_lines(work)) == ["step:a", "step:b", "step:c"]


def test_sleep_retry_and_wait_for_event_over_connect(server, work, workers, sdk, app):
    _start(server, work, workers, sdk, "a")
    [sleep_id, flaky_id, wait_id] = server.send(
        [
            {"name": f"{app}/sleep", "data": {"seconds": 1}},
            {"name": f"{app}/flaky"},
            {"name": f"{app}/wait", "data": {"key": "k1"}},
        ]
    )

    def waiting() -> bool:
        runs = server.runs_for_event(wait_id)
        steps = server.run(runs[0]["run_id"])["steps"] if runs else []
        return any(step["status"] == "Waiting" for step in steps)

    wait_until(waiting, 60, "the waiter to wait for its event")
    server.send({"name": f"{app}/approved", "data": {"key": "k1", "ok": True}})

    assert server.wait_run(sleep_id, f"{app}-sleepy", timeout=60)["output"] == "done"
    flaky = server.wait_run(flaky_id, f"{app}-flaky", timeout=60)
    assert flaky["output"] == {"attempts": 3} and len(flaky["failed_attempts"]) == 2
    waited = server.wait_run(wait_id, f"{app}-waiter", timeout=60)
    assert waited["output"] == {"approved": {"key": "k1", "ok": True}}


def test_workers_share_the_load_up_to_their_capacity(server, work, workers, sdk, app, tmp_path):
    """Every step holds until the gate opens: each worker takes one, the other two wait for a
    free worker, whatever the order and speed of the dispatches."""
    _start(server, work, workers, sdk, "a", MAX_CONCURRENCY="1")
    _start(server, work, workers, sdk, "b", MAX_CONCURRENCY="1")
    gate = tmp_path / "gate"
    ids = server.send([{"name": f"{app}/slow", "data": {"gate": str(gate)}} for _ in range(4)])

    def both_busy() -> bool:
        lines = _lines(work)
        return "slow:start:a" in lines and "slow:start:b" in lines

    wait_until(both_busy, 60, "a step on each worker")
    assert len([line for line in _lines(work) if line.startswith("slow:start:")]) == 2
    gate.touch()
    runs = [server.wait_run(i, f"{app}-slow", timeout=90) for i in ids]

    assert all(r["status"] == "Completed" for r in runs), runs
    assert {r["output"]["worker"] for r in runs} == {"a", "b"}
    starts = [line for line in _lines(work) if line.startswith("slow:start:")]
    assert len(starts) == 4


def test_worker_killed_mid_step_has_the_step_retried_on_another(
    server, work, workers, sdk, app, tmp_path
):
    first = _start(server, work, workers, sdk, "k1")
    _start(server, work, workers, sdk, "k2")
    gate = tmp_path / "gate"  # opened once the worker running the step is dead
    [event_id] = server.send({"name": f"{app}/slow", "data": {"gate": str(gate)}})
    started = wait_until(
        lambda: next((s for s in _lines(work) if s.startswith("slow:start:")), None),
        30,
        "the slow step to start",
    )
    victim = first if started.endswith(":k1") else workers[1]
    victim.process.kill()
    gate.touch()
    run = server.wait_run(event_id, f"{app}-slow", timeout=120)

    survivor = "k2" if victim is first else "k1"
    assert run["status"] == "Completed", run
    assert run["output"] == {"worker": survivor, "after": "ok"}
    assert f"slow:end:{victim.instance}" not in _lines(work)
    assert _lines(work).count("slow:after") == 1  # stored once, never run again
    # No close frame came from the killed worker: its history says so.
    left = wait_until(lambda: _left_for(server, app, victim.instance), 30, "the kill recorded")
    assert left == "killed"


def test_draining_worker_finishes_its_step_and_takes_no_new_one(
    server, work, workers, sdk, app, tmp_path
):
    first = _start(server, work, workers, sdk, "d1")
    _start(server, work, workers, sdk, "d2")
    gate = tmp_path / "gate"  # opened once the worker running the step was told to drain
    [event_id] = server.send({"name": f"{app}/slow", "data": {"gate": str(gate)}})
    started = wait_until(
        lambda: next((s for s in _lines(work) if s.startswith("slow:start:")), None),
        30,
        "the slow step to start",
    )
    drained = first if started.endswith(":d1") else workers[1]
    drained.process.proc.terminate()  # SIGTERM: the SDK sends WORKER_PAUSE and drains
    gate.touch()
    run = server.wait_run(event_id, f"{app}-slow", timeout=90)

    assert run["status"] == "Completed", run
    assert run["output"]["worker"] == drained.instance  # its in-flight step counted
    assert f"slow:end:{drained.instance}" in _lines(work)
    assert len([s for s in _lines(work) if s.startswith("slow:start:")]) == 1
    assert drained.process.proc.wait(timeout=30) is not None
    left = wait_until(lambda: _left_for(server, app, drained.instance), 30, "the drain recorded")
    assert left == "draining"

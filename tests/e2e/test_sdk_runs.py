"""Runs driven through the official SDKs (Python, JS 3.x, JS 4.x): steps, memoization, output.
Each case runs over both transports: HTTP (the shared server's apps) and Connect (the same
app modules as workers that dial in: Python `inngest.connect`, JS 4.x `connect()`)."""

from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.connect_apps import CONNECT_KINDS, ConnectApp
from tests.harness import SDK_KINDS, DevServer, SdkApp

App = SdkApp | ConnectApp


@pytest.fixture(scope="module")
def connect_apps(
    server: DevServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ConnectApp]]:
    """One Connect worker per SDK on the shared server, started when a Connect case first
    needs them and shared by the module's cases; their apps are removed afterwards."""
    work = tmp_path_factory.mktemp("sdk-connect")
    apps = {
        kind: ConnectApp(kind, server, work, env={"LIFECYCLE_FUNCTIONS": "0"})
        for kind in CONNECT_KINDS
    }
    for connect_app in apps.values():
        connect_app.process.start()
    try:
        for connect_app in apps.values():
            connect_app.wait_connected()
        yield apps
    finally:
        for connect_app in apps.values():
            connect_app.process.kill()
        listed = {a["name"]: a["id"] for a in server.http.get("/api/apps").json()}
        for connect_app in apps.values():
            if connect_app.app_id in listed:
                server.http.delete(f"/api/apps/{listed[connect_app.app_id]}")


@pytest.fixture(params=[*SDK_KINDS, *(f"{kind}-connect" for kind in CONNECT_KINDS)])
def app(request: pytest.FixtureRequest, shared: dict) -> App:
    """Each test runs once per official SDK over HTTP, and once per SDK with Connect over
    Connect, with that app's step log cleared."""
    kind, _, transport = request.param.partition("-")
    apps = request.getfixturevalue("connect_apps") if transport else shared["apps"]
    sdk_app = apps[kind]
    sdk_app.clear_log()
    return sdk_app


def test_multi_step_run_completes_with_each_step_output_memoized(server: DevServer, app: App):
    [event_id] = server.send({"name": app.event("multi"), "data": {"order": 7}})
    run = server.wait_run(event_id, app.slug("multi-step"))

    assert run["status"] == "Completed", run
    assert run["output"] == {"a": {"n": 1}, "b": 2, "c": 3, "event": {"order": 7}}
    steps = {s["name"]: s for s in run["steps"]}
    assert [steps[n]["memo"] for n in "abc"] == [{"data": {"n": 1}}, {"data": 2}, {"data": 3}]
    assert all(s["status"] == "Completed" and s["attempts"] == 1 for s in steps.values())


def test_code_outside_steps_reruns_while_each_step_body_runs_once(server: DevServer, app: App):
    [event_id] = server.send({"name": app.event("multi"), "data": {}})
    server.wait_run(event_id, app.slug("multi-step"))

    lines = app.log_lines()
    assert [line for line in lines if line.startswith("step:")] == ["step:a", "step:b", "step:c"]
    # Replayed from the top once per request: one per step plus the final call; JS v4
    # checkpoints, running all three steps (and the return) in a single request.
    assert lines.count("outside") == (1 if app.kind == "js4" else 4)


def test_sleep_parks_the_run_then_wakes_it(server: DevServer, app: App):
    """Parked until its wake-up time: read off the ended run (the step after the sleep started
    no earlier than the nap's wake time), not off a 2 s window the test would have to catch."""
    [event_id] = server.send({"name": app.event("sleep"), "data": {"seconds": 2, "duration": "2s"}})
    run = server.wait_run(event_id, app.slug("sleepy"))
    assert run["status"] == "Completed" and run["output"] == "done"
    nap = next(s for s in run["steps"] if s["opcode"] == "Sleep")
    assert nap["status"] == "Completed" and nap["memo"] == {"data": None} and nap["wake_at"]
    [after] = [s for s in run["steps"] if s["name"] == "after"]
    assert _at(after["started_at"]) >= _at(nap["wake_at"]), run["steps"]
    assert app.log_lines().count("step:after") == 1


def test_trigger_if_expression_filters_events(server: DevServer, app: App):
    small, large = server.send(
        [
            {"name": app.event("if"), "data": {"amount": 5}},
            {"name": app.event("if"), "data": {"amount": 50}},
        ]
    )
    run = server.wait_run(large, app.slug("if-trigger"))
    assert run["status"] == "Completed" and run["output"] == 50
    assert server.runs_for_event(small) == []


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))

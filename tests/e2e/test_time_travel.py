"""Time travel against the real server and the official Python SDK app (tests/apps/python_app.py):
a sleeping run wakes now (API, MCP), a waiting run's waitForEvent times out now (the command),
each through the engine's timers (the run goes on as at its deadline, its steps run once) and
audited; the awaited event, prefilled from the wait's `if`, is sent (API, MCP, command) and
resumes the run; a debounce, a partial batch and a throttled run held for an hour are released
now (API, command, MCP). A staging console (DEVSERVER_TIME_TRAVEL off by default) refuses."""

import uuid
from datetime import datetime, timedelta

import pytest

from tests.harness import STAGING, TERMINAL, DevServer, SdkApp, wait_until
from tests.mcp_client import ToolFailed, call


@pytest.fixture
def py(shared: dict) -> tuple[DevServer, SdkApp]:
    app = shared["apps"]["py"]
    app.clear_log()
    return shared["server"], app


def _parked(server: DevServer, app: SdkApp, event: str, data: dict, status: str) -> str:
    ids = server.send({"name": app.event(event), "data": data})
    run_id = wait_until(lambda: server.runs_for_event(ids[0]), 30, "a run")[0]["run_id"]
    wait_until(lambda: server.run(run_id)["status"] == status, 30, f"the run {status}")
    return run_id


def _ended(server: DevServer, run_id: str) -> dict:
    return wait_until(
        lambda: (run := server.run(run_id))["status"] in TERMINAL and run, 60, f"run {run_id}"
    )


def test_a_staging_console_refuses_time_travel(py):
    server, app = py
    if not STAGING:
        pytest.skip("dev mode: time travel is on")
    run_id = _parked(server, app, "sleep", {"seconds": 600}, "Sleeping")
    answer = server.http.post(f"/api/runs/{run_id}/wake")
    assert answer.status_code == 403 and "DEVSERVER_TIME_TRAVEL" in answer.json()["error"]
    server.http.post(f"/api/runs/{run_id}/cancel")


@pytest.mark.skipif(STAGING, reason="time travel is off on a staging console")
def test_a_sleeping_run_wakes_now_and_goes_on(py):
    server, app = py
    run_id = _parked(server, app, "sleep", {"seconds": 3600}, "Sleeping")
    answer = server.http.post(f"/api/runs/{run_id}/wake")
    assert answer.status_code == 200 and answer.json()["steps"] == ["nap"]
    run = _ended(server, run_id)
    assert run["status"] == "Completed" and run["output"] == "done"
    assert app.log_lines().count("step:after") == 1
    again = server.http.post(f"/api/runs/{run_id}/wake")
    assert again.status_code == 409
    audit = server.http.get("/api/audit", params={"action": "run.wake"}).json()
    assert [entry["target"] for entry in audit].count(run_id) == 1


@pytest.mark.skipif(STAGING, reason="time travel is off on a staging console")
def test_an_agent_wakes_a_sleeping_run(py):
    server, app = py
    run_id = _parked(server, app, "sleep", {"seconds": 3600}, "Sleeping")
    headers = dict(server.http.headers)
    assert call(server.url, "wake_run", headers, run_id=run_id)["steps"] == ["nap"]
    assert _ended(server, run_id)["status"] == "Completed"
    with pytest.raises(ToolFailed, match="no step sleeping"):
        call(server.url, "wake_run", headers, run_id=run_id)


@pytest.mark.skipif(STAGING, reason="time travel is off on a staging console")
def test_a_waiting_run_times_out_now_from_the_command_line(py):
    server, app = py
    run_id = _parked(server, app, "await", {"key": "tt", "timeout": 3600}, "Waiting")
    done = server.manage("runs", "timeout", run_id)
    assert done.returncode == 0, done.stderr
    assert "signal" in done.stdout
    run = _ended(server, run_id)
    assert run["status"] == "Completed" and run["output"] == {"signal": None}
    assert app.log_lines().count("await:tt:after") == 1
    refused = server.manage("runs", "timeout", run_id)
    assert refused.returncode != 0 and "no step waiting" in refused.stderr


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_a_staging_console_refuses_to_send_or_release(py):
    server, app = py
    if not STAGING:
        pytest.skip("dev mode: time travel is on")
    body = {"kind": "debounce", "key": "anyone"}
    answer = server.http.post(f"/api/functions/{app.slug('tt-debounced')}/release", json=body)
    assert answer.status_code == 403 and "DEVSERVER_TIME_TRAVEL" in answer.json()["error"]


@pytest.mark.skipif(STAGING, reason="time travel is off on a staging console")
def test_the_awaited_event_prefilled_from_the_wait_resumes_the_run(py):
    server, app = py
    key = _unique("send")
    run_id = _parked(server, app, "await", {"key": key, "timeout": 3600}, "Waiting")
    awaited = server.http.get(f"/api/runs/{run_id}/awaited-event").json()
    assert awaited["name"] == app.event("signal") and awaited["data"] == {"key": key}
    assert awaited["complete"] and awaited["step"] == "signal"
    wrong = server.http.post(
        f"/api/runs/{run_id}/send-awaited-event", json={"data": {"key": "another"}}
    )
    assert wrong.status_code == 400 and "does not satisfy" in wrong.json()["error"]
    sent = server.http.post(
        f"/api/runs/{run_id}/send-awaited-event", json={"data": {**awaited["data"], "by": "tt"}}
    )
    assert sent.status_code == 200 and sent.json()["resumed"], sent.text
    run = _ended(server, run_id)
    assert run["status"] == "Completed" and run["output"] == {"signal": {"key": key, "by": "tt"}}
    assert app.log_lines().count(f"await:{key}:after") == 1
    event = server.http.get(f"/api/events/{sent.json()['event_id']}").json()
    assert event["name"] == app.event("signal")
    audit = server.http.get("/api/audit", params={"action": "run.send_awaited_event"}).json()
    assert [entry["target"] for entry in audit].count(run_id) == 1


@pytest.mark.skipif(STAGING, reason="time travel is off on a staging console")
def test_an_agent_and_the_command_line_send_the_awaited_event(py):
    server, app = py
    headers = dict(server.http.headers)
    by_agent, by_command = _unique("mcp"), _unique("cli")
    agent_run = _parked(server, app, "await", {"key": by_agent, "timeout": 3600}, "Waiting")
    command_run = _parked(server, app, "await", {"key": by_command, "timeout": 3600}, "Waiting")
    awaited = call(server.url, "get_awaited_event", headers, run_id=agent_run)
    assert awaited["data"] == {"key": by_agent}
    sent = call(server.url, "send_awaited_event", headers, run_id=agent_run, data=awaited["data"])
    assert sent["resumed"] and sent["step"] == "signal"
    done = server.manage("runs", "send-event", command_run)  # the prefilled data
    assert done.returncode == 0, done.stderr
    assert f'"key": "{by_command}"' in done.stdout and "resumed" in done.stdout
    for run_id, key in ((agent_run, by_agent), (command_run, by_command)):
        assert _ended(server, run_id)["output"] == {"signal": {"key": key}}
    with pytest.raises(ToolFailed, match="no waitForEvent step"):
        call(server.url, "send_awaited_event", headers, run_id=agent_run, data={})


@pytest.mark.skipif(STAGING, reason="time travel is off on a staging console")
def test_a_debounce_and_a_partial_batch_released_now_start_their_runs(py):
    server, app = py
    user = _unique("hold")
    debounced = server.send([{"name": app.event("tt-debounce"), "data": {"user": user, "n": n}}
                             for n in range(3)])  # fmt: skip
    batched = server.send([{"name": app.event("tt-batch"), "data": {"user": user, "n": n}}
                           for n in (10, 11)])  # fmt: skip
    flow = server.http.get(f"/api/functions/{app.slug('tt-batched')}/flow").json()
    assert [(h["kind"], h["key"], h["events"]) for h in flow["holds"]] == [("batch", user, 2)]
    answer = server.http.post(
        f"/api/functions/{app.slug('tt-batched')}/release", json={"kind": "batch", "key": user}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["event_ids"] == batched
    run = _ended(server, answer.json()["run_id"])
    assert run["status"] == "Completed" and run["output"] == [10, 11]
    done = server.manage(
        "functions", "release", app.slug("tt-debounced"), "--hold", "debounce", "--key", user
    )
    assert done.returncode == 0, done.stderr
    run = server.wait_run(debounced[-1], app.slug("tt-debounced"))
    assert run["status"] == "Completed" and run["output"] == 2  # the last event won
    again = server.http.post(
        f"/api/functions/{app.slug('tt-batched')}/release", json={"kind": "batch", "key": user}
    )
    assert again.status_code == 409
    audit = server.http.get("/api/audit", params={"action": "function.release_hold"}).json()
    assert {entry["detail"]["run"] for entry in audit} >= {answer.json()["run_id"], run["id"]}


@pytest.mark.skipif(STAGING, reason="time travel is off on a staging console")
def test_a_run_the_throttle_queues_for_an_hour_starts_now_when_released(py):
    server, app = py
    user = _unique("thr")
    first, second = server.send(
        [{"name": app.event("tt-throttle"), "data": {"user": user, "n": n}} for n in range(2)]
    )
    assert server.wait_run(first, app.slug("tt-throttled"))["output"] == 0
    [queued] = wait_until(lambda: server.runs_for_event(second), 30, "the throttled run")
    held = server.run(queued["run_id"])
    assert held["status"] == "Queued" and held["pending"][0]["reason"] == "throttled"
    released = call(server.url, "release_run", dict(server.http.headers), run_id=held["id"])
    was_due = datetime.fromisoformat(released["was_due_at"])
    due = datetime.fromisoformat(held["pending"][0]["due_at"].replace("Z", "+00:00"))
    assert abs(was_due - due) < timedelta(milliseconds=1)  # the API shows milliseconds
    run = _ended(server, held["id"])
    assert run["status"] == "Completed" and run["output"] == 1
    again = server.http.post(f"/api/runs/{held['id']}/release")
    assert again.status_code == 409 and "not queued behind a throttle" in again.json()["error"]

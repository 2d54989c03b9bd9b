"""Time travel against the real server and the official Python SDK app (tests/apps/python_app.py):
a sleeping run wakes now (API, MCP), a waiting run's waitForEvent times out now (the command),
each through the engine's timers (the run goes on as at its deadline, its steps run once) and
audited. A staging console (DEVSERVER_TIME_TRAVEL off by default) refuses."""

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

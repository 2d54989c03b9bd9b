"""The MCP server at /mcp, driven by the official MCP Python client against the real server
and the official Python SDK app (tests/apps/python_app.py): every tool answers, write tools
act through the operator actions (audited), and access follows /api/'s rules."""

import pytest

from tests.harness import SDK_KINDS, STAGING, TERMINAL, DevServer, SdkApp, wait_until
from tests.mcp_client import ToolFailed, call, tool_names

READ_TOOLS = {
    "list_apps",
    "list_functions",
    "list_runs",
    "get_run",
    "get_event_runs",
    "preview_fork",
    "export_run_fixture",
    "get_awaited_event",
}
WRITE_TOOLS = {
    "send_event",
    "invoke_function",
    "cancel_run",
    "replay_run",
    "retry_run",
    "rerun_from_step",
    "wake_run",
    "time_out_run",
    "import_run_fixture",
    "send_awaited_event",
    "release_run",
    "release_hold",
}


@pytest.fixture
def py(shared: dict) -> tuple[DevServer, SdkApp, dict[str, str]]:
    server = shared["server"]
    return server, shared["apps"]["py"], dict(server.http.headers)


def _finished(server: DevServer, run_id: str) -> dict:
    return wait_until(
        lambda: (run := server.run(run_id))["status"] in TERMINAL and run, 60, f"run {run_id}"
    )


def _first_run(server: DevServer, event_id: str) -> str:
    return wait_until(lambda: server.runs_for_event(event_id), 30, "a run")[0]["run_id"]


def test_every_tool_is_listed(py):
    server, _, headers = py
    assert tool_names(server.url, headers) == READ_TOOLS | WRITE_TOOLS


def test_an_agent_sends_an_event_and_reads_its_run_with_steps_and_trace(py):
    server, app, headers = py
    apps = call(server.url, "list_apps", headers)
    assert app.app_id in {a["name"] for a in apps}
    slugs = {f["slug"] for f in call(server.url, "list_functions", headers)}
    assert app.slug("multi-step") in slugs and len(slugs) >= sum(1 for _ in SDK_KINDS)

    ids = call(server.url, "send_event", headers, name=app.event("multi"), data={"via": "mcp"})[
        "ids"
    ]
    runs = wait_until(
        lambda: call(server.url, "get_event_runs", headers, event_id=ids[0])["runs"],
        30,
        "the event's run",
    )
    run = _finished(server, runs[0]["id"])
    assert run["status"] == "Completed"

    detail = call(server.url, "get_run", headers, run_id=run["id"])
    assert [s["name"] for s in detail["steps"]][:3] == ["a", "b", "c"]
    assert detail["output"]["c"] == 3
    traced = {row["step"]: row for row in detail["trace"]}
    assert {"a", "b", "c"} <= set(traced) and all(traced[n]["spans"] for n in "abc")

    found = call(
        server.url,
        "list_runs",
        headers,
        function=app.slug("multi-step"),
        expression='event.data.via == "mcp" && output.c == 3',
    )
    assert run["id"] in [r["id"] for r in found["runs"]]
    with pytest.raises(ToolFailed, match="(?i)expression|syntax|parse"):
        call(server.url, "list_runs", headers, expression="output.c ==")


def test_an_agent_reruns_from_a_step_after_the_same_preview_as_the_page(py):
    server, app, headers = py
    ids = server.send({"name": app.event("multi"), "data": {"via": "rerun"}})
    run = _finished(server, _first_run(server, ids[0]))
    plan = call(server.url, "preview_fork", headers, run_id=run["id"], action="rerun", step="b")
    assert plan == {"action": "rerun", "reused": ["a"], "rerun": ["b", "c"], "from_step": "b"}

    rerun = call(server.url, "rerun_from_step", headers, run_id=run["id"], step="b")
    assert rerun["plan"] == plan
    again = _finished(server, rerun["run"]["id"])
    assert again["status"] == "Completed"
    replay = call(server.url, "replay_run", headers, run_id=run["id"])
    assert _finished(server, replay["run"]["id"])["status"] == "Completed"
    with pytest.raises(ToolFailed, match="only a failed run can be retried"):
        call(server.url, "retry_run", headers, run_id=run["id"])
    audit = server.http.get("/api/audit").json()
    assert {"run.rerun", "run.replay"} <= {entry["action"] for entry in audit}


def test_an_agent_retries_a_failed_run_and_cancels_and_invokes(py):
    server, app, headers = py
    ids = server.send({"name": app.event("failsonce"), "data": {"key": "mcp"}})
    failed = _finished(server, _first_run(server, ids[0]))
    assert failed["status"] == "Failed"
    retried = call(server.url, "retry_run", headers, run_id=failed["id"])
    assert retried["plan"]["reused"] == ["prepare"]
    assert _finished(server, retried["run"]["id"])["status"] == "Completed"

    started = call(
        server.url, "invoke_function", headers, function=app.slug("sleepy"), data={"seconds": 600}
    )
    wait_until(lambda: server.run(started["id"])["status"] == "Sleeping", 30, "the nap")
    cancelled = call(server.url, "cancel_run", headers, run_id=started["id"])
    assert cancelled["status"] == "Cancelled"
    with pytest.raises(ToolFailed, match="not found"):
        call(server.url, "get_run", headers, run_id="01NOSUCHRUN0000000000000000")


def test_the_open_dev_console_lets_anyone_operate(py):
    server, _, _ = py
    if STAGING:
        pytest.skip("staging needs credentials (test_mcp_access)")
    assert tool_names(server.url) >= WRITE_TOOLS


def test_a_run_in_a_terminal_state_cannot_be_cancelled(py):
    server, app, headers = py
    ids = server.send({"name": app.event("multi"), "data": {}})
    run = _finished(server, _first_run(server, ids[0]))
    assert run["status"] in TERMINAL
    with pytest.raises(ToolFailed):
        call(server.url, "cancel_run", headers, run_id=run["id"])

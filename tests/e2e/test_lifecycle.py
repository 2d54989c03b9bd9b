"""waitForEvent, invoke, sendEvent fan-out, parallel steps, onFailure, function.finished,
cancelOn, finish timeouts and crons, through the official SDKs."""

import pytest

from tests.harness import DevServer, SdkApp, wait_until


def test_wait_for_event_resumes_with_the_matching_event(server: DevServer, app: SdkApp):
    [event_id] = server.send({"name": app.event("wait"), "data": {"id": "A1"}})
    server.wait_run(event_id, app.slug("wait-for-approval"), {"Waiting"})
    # A non-matching event does not resume it; the matching one does.
    server.send({"name": app.event("approval"), "data": {"id": "other", "ok": False}})
    server.send({"name": app.event("approval"), "data": {"id": "A1", "ok": True}})

    run = server.wait_run(event_id, app.slug("wait-for-approval"))
    assert run["status"] == "Completed", run
    assert run["output"] == {"approval": {"id": "A1", "ok": True}}


def test_wait_for_event_times_out_with_null(server: DevServer, app: SdkApp):
    [event_id] = server.send({"name": app.event("wait"), "data": {"id": "B2", "timeout": 1}})
    run = server.wait_run(event_id, app.slug("wait-for-approval"), timeout=20)
    assert run["status"] == "Completed" and run["output"] == {"approval": None}


def test_invoke_returns_the_child_output(server: DevServer, app: SdkApp):
    [event_id] = server.send({"name": app.event("invoke"), "data": {"x": 21}})
    run = server.wait_run(event_id, app.slug("invoker"))
    assert run["status"] == "Completed" and run["output"] == {"result": {"doubled": 42}}
    [call] = [s for s in run["steps"] if s["opcode"] == "InvokeFunction"]
    assert call["memo"] == {"data": {"doubled": 42}}


def test_invoke_hands_the_child_failure_to_the_caller(server: DevServer, app: SdkApp):
    [event_id] = server.send({"name": app.event("invoke"), "data": {"x": 1, "fail": True}})
    run = server.wait_run(event_id, app.slug("invoker"))
    assert run["status"] == "Completed", run
    assert "child failed on purpose" in run["output"]["error"]


def test_invoke_times_out(server: DevServer, app: SdkApp):
    [event_id] = server.send(
        {"name": app.event("invoke"), "data": {"x": 1, "slow": True, "timeout": 1}}
    )
    run = server.wait_run(event_id, app.slug("invoker"), timeout=20)
    assert run["status"] == "Completed", run
    assert "Timed out" in run["output"]["error"]


def test_send_event_fans_out_to_100_runs(server: DevServer, app: SdkApp):
    [event_id] = server.send({"name": app.event("fanout"), "data": {"count": 100, "batch": "f1"}})
    run = server.wait_run(event_id, app.slug("fan-out"))
    assert run["status"] == "Completed" and run["output"] == 100

    def fanned_done() -> bool:
        events = server.http.get("/v1/events", params={"name": app.event("fanned"), "limit": 100})
        batch = [e for e in events.json()["data"] if e["data"]["batch"] == "f1"]
        runs = [r for e in batch for r in server.runs_for_event(e["internal_id"])]
        return (
            len(batch) == 100 and len(runs) == 100 and all(r["status"] == "Completed" for r in runs)
        )

    wait_until(fanned_done, 60, "100 fanned-out runs to complete", interval=0.5)


def test_parallel_steps_run_separately_and_join(server: DevServer, app: SdkApp):
    [event_id] = server.send({"name": app.event("parallel")})
    run = server.wait_run(event_id, app.slug("parallel"), timeout=30)
    assert run["status"] == "Completed", run
    assert run["output"] == ["one", "shaky", "three", "after"]
    lines = app.log_lines()
    assert lines.count("step:p1") == 1 and lines.count("step:p3") == 1
    assert lines.count("parallel:shaky") == 2 and lines.count("step:after-parallel") == 1


def test_on_failure_handler_gets_the_original_event_and_error(server: DevServer, app: SdkApp):
    [event_id] = server.send({"name": app.event("doomed"), "data": {"order": 77}})
    run = server.wait_run(event_id, app.slug("doomed"))
    assert run["status"] == "Failed"
    wait_until(
        lambda: any(line.startswith("on-failure:") for line in app.log_lines()),
        20,
        "the onFailure handler to run",
    )
    [line] = [line for line in app.log_lines() if line.startswith("on-failure:")]
    assert "kaboom" in line and line.endswith(":77")


def test_function_finished_event_triggers_listeners(server: DevServer, app: SdkApp):
    if app.kind != "py":
        pytest.skip("the listener function lives in the Python app")
    [event_id] = server.send({"name": app.event("multi"), "data": {}})
    run = server.wait_run(event_id, app.slug("multi-step"))
    wait_until(lambda: f"finished:{run['id']}" in app.log_lines(), 20, "the finished listener")


def test_cancel_on_matching_event_stops_a_sleeping_run(server: DevServer, app: SdkApp):
    keep, stop = server.send(
        [
            {"name": app.event("cancellable"), "data": {"id": "keep"}},
            {"name": app.event("cancellable"), "data": {"id": "stop"}},
        ]
    )
    server.wait_run(stop, app.slug("cancellable"), {"Sleeping"})
    server.wait_run(keep, app.slug("cancellable"), {"Sleeping"})
    server.send({"name": app.event("cancel"), "data": {"id": "stop"}})

    cancelled = server.wait_run(stop, app.slug("cancellable"), {"Cancelled"})
    assert "cancelled by event" in cancelled["error"]["message"]
    assert server.wait_run(keep, app.slug("cancellable"), {"Sleeping"})["status"] == "Sleeping"
    server.http.delete(f"/v1/runs/{server.runs_for_event(keep)[0]['run_id']}")


def test_finish_timeout_cancels_a_run_that_runs_too_long(server: DevServer, app: SdkApp):
    [event_id] = server.send({"name": app.event("timeout")})
    run = server.wait_run(event_id, app.slug("finish-timeout"), timeout=20)
    assert run["status"] == "Cancelled" and "timeouts.finish" in run["error"]["message"]
    assert "step:never" not in app.log_lines()

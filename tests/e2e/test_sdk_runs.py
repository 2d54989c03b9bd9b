"""Runs driven through the official SDKs (Python, JS 3.x, JS 4.x): steps, memoization, output."""

from tests.harness import DevServer, SdkApp


def test_multi_step_run_completes_with_each_step_output_memoized(server: DevServer, app: SdkApp):
    [event_id] = server.send({"name": app.event("multi"), "data": {"order": 7}})
    run = server.wait_run(event_id, app.slug("multi-step"))

    assert run["status"] == "Completed", run
    assert run["output"] == {"a": {"n": 1}, "b": 2, "c": 3, "event": {"order": 7}}
    steps = {s["name"]: s for s in run["steps"]}
    assert [steps[n]["memo"] for n in "abc"] == [{"data": {"n": 1}}, {"data": 2}, {"data": 3}]
    assert all(s["status"] == "Completed" and s["attempts"] == 1 for s in steps.values())


def test_code_outside_steps_reruns_while_each_step_body_runs_once(server: DevServer, app: SdkApp):
    [event_id] = server.send({"name": app.event("multi"), "data": {}})
    server.wait_run(event_id, app.slug("multi-step"))

    lines = app.log_lines()
    assert [line for line in lines if line.startswith("step:")] == ["step:a", "step:b", "step:c"]
    # Replayed from the top once per request: one per step plus the final call; JS v4
    # checkpoints, running all three steps (and the return) in a single request.
    assert lines.count("outside") == (1 if app.kind == "js4" else 4)


def test_sleep_parks_the_run_then_wakes_it(server: DevServer, app: SdkApp):
    [event_id] = server.send({"name": app.event("sleep"), "data": {"seconds": 2, "duration": "2s"}})
    sleeping = server.wait_run(event_id, app.slug("sleepy"), {"Sleeping"})
    nap = next(s for s in sleeping["steps"] if s["opcode"] == "Sleep")
    assert nap["status"] == "Sleeping" and nap["wake_at"]
    assert "step:after" not in app.log_lines()

    run = server.wait_run(event_id, app.slug("sleepy"))
    assert run["status"] == "Completed" and run["output"] == "done"
    nap = next(s for s in run["steps"] if s["opcode"] == "Sleep")
    assert nap["status"] == "Completed" and nap["memo"] == {"data": None}
    assert app.log_lines().count("step:after") == 1


def test_trigger_if_expression_filters_events(server: DevServer, app: SdkApp):
    small, large = server.send(
        [
            {"name": app.event("if"), "data": {"amount": 5}},
            {"name": app.event("if"), "data": {"amount": 50}},
        ]
    )
    run = server.wait_run(large, app.slug("if-trigger"))
    assert run["status"] == "Completed" and run["output"] == 50
    assert server.runs_for_event(small) == []

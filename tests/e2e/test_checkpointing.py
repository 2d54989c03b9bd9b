"""JS SDK v4 checkpointing: several steps per request, each still stored as a step."""

import pytest

from tests.harness import DevServer, SdkApp


@pytest.fixture(params=["js3", "js4"])
def js_app(request: pytest.FixtureRequest, shared: dict) -> SdkApp:
    app = shared["apps"][request.param]
    app.clear_log()
    return app


def requests_for(app: SdkApp, function: str, run_id: str) -> int:
    return app.log_lines().count(f"{function}:{run_id}:request")


def test_ten_steps_run_in_fewer_requests_with_checkpointing(server: DevServer, js_app: SdkApp):
    [event_id] = server.send({"name": js_app.event("ten-checkpointed")})
    run = server.wait_run(event_id, js_app.slug("ten-checkpointed"))

    assert run["status"] == "Completed" and run["output"] == 45
    assert [s["memo"] for s in run["steps"]] == [{"data": i} for i in range(10)]
    requests = requests_for(js_app, "ten-checkpointed", run["id"])
    if js_app.kind == "js4":
        assert requests < 10, "v4 checkpoints by default: fewer requests than steps"
    else:
        assert requests == 11, "v3 does not checkpoint unless asked to"


def test_ten_steps_with_checkpointing_off_use_one_request_per_step(server, js_app: SdkApp):
    [event_id] = server.send({"name": js_app.event("ten-classic")})
    run = server.wait_run(event_id, js_app.slug("ten-classic"))

    assert run["status"] == "Completed" and run["output"] == 45
    assert len(run["steps"]) == 10
    assert requests_for(js_app, "ten-classic", run["id"]) == 11


def test_checkpoint_for_a_run_nobody_holds_is_refused_as_stale(server: DevServer):
    response = server.http.post(
        "/v1/checkpoint/01NOSUCHRUN/async", json={"qi_id": "01NOPE", "steps": []}
    )
    assert response.status_code == 409
    bad = server.http.post("/v1/checkpoint/01NOSUCHRUN/async", content=b"{nope")
    assert bad.status_code == 400

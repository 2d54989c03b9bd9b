"""The REST API (Inngest's /v1 and ours) and the first pages, against the shared dev server."""

import pytest

from tests.harness import DevServer, SdkApp

NAP_SECONDS = 10


@pytest.fixture
def py_app(shared: dict) -> SdkApp:
    app = shared["apps"]["py"]
    app.clear_log()
    return app


def test_v1_event_and_run_endpoints_use_inngest_field_names(server: DevServer, py_app: SdkApp):
    [event_id] = server.send({"name": py_app.event("multi"), "data": {"k": "v"}})
    server.wait_run(event_id, py_app.slug("multi-step"))

    event = server.http.get(f"/v1/events/{event_id}").json()["data"]
    assert event["internal_id"] == event_id and event["data"] == {"k": "v"}
    listed = server.http.get("/v1/events", params={"name": py_app.event("multi")}).json()["data"]
    assert event_id in [e["internal_id"] for e in listed]
    [run] = server.http.get(f"/v1/events/{event_id}/runs").json()["data"]
    assert run["status"] == "Completed" and run["event_id"] == event_id
    fetched = server.http.get(f"/v1/runs/{run['run_id']}").json()["data"]
    assert fetched["output"]["c"] == 3 and fetched["function_id"] == "py-app-multi-step"


def test_cancelling_a_sleeping_run_stops_it_before_its_next_step(server: DevServer, py_app):
    """A 10 s sleep: the test sees it asleep and cancels it well within, however slow the
    machine (with 3 s it could wake first); the sibling, sent later, wakes after it would have."""
    [event_id] = server.send({"name": py_app.event("sleep"), "data": {"seconds": NAP_SECONDS}})
    run = server.wait_run(event_id, py_app.slug("sleepy"), {"Sleeping"})

    response = server.http.delete(f"/v1/runs/{run['id']}")
    assert response.status_code == 200 and response.json()["data"]["status"] == "Cancelled"
    again = server.http.post(f"/api/runs/{run['id']}/cancel")
    assert again.status_code == 409 and "already ended" in again.json()["error"]

    # Past the wake-up time the run is still cancelled and the step after the sleep never ran.
    [sibling] = server.send({"name": py_app.event("sleep"), "data": {"seconds": NAP_SECONDS}})
    server.wait_run(sibling, py_app.slug("sleepy"), timeout=30)
    assert server.run(run["id"])["status"] == "Cancelled"
    assert py_app.log_lines().count("step:after") == 1  # only the sibling's


def test_unknown_run_and_event_are_404(server: DevServer):
    assert server.http.get("/v1/runs/01NOPE").status_code == 404
    assert server.http.get("/api/runs/01NOPE").status_code == 404
    assert server.http.get("/v1/events/01NOPE").status_code == 404


def test_run_pages_show_steps_and_outputs_escaped(server: DevServer, py_app: SdkApp):
    hostile = "<script>alert('x')</script>"
    [event_id] = server.send({"name": py_app.event("multi"), "data": {"note": hostile}})
    run = server.wait_run(event_id, py_app.slug("multi-step"))

    listing = server.http.get("/runs/", params={"function": "py-app-multi-step"}).text
    assert run["id"] in listing
    detail = server.http.get(f"/runs/{run['id']}/").text
    for step in ("a", "b", "c"):
        assert f'<strong class="step-name">{step}</strong>' in detail
    assert "&quot;n&quot;: 1" in detail  # a memoized output, JSON-rendered and escaped
    assert hostile not in detail and "&lt;script&gt;" in detail
    assert "py-app-multi-step" in server.http.get("/functions/").text
    assert "py-app" in server.http.get("/apps/").text


def test_openapi_schema_lists_our_endpoints(server: DevServer):
    schema = server.http.get("/api/openapi.json").json()
    for path in ("/api/runs", "/api/runs/{run_id}", "/api/runs/{run_id}/cancel", "/api/apps"):
        assert path in schema["paths"]

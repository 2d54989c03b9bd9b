"""Durable Endpoints through the official JS SDK (npm `inngest` 4.24.0 `inngest.endpoint()` with
the node `endpointAdapter`; 3.54.2 and PyPI `inngest` 0.5.19 have none): a request to the app's
endpoint becomes a run with its steps, listed like any other run; an endpoint that goes on
after its request (a sleep, a step retried, a wait for an event) is called back by the server
(its own method, `x-run-id`) and its caller, redirected to the server's output URL with the
run's token, reads the final answer there. The app is tests/apps/js/endpoint_app.mjs."""

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness import APPS, STAGING, DevServer, Process, cloud_mode_env, free_port, wait_until

APP_ID = "endpoint-js4"


@pytest.fixture(scope="module")
def endpoint_url(
    server: DevServer, tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[str]:
    work = tmp_path_factory.mktemp("endpoints")
    port = free_port()
    env = {
        "APP_ID": APP_ID,
        "PORT": str(port),
        "INNGEST_DEV": "1",
        "INNGEST_BASE_URL": server.url,
        **(cloud_mode_env(server.url) if STAGING else {}),
    }
    cmd = ["node", str(APPS / "js" / "endpoint_app.mjs")]
    process = Process(APP_ID, cmd, env, work).start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _serving(url), 30, "the endpoint app to serve")
        yield url
    finally:
        process.stop()
        (artifacts / "endpoint-app.log").write_text(process.output())


def _serving(url: str) -> bool:
    try:
        return httpx.get(f"{url}/nothing", timeout=1).status_code == 404
    except httpx.TransportError:
        return False


def test_an_endpoint_request_is_a_run_with_its_steps(server: DevServer, endpoint_url: str):
    answer = httpx.get(f"{endpoint_url}/hello", params={"name": "ada"}, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"greeting": "hello ada", "shout": "HELLO ADA"}

    [run] = wait_until(
        lambda: [r for r in server.runs_matching(function="get-hello") if r["status"] != ""],
        30,
        "the endpoint's run to be listed",
    )
    detail = server.run(run["id"])
    assert detail["status"] == "Completed", detail
    assert json.loads(detail["output"]["body"]) == {"greeting": "hello ada", "shout": "HELLO ADA"}
    assert detail["output"]["status"] == 200
    assert [(s["name"], s["memo"]) for s in detail["steps"]] == [
        ("greet", {"data": "hello ada"}),
        ("shout", {"data": "HELLO ADA"}),
    ]
    event = server.http.get(f"/v1/events/{run['event_id']}").json()["data"]
    assert event["name"] == "inngest/http.request"
    assert event["data"]["method"] == "GET" and event["data"]["path"] == "/hello"
    assert event["data"]["query_params"] == "name=ada"
    # The run page shows it like any other run.
    page = server.http.get(f"/runs/{run['id']}/")
    assert page.status_code == 200 and "shout" in page.text and "get-hello" in page.text


def _redirected(answer: httpx.Response, server: DevServer) -> tuple[str, str]:
    """The SDK's redirect once the run went on without the request: (output URL, run id)."""
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(f"{server.url}/v1/http/runs/") and "token=" in location
    return location, location.split("/v1/http/runs/")[1].split("/")[0]


def test_an_endpoint_that_sleeps_is_called_back_and_its_caller_reads_the_answer(
    server: DevServer, endpoint_url: str
):
    answer = httpx.get(f"{endpoint_url}/sleepy", timeout=60, follow_redirects=False)
    location, run_id = _redirected(answer, server)

    output = httpx.get(location, timeout=60)
    assert output.status_code == 200, output.text
    assert output.json() == {"woke": True, "before": "before"}
    detail = server.run(run_id)
    assert detail["status"] == "Completed"
    assert [s["name"] for s in detail["steps"]] == ["before", "nap"]

    forged = location.split("token=")[0] + "token=forged"
    assert httpx.get(forged, timeout=30).status_code == 401


def test_an_endpoint_step_that_fails_once_is_retried_through_a_call_back(
    server: DevServer, endpoint_url: str
):
    answer = httpx.post(
        f"{endpoint_url}/flaky",
        params={"key": "retry-once"},
        json={"n": 7},
        timeout=60,
        follow_redirects=False,
    )
    location, run_id = _redirected(answer, server)

    output = httpx.get(location, timeout=60)
    assert output.status_code == 200, output.text
    # The retry ran in the call back, made with the endpoint's own method.
    assert output.json() == {"tries": 2, "method": "POST"}
    detail = server.run(run_id)
    assert detail["status"] == "Completed"
    assert [(s["name"], s["memo"]) for s in detail["steps"]] == [("flaky", {"data": 2})]


def test_an_endpoint_waiting_for_an_event_answers_once_the_event_comes(
    server: DevServer, endpoint_url: str
):
    answer = httpx.get(
        f"{endpoint_url}/waiter", params={"key": "k-1"}, timeout=60, follow_redirects=False
    )
    location, run_id = _redirected(answer, server)
    wait_until(
        lambda: [s for s in server.run(run_id)["steps"] if s["status"] == "Waiting"],
        30,
        "the endpoint's run to wait for its event",
    )
    server.send({"name": "test/endpoint.go", "data": {"key": "k-1"}})

    output = httpx.get(location, timeout=60)
    assert output.status_code == 200, output.text
    assert output.json() == {"got": {"key": "k-1"}}
    assert server.run(run_id)["status"] == "Completed"

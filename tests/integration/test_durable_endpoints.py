"""Durable Endpoints' checkpoints (runs/endpoints.py, shapes of npm inngest 4.24.0 `api/api.js`):
a new run with its first steps, more steps, the end; a run id used twice, a bad body and steps
for an unknown run are refused; the output token reads one run only. An endpoint that goes async
is handed to the queue (runs/endpoint_calls.py); one that never reports its end fails after
DEVSERVER_ENDPOINT_RUN_TIMEOUT, on the fake clock."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from ulid import ULID

from foundation import clock
from runs.endpoint_calls import call_back
from runs.endpoints import output_token
from runs.models import App, Attempt, QueueItem, Run
from tests.integration.drive import TimeTravel, run_until_quiet
from tests.integration.fake_sdk import hashed, run_complete, step_run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _dev_mode(settings: Any) -> None:
    """Dev mode whatever the environment (the staging suite sets a signing key): these tests
    are about checkpoints, not about /v1/'s authentication (tests/integration/
    test_access_control.py)."""
    settings.SIGNING_KEY = ""
    settings.SIGNING_KEY_FALLBACK = ""


REQUEST = {
    "domain": "http://127.0.0.1:3999",
    "method": "POST",
    "path": "/orders",
    "query_params": "",
    "body": '{"n": 1}',
    "content_type": "application/json",
    "ip": "",
    "fn": "",
}


def _new_run(client: Client, run_id: str, steps: list[dict[str, Any]]) -> Any:
    body = {
        "run_id": run_id,
        "event": {"name": "inngest/http.request", "data": REQUEST},
        "steps": steps,
        "ts": 0,
        "request_version": 2,
        "retries": 3,
    }
    return client.post(
        "/v1/checkpoint",
        json.dumps(body),
        content_type="application/json",
        headers={"X-Inngest-SDK": "inngest-js:v4.24.0"},
    )


def _steps(client: Client, run_id: str, steps: list[dict[str, Any]]) -> Any:
    body = {"fn_id": "1", "app_id": "1", "run_id": run_id, "steps": steps, "ts": 0}
    return client.post(
        f"/v1/checkpoint/{run_id}/steps", json.dumps(body), content_type="application/json"
    )


def test_an_endpoint_run_is_stored_with_its_steps_and_its_answer():
    client, run_id = Client(), str(ULID())
    answer = _new_run(client, run_id, [step_run("a", 1)])
    assert answer.status_code == 200, answer.content
    data = answer.json()["data"]
    assert data["run_id"] == run_id and data["token"] and data["realtime_token"]

    http_answer = {"status": 201, "headers": {"content-type": "text/plain"}, "body": "made"}
    assert _steps(client, run_id, [step_run("b", 2), run_complete(http_answer)]).status_code == 200

    run = Run.objects.get(pk=run_id)
    assert run.status == "Completed" and run.output == http_answer
    assert list(run.steps.order_by("position").values_list("hashed_id", flat=True)) == [
        hashed("a"),
        hashed("b"),
    ]
    assert run.function.name == "POST /orders" and run.function.slug == "post-orders"
    assert run.function.retries == 3 and run.event.name == "inngest/http.request"
    app = App.objects.get(pk=run.function.app_id)
    assert app.url.endswith("#durable-endpoint") and app.sdk == "js:v4.24.0"

    output = client.get(f"/v1/http/runs/{run_id}/output", {"token": data["token"]})
    assert (output.status_code, output.content, output["content-type"]) == (
        201,
        b"made",
        "text/plain",
    )


def test_refused_checkpoints():
    client, run_id = Client(), str(ULID())
    assert _new_run(client, run_id, []).status_code == 200
    assert _new_run(client, run_id, []).status_code == 409  # the SDK's run id is taken
    assert _new_run(client, "not-a-ulid", []).status_code == 400
    missing = client.post("/v1/checkpoint", "{}", content_type="application/json")
    assert missing.status_code == 400 and "run_id" in missing.json()["error"]
    assert _steps(client, str(ULID()), [step_run("a", 1)]).status_code == 404


def test_an_output_token_reads_its_own_run_only():
    client = Client()
    first, second = str(ULID()), str(ULID())
    for run_id in (first, second):
        _new_run(client, run_id, [run_complete({"status": 200, "headers": {}, "body": run_id})])
    assert (
        client.get(f"/v1/http/runs/{second}/output", {"token": output_token(first)}).status_code
        == 401
    )
    own = client.get(f"/v1/http/runs/{second}/output", {"token": output_token(second)})
    assert own.content == second.encode()


def test_an_endpoint_that_sleeps_is_handed_to_the_queue_which_calls_it_back():
    client, run_id = Client(), str(ULID())
    nap = {"op": "Sleep", "id": hashed("nap"), "name": "1s", "displayName": "nap"}
    _new_run(client, run_id, [step_run("before", 1)])
    assert _steps(client, run_id, [nap]).status_code == 200
    run = Run.objects.select_related("function__app", "event").get(pk=run_id)
    assert run.status == "Running"
    [item] = QueueItem.objects.filter(run=run)
    assert (item.reason, item.attempt) == ("start", 0) and item.due_at <= clock.now()

    call = call_back(run, "")
    assert (call.method, call.url) == ("POST", "http://127.0.0.1:3999/orders")
    assert call.headers["x-run-id"] == run_id and "x-inngest-signature" in call.headers
    assert json.loads(call.body) == {"n": 1}  # the SDK parses a POST body as JSON


def test_a_step_error_in_an_endpoint_is_retried_by_the_queue_after_backoff(settings: Any):
    settings.RETRY_BASE_SECONDS = 10
    client, run_id = Client(), str(ULID())
    oops = {"op": "StepError", "id": hashed("flaky"), "name": "flaky", "error": {"message": "x"}}
    before = clock.now()
    _new_run(client, run_id, [oops])
    run = Run.objects.get(pk=run_id)
    [item] = QueueItem.objects.filter(run=run)
    assert run.status == "Running" and (item.reason, item.attempt) == ("retry", 1)
    assert item.due_at >= before + timedelta(seconds=5)  # at least half the first backoff
    [step] = run.steps.all()
    assert step.status == "Retrying" and Attempt.objects.get(run=run).error["message"] == "x"


def test_an_endpoint_run_that_never_reports_its_end_fails_after_the_timeout(
    settings: Any, time_travel: TimeTravel
):
    settings.ENDPOINT_RUN_TIMEOUT = 600
    client, run_id = Client(), str(ULID())
    _new_run(client, run_id, [step_run("a", 1)])  # then the SDK answers an error itself
    time_travel.advance(590)
    run_until_quiet()
    assert Run.objects.get(pk=run_id).status == "Running"
    time_travel.advance(20)
    run_until_quiet()
    run = Run.objects.get(pk=run_id)
    assert run.status == "Failed" and run.error["name"] == "EndpointTimeout"
    assert "DEVSERVER_ENDPOINT_RUN_TIMEOUT" in run.error["message"]
    assert not QueueItem.objects.filter(run=run).exists()


def test_an_endpoint_run_that_ends_in_its_request_keeps_no_timer(time_travel: TimeTravel):
    client, run_id = Client(), str(ULID())
    done = run_complete({"status": 200, "headers": {}, "body": "ok"})
    _new_run(client, run_id, [step_run("a", 1), done])
    assert not QueueItem.objects.filter(run_id=run_id).exists()
    time_travel.advance(7200)
    run_until_quiet()
    assert Run.objects.get(pk=run_id).status == "Completed"


def test_a_retriable_error_of_the_handler_is_retried_and_a_final_one_fails_the_run():
    client, retried, failed = Client(), str(ULID()), str(ULID())
    threw = {"op": "StepError", "id": hashed("complete"), "error": {"message": "try again"}}
    _new_run(client, retried, [threw])
    run = Run.objects.get(pk=retried)
    [item] = QueueItem.objects.filter(run=run)
    assert run.status == "Running" and (item.reason, item.attempt) == ("retry", 1)
    assert not run.steps.exists()  # the handler is no step
    assert Attempt.objects.get(run=run).error["message"] == "try again"

    final = {"op": "StepFailed", "id": hashed("complete"), "error": {"message": "no way"}}
    _new_run(client, failed, [final])
    run = Run.objects.get(pk=failed)
    assert run.status == "Failed" and run.error["message"] == "no way"
    assert not QueueItem.objects.filter(run=run).exists()

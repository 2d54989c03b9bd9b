"""Durable Endpoints' checkpoints (runs/endpoints.py, shapes of npm inngest 4.24.0 `api/api.js`):
a new run with its first steps, more steps, the end; a run id used twice, a bad body and steps
for an unknown run are refused; the output token reads one run only."""

import json
from typing import Any

import pytest
from django.test import Client
from ulid import ULID

from runs.endpoints import output_token
from runs.models import App, Run
from tests.integration.fake_sdk import hashed, run_complete, step_run

pytestmark = pytest.mark.django_db(transaction=True)

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


def test_an_endpoint_that_goes_async_fails_its_run_saying_why():
    client, run_id = Client(), str(ULID())
    nap = {"op": "Sleep", "id": hashed("nap"), "name": "1s", "displayName": "nap"}
    _new_run(client, run_id, [step_run("before", 1)])
    assert _steps(client, run_id, [nap]).status_code == 200
    run = Run.objects.get(pk=run_id)
    assert run.status == "Failed" and "Sleep" in run.error["message"]

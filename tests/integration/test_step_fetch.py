"""Gateway (step.fetch): the server makes the request the op describes, between two SDK
requests, and memoizes `{url, headers, body, status_code}` whatever the status; a request that
gets no answer is retried, then fails the step; credentials are never stored."""

from collections.abc import Iterator
from typing import Any

import pytest

from runs.models import Attempt, RunStatus, Step
from tests.fake_http import JsonHandler, serving
from tests.harness import free_port
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, SdkRequest, completed, hashed, ops


class Remote(JsonHandler):
    """Answers 404 with a text body and two `set-cookie` headers; remembers what it got."""

    got: list[dict[str, Any]] = []

    def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        Remote.got.append({"auth": self.headers.get("Authorization"), "body": body})
        raw = b"not here \x00 nor there"
        self.send_response(404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Set-Cookie", "a=1")
        self.send_header("Set-Cookie", "b=2")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@pytest.fixture
def remote() -> Iterator[str]:
    Remote.got = []
    with serving(Remote) as url:
        yield url


def _fetch_op(url: str) -> dict[str, Any]:
    return {
        "op": "Gateway",
        "id": hashed("call-api"),
        "name": "call-api",
        "displayName": "step.fetch: 127.0.0.1",
        "opts": {
            "url": url,
            "method": "PUT",
            "headers": {"authorization": "Bearer very-secret-token", "x-n": "1"},
            "body": '{"n": 1}',
        },
    }


def _fetch_then_return(url: str):
    def answer(request: SdkRequest):
        if hashed("call-api") in request.steps:
            return completed(request.steps[hashed("call-api")])
        return ops(_fetch_op(url))

    return answer


def test_any_status_is_the_steps_result_and_reaches_the_function(fake_sdk: FakeSdk, remote: str):
    fake_sdk.add_function("fake-fetch", _fetch_then_return(f"{remote}/things?x=1"))
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED, run.error
    data = run.output["data"]
    assert data["status_code"] == 404 and data["url"] == f"{remote}/things?x=1"
    assert data["body"] == "not here \ufffd nor there"  # NUL cannot be stored: replaced
    assert data["headers"]["set-cookie"] == "a=1,b=2"
    assert Remote.got == [{"auth": "Bearer very-secret-token", "body": '{"n": 1}'}]
    step = Step.objects.get(run=run)
    assert step.opcode == "Gateway" and step.memo == {"data": data}
    assert "very-secret-token" not in str(step.opts) and step.opts["headers"]["x-n"] == "1"


def test_no_answer_is_retried_then_fails_the_step_without_its_credentials(fake_sdk: FakeSdk):
    closed = f"http://127.0.0.1:{free_port()}/api"  # nothing listens there
    fake_sdk.add_function("fake-fetch-down", _fetch_then_return(closed), retries=1)
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    memo = run.output
    assert run.status == RunStatus.COMPLETED and memo["error"]["name"] == "GatewayError"
    assert "Error making gateway request" in memo["error"]["message"]
    [attempt] = Attempt.objects.filter(run=run)
    assert attempt.error["name"] == "GatewayError"
    # Called twice with nothing memoized (the retry), then once with the step's error.
    assert [list(c.steps) for c in fake_sdk.calls()] == [[], [], [hashed("call-api")]]
    stored = str(list(Step.objects.values())) + str(list(Attempt.objects.values()))
    assert "very-secret-token" not in stored

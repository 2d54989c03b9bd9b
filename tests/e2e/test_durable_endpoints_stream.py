"""Streaming Durable Endpoints through the official JS SDK (npm `inngest` 4.24.0 `stream.push`
inside `inngest.endpoint()`; 3.x and PyPI `inngest` 0.5.19 have no endpoints), read by the SDK's
own caller, `fetchWithStream` (tests/apps/js/endpoint_stream_client.mjs): it gets every pushed
value in order, each step's commit, and the endpoint's answer, whether the endpoint streams it
all in its request or goes async waiting for an event. In the async case the rest of the stream goes
through the server: the SDK tees the called-back endpoint's SSE bytes to
`POST /v1/realtime/publish/tee`, and the caller, redirected by `inngest.redirect_info`, reads
them verbatim from `GET /v1/realtime/sse` with the run's realtime token. The app is
tests/apps/js/endpoint_stream_app.mjs."""

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.harness import APPS, STAGING, DevServer, Process, cloud_mode_env, free_port, wait_until

APP_ID = "endpoint-stream-js4"


def _hashed(step_id: str) -> str:
    return hashlib.sha1(step_id.encode()).hexdigest()


def _sdk_env(server: DevServer) -> dict[str, str]:
    return {
        "INNGEST_DEV": "1",
        "INNGEST_BASE_URL": server.url,
        **(cloud_mode_env(server.url) if STAGING else {}),
    }


@dataclass(frozen=True)
class EndpointApp:
    url: str
    work: Path  # where callers write what they got


@pytest.fixture(scope="module")
def endpoints(
    server: DevServer, tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[EndpointApp]:
    work = tmp_path_factory.mktemp("endpoint-stream")
    port = free_port()
    env = {"APP_ID": APP_ID, "PORT": str(port), **_sdk_env(server)}
    cmd = ["node", str(APPS / "js" / "endpoint_stream_app.mjs")]
    process = Process(APP_ID, cmd, env, work).start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _serving(url), 30, "the streaming endpoint app to serve")
        yield EndpointApp(url, work)
    finally:
        process.stop()
        (artifacts / "endpoint-stream-app.log").write_text(process.output())


def _serving(url: str) -> bool:
    try:
        return httpx.get(f"{url}/nothing", timeout=1).status_code == 404
    except httpx.TransportError:
        return False


class StreamClient:
    """endpoint_stream_client.mjs: the SDK's fetchWithStream reading `url` to its end."""

    def __init__(self, work: Path, url: str) -> None:
        self.out = work / f"client-{uuid.uuid4().hex[:8]}.jsonl"
        self.out.touch()
        cmd = ["node", str(APPS / "js" / "endpoint_stream_client.mjs"), url]
        self.process = Process(self.out.stem, cmd, {"OUT": str(self.out)}, work).start()

    def record(self, key: str) -> dict:
        """The first line written with `key`, once there is one."""
        lines = [json.loads(line) for line in self.out.read_text().splitlines()]
        found = [line for line in lines if key in line]
        return found[0] if found else {}

    def result(self) -> dict:
        try:
            return wait_until(lambda: self.record("status"), 60, "the caller's final response")
        finally:
            self.process.stop()


def _metadata(run: dict, step: str, kind: str) -> dict:
    [values] = [
        m["values"]
        for m in run["metadata"]
        if (m["step_hashed_id"], m["kind"]) == (_hashed(step), kind)
    ]
    return values


def _completed(server: DevServer, run_id: str) -> dict:
    """The run once completed: the SDK reports the end after the caller has its answer."""
    return wait_until(
        lambda: (run := server.run(run_id))["status"] == "Completed" and run,
        30,
        f"run {run_id} to be completed",
    )


def test_an_endpoint_streaming_in_its_request_reaches_its_caller_and_ends_its_run(
    server: DevServer, endpoints: EndpointApp
):
    got = StreamClient(endpoints.work, f"{endpoints.url}/streamed").result()

    assert got["data"] == ["one ", "two"]
    assert got["commits"] == [_hashed("first"), _hashed("second")] and not got["rollbacks"]
    assert (got["status"], json.loads(got["body"])) == (200, {"done": True})
    run = _completed(server, got["runId"])
    assert [s["name"] for s in run["steps"]] == ["first", "second"]
    # The metadata the SDK put on a step's op in its checkpoint is kept under that step.
    assert _metadata(run, "second", "userland.stream") == {"pushed": 2}


def test_an_endpoint_that_waits_streams_the_rest_through_the_server_to_its_caller(
    server: DevServer, endpoints: EndpointApp
):
    client = StreamClient(endpoints.work, f"{endpoints.url}/streamed-async?key=k-1")
    # Teed bytes reach only streams open when they come (not durable, as in Inngest): the
    # endpoint goes on once its caller reads the server's stream.
    subscribed = wait_until(lambda: client.record("subscribed"), 30, "the redirected stream")
    assert subscribed["subscribed"].startswith(f"{server.url}/v1/realtime/sse?token=")
    run_id = client.record("run")["run"]
    wait_until(
        lambda: [s for s in server.run(run_id)["steps"] if s["status"] == "Waiting"],
        30,
        "the endpoint's run to wait for its event",
    )
    server.send({"name": "test/stream.go", "data": {"key": "k-1"}})
    got = client.result()

    assert got["data"] == ["one ", "two"]
    assert _hashed("second") in got["commits"] and not got["rollbacks"]
    assert (got["status"], json.loads(got["body"])) == (200, {"done": True, "after": "go"})
    run = _completed(server, got["runId"])
    assert [s["name"] for s in run["steps"]] == ["first", "go", "second"]
    # step.ai.wrap in the call back: the model call's usage, read from its gen_ai.* span.
    ai = _metadata(run, "second", "inngest.ai")
    assert (ai["request_model"], ai["input_tokens"], ai["output_tokens"]) == ("fake-model", 7, 1)

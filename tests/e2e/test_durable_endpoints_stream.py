"""Streaming Durable Endpoints through the official JS SDK (npm `inngest` 4.24.0 `stream.push`
inside `inngest.endpoint()`; 3.x and PyPI `inngest` 0.5.19 have no endpoints), read by the SDK's
own caller, `fetchWithStream` (tests/apps/js/endpoint_stream_client.mjs): it gets every pushed
value in order, each step's commit, and the endpoint's answer, whether the endpoint streams it
all in its request or goes async on a sleep. In the async case the rest of the stream goes
through the server: the SDK tees the called-back endpoint's SSE bytes to
`POST /v1/realtime/publish/tee`, and the caller, redirected by `inngest.redirect_info`, reads
them verbatim from `GET /v1/realtime/sse` with the run's realtime token. The app is
tests/apps/js/endpoint_stream_app.mjs."""

import hashlib
import json
import subprocess
from collections.abc import Iterator
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


@pytest.fixture(scope="module")
def endpoint_url(
    server: DevServer, tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[str]:
    work = tmp_path_factory.mktemp("endpoint-stream")
    port = free_port()
    env = {"APP_ID": APP_ID, "PORT": str(port), **_sdk_env(server)}
    cmd = ["node", str(APPS / "js" / "endpoint_stream_app.mjs")]
    process = Process(APP_ID, cmd, env, work).start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _serving(url), 30, "the streaming endpoint app to serve")
        yield url
    finally:
        process.stop()
        (artifacts / "endpoint-stream-app.log").write_text(process.output())


def _serving(url: str) -> bool:
    try:
        return httpx.get(f"{url}/nothing", timeout=1).status_code == 404
    except httpx.TransportError:
        return False


def _fetch_with_stream(server: DevServer, url: str) -> dict:
    """What the SDK's fetchWithStream got from `url`, to its end."""
    done = subprocess.run(
        ["node", str(APPS / "js" / "endpoint_stream_client.mjs"), url],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", **_sdk_env(server)},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


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
    server: DevServer, endpoint_url: str
):
    got = _fetch_with_stream(server, f"{endpoint_url}/streamed")

    assert got["data"] == ["one ", "two"]
    assert got["commits"] == [_hashed("first"), _hashed("second")] and not got["rollbacks"]
    assert (got["status"], json.loads(got["body"])) == (200, {"done": True})
    run = _completed(server, got["runId"])
    assert [s["name"] for s in run["steps"]] == ["first", "second"]
    # The metadata the SDK put on a step's op in its checkpoint is kept under that step.
    assert _metadata(run, "second", "userland.stream") == {"pushed": 2}


def test_an_endpoint_that_sleeps_streams_the_rest_through_the_server_to_its_caller(
    server: DevServer, endpoint_url: str
):
    got = _fetch_with_stream(server, f"{endpoint_url}/streamed-async")

    assert got["data"] == ["one ", "two"]
    assert _hashed("second") in got["commits"] and not got["rollbacks"]
    assert (got["status"], json.loads(got["body"])) == (200, {"done": True, "after": "nap"})
    run = _completed(server, got["runId"])
    assert [s["name"] for s in run["steps"]] == ["first", "nap", "second"]
    # step.ai.wrap in the call back: the model call's usage, read from its gen_ai.* span.
    ai = _metadata(run, "second", "inngest.ai")
    assert (ai["request_model"], ai["input_tokens"], ai["output_tokens"]) == ("fake-model", 7, 1)

"""step.fetch (opcode Gateway) through the official JS SDKs: the server makes the request and
the function gets a Response rebuilt from it (npm `inngest` 4.24.0 and 3.54.2; PyPI `inngest`
0.5.19 has no step.fetch). The app is tests/apps/js/gateway_app.mjs, the remote a local echo."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fake_http import JsonHandler, serving
from tests.harness import APPS, STAGING, DevServer, Process, cloud_mode_env, free_port, wait_until

KINDS = ["js4", "js3"]


class Echo(JsonHandler):
    """Answers 201 with what it got, and an `x-echo` header."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        got = {
            "method": self.command,
            "path": self.path,
            "auth": self.headers.get("Authorization"),
            "body": self.read_json(),
        }
        raw = json.dumps(got).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-echo", "yes")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@pytest.fixture(scope="module")
def remote() -> Iterator[str]:
    with serving(Echo) as url:
        yield url


@pytest.fixture(scope="module")
def fetch_apps(
    server: DevServer, tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[dict[str, str]]:
    work = tmp_path_factory.mktemp("gateway")
    processes = []
    try:
        for kind in KINDS:
            port = free_port()
            env = {
                "APP_ID": f"gw-{kind}",
                "PORT": str(port),
                "SDK_MAJOR": kind[-1],
                "INNGEST_DEV": "1",
                "INNGEST_BASE_URL": server.url,
                **(cloud_mode_env(server.url) if STAGING else {}),
            }
            cmd = ["node", str(APPS / "js" / "gateway_app.mjs")]
            processes.append(Process(f"gw-{kind}", cmd, env, work).start())
            url = f"http://127.0.0.1:{port}/api/inngest"
            wait_until(lambda u=url: _serving(u), 30, f"the gw-{kind} app to serve")
            assert server.http.post("/api/apps", json={"url": url}).status_code == 202
        wait_until(
            lambda: all(f"gw-{k}-fetch-down" in _functions(server) for k in KINDS),
            60,
            "the step.fetch apps to sync",
        )
        yield {kind: f"gw-{kind}" for kind in KINDS}
    finally:
        for process in processes:
            process.stop()
            (artifacts / f"gateway-{process.name}.log").write_text(process.output())


def _serving(url: str) -> bool:
    return httpx.get(url, timeout=1).status_code in (200, 401)


def _functions(server: DevServer) -> set[str]:
    return {f["slug"] for f in server.http.get("/api/functions").json()}


def _run(server: DevServer, app_id: str, event: str, data: dict[str, Any], fn: str) -> dict:
    [event_id] = server.send({"name": f"{app_id}/{event}", "data": data})
    return server.wait_run(event_id, f"{app_id}-{fn}", timeout=60)


@pytest.mark.parametrize("kind", KINDS)
def test_step_fetch_is_made_by_the_server_and_answers_the_function(
    server: DevServer, fetch_apps: dict[str, str], remote: str, kind: str
):
    app_id = fetch_apps[kind]
    run = _run(server, app_id, "fetch", {"url": remote, "order": 7}, "fetch")

    assert run["status"] == "Completed", run
    sent = {
        "method": "POST",
        "path": f"/echo?from={app_id}",
        "auth": "Bearer fetch-secret-token",
        "body": {"order": 7},
    }
    assert run["output"] == {"status": 201, "echo": "yes", "body": sent, "after": "got 201"}
    [fetched] = [s for s in run["steps"] if s["opcode"] == "Gateway"]
    assert fetched["memo"]["data"]["status_code"] == 201


@pytest.mark.parametrize("kind", KINDS)
def test_step_fetch_that_gets_no_answer_throws_in_the_function(
    server: DevServer, fetch_apps: dict[str, str], kind: str
):
    down = f"http://127.0.0.1:{free_port()}/nothing-here"
    run = _run(server, fetch_apps[kind], "fetch-down", {"url": down}, "fetch-down")

    assert run["status"] == "Completed", run
    assert "Error making gateway request" in run["output"]["caught"]

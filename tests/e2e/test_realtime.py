"""Realtime through the official SDKs: a function publishes during its run and the SDKs' own
subscribe clients receive the messages over the websocket, a raw reader over SSE.

- js4: npm `inngest` 4.24.0 built-in realtime (`step.realtime.publish`, `inngest.realtime.publish`
  with a JSON body and with a stream), subscribed with its `subscribe` and a token from its
  `getSubscriptionToken`.
- js3: npm `inngest` 3.54.2 with `@inngest/realtime` 0.4.7 (`realtimeMiddleware`, `publish`),
  subscribed with that package's `subscribe` and `getSubscriptionToken`.
- py: PyPI `inngest` 0.5.19 `inngest.experimental.realtime` (`publish`, `publish_sync`, and
  `get_subscription_token_sync`, whose token `@inngest/realtime` subscribes with).

Every subscriber asks for topics `status` and `secret` but holds a token for `status` only: the
`secret` messages (which an SSE reader with a token for both does receive) must never reach it.
In staging the publishing app is called by the Celery workers and the subscribers are connected
to the web process: the messages cross the Redis channel layer."""

import json
import shutil
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import inngest
import pytest
from inngest.experimental import realtime

from tests.harness import (
    APPS,
    EVENT_KEY,
    SIGNING_KEY,
    STAGING,
    DevServer,
    Process,
    cloud_mode_env,
    free_port,
    wait_until,
)

KINDS = ["js4", "js3", "py"]
# The subscribe client of each kind (tests/apps/js/realtime_subscriber.mjs).
CLIENT = {"js4": "js4", "js3": "realtime", "py": "realtime"}


def _sdk_env(server: DevServer) -> dict[str, str]:
    return {
        "INNGEST_DEV": "1",
        "INNGEST_BASE_URL": server.url,
        **(cloud_mode_env(server.url) if STAGING else {}),
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[DevServer]:
    """A server of this module's own (staging: web process, Celery workers, Redis layer)."""
    work = tmp_path_factory.mktemp("realtime-server")
    server = DevServer(work, name="realtime")
    try:
        yield server.start()
    finally:
        server.stop()
        for path in work.glob("*.log"):
            shutil.copy(path, artifacts / f"realtime-{path.name}")


@pytest.fixture(scope="module")
def rt_apps(
    server: DevServer, tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("realtime")
    processes = []
    try:
        for kind in KINDS:
            port = free_port()
            env = {"APP_ID": f"rt-{kind}", "PORT": str(port), **_sdk_env(server)}
            if kind == "py":
                cmd = [sys.executable, str(APPS / "py_realtime.py")]
            else:
                cmd = ["node", str(APPS / "js" / "realtime_app.mjs")]
                env["SDK_MAJOR"] = kind[-1]
            processes.append(Process(f"rt-{kind}", cmd, env, work).start())
            url = f"http://127.0.0.1:{port}/api/inngest"
            wait_until(lambda u=url: _serving(u), 30, f"the rt-{kind} app to serve")
            assert server.http.post("/api/apps", json={"url": url}).status_code == 202
        wait_until(
            lambda: all(_slug(k) in _functions(server) for k in KINDS), 60, "realtime apps to sync"
        )
        yield {"work": work}
    finally:
        for process in processes:
            process.stop()
        for path in work.glob("*.log"):
            shutil.copy(path, artifacts / f"realtime-{path.name}")


def _serving(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code in (200, 401)
    except httpx.HTTPError:
        return False


def _slug(kind: str) -> str:
    return f"rt-{kind}-publish"


def _functions(server: DevServer) -> list[str]:
    return [f["slug"] for f in server.http.get("/api/functions").json()]


def _python_token(server: DevServer, channel: str, topics: list[str]) -> dict[str, Any]:
    """A subscription token minted by the Python SDK (`get_subscription_token_sync`)."""
    client = inngest.Inngest(
        app_id="rt-token-maker",
        api_base_url=server.url,
        event_key=EVENT_KEY,
        is_production=STAGING,
        signing_key=SIGNING_KEY if STAGING else None,
    )
    return dict(realtime.get_subscription_token_sync(client, channel, topics))


class Subscriber:
    """realtime_subscriber.mjs: an official JS subscribe client writing what it gets to a file."""

    def __init__(self, work: Path, server: DevServer, client: str, channel: str, **env: str):
        self.out = work / f"sub-{uuid.uuid4().hex[:8]}.jsonl"
        self.out.touch()
        env = {
            "CLIENT": client,
            "CHANNEL": channel,
            "TOPICS": "status,secret",
            "TOKEN_TOPICS": "status",
            "OUT": str(self.out),
            **_sdk_env(server),
            **env,
        }
        cmd = ["node", "--experimental-websocket", str(APPS / "js" / "realtime_subscriber.mjs")]
        self.process = Process(self.out.stem, cmd, env, work).start()
        wait_until(lambda: {"kind": "ready"} in self.records(), 30, f"{client} to subscribe")

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.read_text().splitlines()]

    def messages(self) -> list[dict[str, Any]]:
        return [r for r in self.records() if r["kind"] != "ready"]


def _wait_sse(sse: "SseReader", *checks: Any) -> None:
    try:
        wait_until(lambda: all(check(sse.events) for check in checks), 20, "the SSE messages")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the SSE stream got {sse.events}") from None


class SseReader:
    """`GET /v1/realtime/sse?token=` read in a thread: the `data:` events, parsed."""

    def __init__(self, server: DevServer, token: str) -> None:
        self.events: list[dict[str, Any]] = []
        self.status = 0
        self.stop = False
        url = f"{server.url}/v1/realtime/sse"
        self.thread = threading.Thread(target=self._read, args=(url, token), daemon=True)
        self.thread.start()
        wait_until(lambda: self.status, 10, "the SSE stream to open")

    def _read(self, url: str, token: str) -> None:
        try:
            with httpx.stream("GET", url, params={"token": token}, timeout=60) as response:
                self.status = response.status_code
                for line in response.iter_lines():
                    if self.stop:
                        return
                    if line.startswith("data: "):
                        self.events.append(json.loads(line[len("data: ") :]))
        except httpx.HTTPError:
            if not self.stop:  # the server ends streams only when it stops
                raise


@pytest.mark.parametrize("kind", KINDS)
def test_messages_published_in_a_run_reach_subscribers_of_their_topics_only(
    server: DevServer, rt_apps: dict, kind: str
):
    order = uuid.uuid4().hex[:10]
    channel = f"orders:{order}"
    extra = {}
    if kind == "py":  # the token comes from the Python SDK; @inngest/realtime subscribes with it
        extra["TOKEN_JSON"] = json.dumps(_python_token(server, channel, ["status"]))
    subscriber = Subscriber(rt_apps["work"], server, CLIENT[kind], channel, **extra)
    both = _python_token(server, channel, ["status", "secret", "stream"])
    sse = SseReader(server, both["key"])
    assert sse.status == 200
    try:
        [event_id] = server.send({"name": f"rt-{kind}/publish", "data": {"order": order}})
        run = server.wait_run(event_id, _slug(kind))
        assert run["status"] == "Completed", run

        def shipped(records: list[dict]) -> bool:
            return {"status": "shipped"} in [r["data"] for r in records if r["kind"] == "data"]

        def ended(records: list[dict]) -> bool:  # js4 publishes a stream after "shipped"
            return kind != "js4" or "datastream-end" in [r["kind"] for r in records]

        wait_until(lambda: shipped(subscriber.messages()), 20, "the subscriber's messages")
        _wait_sse(sse, shipped, ended)
    finally:
        sse.stop = True
        subscriber.process.stop()

    got = subscriber.messages()
    data = [m for m in got if m["kind"] == "data"]
    assert [m["data"] for m in data] == [{"status": "packed"}, {"status": "shipped"}]
    assert {(m["channel"], m["topic"]) for m in got} == {(channel, "status")}  # no "secret"
    if kind != "py":  # the JS SDKs send the run id with each message; Python 0.5.19 does not
        assert {m["runId"] for m in data} == {run["id"]}
        page = server.http.get(f"/runs/{run['id']}/realtime").text  # the run page's fragment
        assert "{&quot;status&quot;: &quot;shipped&quot;}" in page
        run_page = server.http.get(f"/runs/{run['id']}/").text  # which loads that fragment
        assert f'hx-get="/runs/{run["id"]}/realtime"' in run_page
    if kind == "js4":  # a streamed publish: start, chunks as sent, end, all on topic "stream"
        streamed = [e for e in sse.events if e["kind"] != "data"]
        assert streamed[0]["kind"] == "datastream-start"
        assert streamed[-1]["kind"] == "datastream-end"
        assert {e["topic"] for e in streamed} == {"stream"}
        assert {e["run_id"] for e in streamed} == {run["id"]}
        assert "".join(e["data"] for e in streamed if e["kind"] == "chunk") == "tok-1 tok-2 tok-3"

    over_sse = [(e["topic"], e["data"]) for e in sse.events if e["kind"] == "data"]
    assert ("secret", {"card": "4242"}) in over_sse  # published, and only the token holder got it
    assert ("status", {"status": "packed"}) in over_sse


def test_a_forged_token_is_refused(server: DevServer, rt_apps: dict):
    token = _python_token(server, "orders:x", ["status"])["key"]
    head, claims, signature = token.split(".")
    forged_claims = claims[:-4] + ("AAAA" if not claims.endswith("AAAA") else "BBBB")
    for forged in (f"{head}.{forged_claims}.{signature}", "not-a-token", ""):
        response = httpx.get(f"{server.url}/v1/realtime/sse", params={"token": forged})
        assert response.status_code == 401, forged
    refused = httpx.post(
        f"{server.url}/v1/realtime/token", json=[{"channel": "orders:x", "name": ""}]
    )
    assert refused.status_code in (400, 401)

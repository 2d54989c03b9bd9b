"""Realtime in process: tokens scope a subscription to their topics, forged or expired tokens
and `sub` messages add nothing, publishing is bounded in size and needs the signing key when
the server has one, a slow subscriber's queue drops its oldest frames with a notice, and a
run's last messages are kept for the run page, bounded."""

import base64
import json
import time
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.test import Client, override_settings

from devserver.asgi import application
from foundation import clock
from runs import signing
from runs.models import App, Function, Run
from runs.realtime import recent, tokens
from runs.realtime.broadcast import Outbox
from runs.realtime.tokens import Topic
from runs.statuses import RunStatus
from tests import one_loop

pytestmark = pytest.mark.django_db
SIGNING_KEY = "signkey-test-" + "ab12" * 16


@pytest.fixture(autouse=True)
def _no_signing_key(settings: Any) -> None:
    """Dev mode (anyone may publish) unless a test sets a key: the staging run has one."""
    settings.SIGNING_KEY = ""
    settings.SIGNING_KEY_FALLBACK = ""


def _token(*topics: tuple[str, str]) -> str:
    return tokens.issue([Topic(channel, name) for channel, name in topics])


async def _publish(channel: str, topic: str, body: bytes, **options: Any) -> tuple[int, Any]:
    query = f"channel={channel}&topic={topic}" + "".join(f"&{k}={v}" for k, v in options.items())
    headers = [(b"content-type", b"application/json")]
    response = await HttpCommunicator(
        application, "POST", f"/v1/realtime/publish?{query}", body=body, headers=headers
    ).get_response()
    return response["status"], response["body"]


async def _subscribe(token: str) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, f"/v1/realtime/connect?token={token}")
    connected, _ = await socket.connect()
    assert connected
    return socket


def test_a_subscriber_gets_the_topics_of_its_token_and_no_other():
    async def scenario() -> tuple[dict, bool]:
        socket = await _subscribe(_token(("orders:1", "status")))
        assert (await _publish("orders:1", "secret", b'{"card": 1}'))[0] == 200
        assert (await _publish("orders:2", "status", b'{"other": 1}'))[0] == 200
        assert (await _publish("orders:1", "status", b'{"ok": 1}'))[0] == 200
        got = await socket.receive_json_from(timeout=5)
        silent = await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()
        return got, silent

    got, nothing_else = one_loop.run(scenario())
    assert (got["kind"], got["channel"], got["topic"], got["data"]) == (
        "data",
        "orders:1",
        "status",
        {"ok": 1},
    )
    assert nothing_else


def test_an_sse_stream_beside_a_websocket_gets_every_message_of_its_token():
    """Both subscriptions read the same layer in one process (with Redis: one list per process;
    a channel named outside it waited for the websocket's read and lost messages)."""

    async def scenario() -> tuple[list[bytes], list[Any]]:
        socket = await _subscribe(_token(("c", "status")))
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/v1/realtime/sse",
            "query_string": f"token={_token(('c', 'status'), ('c', 'secret'))}".encode(),
            "headers": [],
        }
        sse = ApplicationCommunicator(application, scope)
        await sse.send_input({"type": "http.request", "body": b""})
        start = await sse.receive_output(5)
        bodies = [(await sse.receive_output(5))["body"]]  # the first keepalive: headers sent
        for topic in ("status", "secret", "status"):
            await _publish("c", topic, json.dumps(topic).encode())
        for _ in range(3):
            bodies.append((await sse.receive_output(5))["body"])
        over_socket = [(await socket.receive_json_from(timeout=5))["data"] for _ in range(2)]
        await sse.send_input({"type": "http.disconnect"})
        await sse.wait(5)
        await socket.disconnect()
        assert start["status"] == 200
        assert (b"content-type", b"text/event-stream") in start["headers"]
        return bodies, over_socket

    bodies, over_socket = one_loop.run(scenario())
    assert bodies[0] == b":\n\n"
    events = [json.loads(body.removeprefix(b"data: ")) for body in bodies[1:]]
    assert [(e["topic"], e["data"]) for e in events] == [
        ("status", "status"),
        ("secret", "secret"),
        ("status", "status"),
    ]
    assert all(body.endswith(b"\n\n") for body in bodies)
    assert over_socket == ["status", "status"]


def test_forged_expired_and_missing_tokens_are_refused():
    token = _token(("orders:1", "status"))
    head, claims, signature = token.split(".")
    widened = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    widened["topics"].append({"kind": "run", "channel": "orders:1", "name": "secret"})
    forged_claims = base64.urlsafe_b64encode(json.dumps(widened).encode()).rstrip(b"=").decode()
    assert tokens.verify(token) == [Topic("orders:1", "status")]
    assert tokens.verify(token, now=time.time() + 61) is None  # one minute to connect

    async def refused(path: str) -> bool:
        socket = WebsocketCommunicator(application, path)
        connected, _ = await socket.connect()
        return not connected

    for forged in (f"{head}.{forged_claims}.{signature}", "a.b.c", ""):
        assert one_loop.run(refused(f"/v1/realtime/connect?token={forged}")), forged


async def _handled(socket: WebsocketCommunicator) -> None:
    """Wait until the consumer has handled every message sent on `socket` so far: it handles
    them in order, so once topic `z`, subscribed after them, hears a publish, they are done.
    (receive_nothing polls without cancelling the consumer, as a timed-out receive would.)"""
    await socket.send_json_to({"kind": "sub", "data": _token(("c", "z"))})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        await _publish("c", "z", b'"ready"')
        if not await socket.receive_nothing(timeout=0.05, interval=0.01):
            return
    raise AssertionError("the consumer never joined topic z")


async def _frames_before(socket: WebsocketCommunicator, mark: str) -> list[dict]:
    """Frames received up to `mark`, published on topic z after the publishes under test
    (one publisher's frames arrive in order)."""
    await _publish("c", "z", json.dumps(mark).encode())
    frames = []
    while (frame := await socket.receive_json_from(timeout=5))["data"] != mark:
        frames.append(frame)
    return frames


def test_a_sub_message_adds_only_the_topics_of_a_valid_token_and_unsub_drops_them():
    async def scenario() -> list[list[Any]]:
        socket = await _subscribe(_token(("c", "a")))
        seen = []
        await socket.send_json_to({"kind": "sub", "data": _token(("c", "b"))[:-2] + "xx"})
        await _handled(socket)
        await _publish("c", "b", b"1")
        seen.append([f["data"] for f in await _frames_before(socket, "one") if f["topic"] == "b"])
        await socket.send_json_to({"kind": "sub", "data": _token(("c", "b"))})
        await _handled(socket)
        await _publish("c", "b", b"2")
        seen.append([f["data"] for f in await _frames_before(socket, "two") if f["topic"] == "b"])
        await socket.send_json_to({"kind": "unsub", "data": [{"channel": "c", "name": "b"}]})
        await _handled(socket)
        await _publish("c", "b", b"3")
        seen.append([f["data"] for f in await _frames_before(socket, "three") if f["topic"] == "b"])
        await socket.disconnect()
        return seen

    assert one_loop.run(scenario()) == [[], [2], []]


def test_a_message_over_the_limit_is_refused_and_reaches_nobody(settings: Any):
    settings.REALTIME_MESSAGE_MAX_BYTES = 1024

    async def scenario() -> tuple[int, int, bool]:
        socket = await _subscribe(_token(("c", "t")))
        over, _ = await _publish("c", "t", json.dumps("x" * 2000).encode())
        under, _ = await _publish("c", "t", b'"small"')
        await socket.receive_json_from(timeout=5)
        silent = await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()
        return over, under, silent

    assert one_loop.run(scenario()) == (413, 200, True)


def test_a_stream_over_the_limit_is_cut_and_still_ends(settings: Any):
    settings.REALTIME_STREAM_MAX_BYTES = 2048

    async def scenario() -> tuple[int, list[dict]]:
        socket = await _subscribe(_token(("c", "t")))
        publish = HttpCommunicator(
            application,
            "POST",
            "/v1/realtime/publish?channel=c&topic=t",
            headers=[(b"content-type", b"text/stream")],
        )
        await publish.send_input({"type": "http.request", "body": b"a" * 1000, "more_body": True})
        await publish.send_input({"type": "http.request", "body": b"b" * 1000, "more_body": True})
        await publish.send_input({"type": "http.request", "body": b"c" * 1000})
        status = (await publish.receive_output(5))["status"]
        frames = []
        while not frames or frames[-1]["kind"] != "datastream-end":
            frames.append(await socket.receive_json_from(timeout=5))
        await socket.disconnect()
        return status, frames

    status, frames = one_loop.run(scenario())
    assert status == 413
    assert frames[0]["kind"] == "datastream-start"
    chunks = [f for f in frames if f["kind"] == "chunk"]
    assert {f["stream_id"] for f in chunks} == {frames[0]["data"]}
    assert "".join(f["data"] for f in chunks) == "a" * 1000 + "b" * 1000  # "c" was past it
    assert all(len(f["data"].encode()) <= 1024 for f in chunks)


def test_publishing_and_tokens_need_the_signing_key_when_the_server_has_one(settings: Any):
    settings.SIGNING_KEY = SIGNING_KEY
    hashed = {"Authorization": f"Bearer {signing.hashed_key(SIGNING_KEY)}"}
    topics = [{"channel": "c", "name": "t", "kind": "run"}]
    client = Client()
    assert client.post("/v1/realtime/token", topics, "application/json").status_code == 401
    answer = client.post("/v1/realtime/token", topics, "application/json", headers=hashed)
    assert answer.status_code == 201 and tokens.verify(answer.json()["jwt"]) == [Topic("c", "t")]

    async def publish(headers: list[tuple[bytes, bytes]]) -> int:
        response = await HttpCommunicator(
            application, "POST", "/v1/realtime/publish?channel=c&topic=t", b"1", headers
        ).get_response()
        return response["status"]

    bearer = (b"authorization", hashed["Authorization"].encode())
    assert one_loop.run(publish([])) == 401
    assert one_loop.run(publish([bearer])) == 200


def test_a_token_request_names_what_is_wrong(settings: Any):
    settings.REALTIME_MAX_TOPICS = 2
    client = Client()
    too_many = [{"channel": "c", "name": f"t{n}"} for n in range(3)]
    answer = client.post("/v1/realtime/token", too_many, "application/json")
    assert answer.status_code == 400 and "at most 2 topics" in answer.json()["error"]
    answer = client.post("/v1/realtime/token", [{"channel": "c"}], "application/json")
    assert answer.status_code == 400 and "topics[0].name" in answer.json()["error"]


def test_a_slow_subscribers_queue_drops_its_oldest_frames_and_says_how_many():
    async def scenario() -> list[str | None]:
        outbox = Outbox(3)
        for n in range(5):
            outbox.put(str(n))
        return [await outbox.next(timeout=0.01) for _ in range(5)]

    notice, *rest = one_loop.run(scenario())
    assert notice is not None and json.loads(notice)["kind"] == "dropped"
    assert json.loads(notice)["data"] == 2
    assert rest == ["2", "3", "4", None]


def test_a_runs_last_messages_are_kept_for_the_run_page_bounded(settings: Any):
    settings.REALTIME_RECENT_PER_RUN = 3
    run_id = "01JREALTIMERUNPAGE" + str(time.time_ns())[-8:]

    async def scenario() -> None:
        for n in range(5):
            await _publish("c", "t", json.dumps({"n": n}).encode(), run_id=run_id)

    one_loop.run(scenario())
    kept = recent.recent(run_id)
    assert [json.loads(item["preview"]) for item in kept] == [{"n": 2}, {"n": 3}, {"n": 4}]
    assert {(item["channel"], item["topic"]) for item in kept} == {("c", "t")}


def _run(status: str) -> str:
    app = App.objects.create(name=f"rt-{status}", url=f"http://127.0.0.1:1/{status}")
    function = Function.objects.create(app=app, slug=f"rt-{status}", name="f", step_url=app.url)
    run = Run.objects.create(
        id=clock.new_id(), function=function, status=status, queued_at=clock.now()
    )
    return run.id


@override_settings(REQUIRE_LOGIN=False)
def test_the_run_pages_realtime_fragment_lists_the_last_messages_newest_first():
    running, finished = _run(RunStatus.RUNNING), _run(RunStatus.COMPLETED)
    for n in range(2):
        recent.remember(running, recent.entry("data", "orders:1", "status", {"n": n}, "t", 8))
    recent.remember(running, recent.entry("data", "orders:1", "status", "<b>x</b>", "t", 8))

    page = Client().get(f"/runs/{running}/realtime").content.decode()
    rows = page.split('class="realtime-message"')[1:]
    assert len(rows) == 3
    assert "&lt;b&gt;x&lt;/b&gt;" in rows[0]  # newest first, escaped
    assert "{&quot;n&quot;: 0}" in rows[2]
    assert "Not durable" in page and 'hx-trigger="every' in page  # refreshes while running

    done = Client().get(f"/runs/{finished}/realtime").content.decode()
    assert "realtime-none" in done and "hx-trigger" not in done
    assert Client().get("/runs/01NOSUCHRUN0000000000000000/realtime").status_code == 404

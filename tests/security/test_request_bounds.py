"""Requests are bounded before anything reads them: a body declared past
DEVSERVER_REQUEST_MAX_BYTES gets a 413 and an event for an unknown key a 401 with the body
unread; a chunked body that streams past the limit is cut off with a 413. Driven through the
ASGI application the server runs, as daphne calls it."""

import asyncio
import json
from typing import Any

import pytest
from django.test import override_settings

from devserver.asgi import application
from events.models import Event
from tests import one_loop

LIMIT = 64 * 1024


class Client:
    """One ASGI request; counts how many body messages the application asked for."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.reads = 0
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if self.reads < len(self.chunks):
            self.reads += 1
            more = self.reads < len(self.chunks)
            return {"type": "http.request", "body": self.chunks[self.reads - 1], "more_body": more}
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return next(m["status"] for m in self.sent if m["type"] == "http.response.start")


def _post(path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> Client:
    client = Client(chunks)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    one_loop.run(asyncio.wait_for(application(scope, client.receive, client.send), 30))
    return client


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("bounded_settings"),
]


@pytest.fixture
def bounded_settings(settings: Any) -> None:
    settings.REQUEST_MAX_BYTES = LIMIT
    settings.EVENT_KEYS = ["the-key"]


def test_a_body_declared_past_the_limit_is_refused_unread():
    client = _post("/e/the-key", [b"x" * 1024], [(b"content-length", str(2**30).encode())])
    assert client.status == 413 and client.reads == 0


def test_an_unknown_event_key_is_refused_before_the_body_is_read():
    client = _post("/e/a-guess", [b"{}"], [(b"content-length", b"2")])
    assert client.status == 401 and client.reads == 0


def test_a_chunked_body_streaming_past_the_limit_is_cut_off():
    chunks = [b"[" + b" " * 8191] * 1000  # 8 MiB offered, 64 KiB accepted
    client = _post("/e/the-key", chunks, [])
    assert client.status == 413
    assert client.reads <= LIMIT // 8192 + 1
    assert [m["type"] for m in client.sent].count("http.response.start") == 1
    assert not Event.objects.exists()


def test_a_request_within_the_limits_goes_through():
    body = json.dumps({"name": "t/e", "data": {}}).encode()
    client = _post("/e/the-key", [body], [(b"content-length", str(len(body)).encode())])
    assert client.status == 200 and Event.objects.count() == 1


def test_a_content_length_that_is_not_a_number_is_a_400():
    client = _post("/e/the-key", [b"{}"], [(b"content-length", b"lots")])
    assert client.status == 400 and client.reads == 0


@override_settings(EVENT_KEYS=[])
def test_any_key_is_known_in_dev_mode():
    body = json.dumps({"name": "t/e"}).encode()
    client = _post("/e/anything", [body], [(b"content-length", str(len(body)).encode())])
    assert client.status == 200

"""An app's answer is bounded whole: a body past DEVSERVER_STEP_OUTPUT_MAX_BYTES is refused
while it streams (a declared Content-Length past it before any of it is read), and
DEVSERVER_SDK_TIMEOUT bounds the whole answer, not each read: an app dripping one byte at a
time no longer holds an attempt for ever. With the fast pool and with its httpx fallback."""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import pytest

from runs.protocol import FunctionErrored
from runs.sdk_client import call_function

LIMIT = 1024 * 1024
Behaviour = Callable[[socket.socket], None]


@contextmanager
def misbehaving_app(behaviour: Behaviour) -> Iterator[tuple[str, dict[str, int]]]:
    """A loopback app that reads the request, then answers as `behaviour` does; `sent` counts
    the bytes it managed to send before the server stopped listening."""
    listener = socket.create_server(("127.0.0.1", 0))
    sent = {"bytes": 0}

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                with suppress(OSError):
                    behaviour(_Counting(conn, sent))

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/api/inngest", sent
    finally:
        listener.close()


class _Counting:
    def __init__(self, conn: socket.socket, sent: dict[str, int]) -> None:
        self.conn, self.sent = conn, sent

    def sendall(self, data: bytes) -> None:
        self.conn.sendall(data)
        self.sent["bytes"] += len(data)


def _streams_forever(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")  # until close
    chunk = b"[" + b"0," * 32767
    for _ in range(600 * 16):  # up to 600 MiB
        conn.sendall(chunk)


def _declares_600_mib(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 629145600\r\n\r\n")
    time.sleep(30)


def _drips_the_body(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n")
    for _ in range(200):
        conn.sendall(b" ")
        time.sleep(0.1)


def _drips_the_headers(conn: socket.socket) -> None:
    for byte in b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"z" * 200:
        conn.sendall(bytes([byte]))
        time.sleep(0.1)


@pytest.fixture(params=[True, False], ids=["fast pool", "httpx fallback"])
def bounded(request: pytest.FixtureRequest, settings) -> bool:
    """The size tests have a timeout they never come near (a refusal by size must not turn
    into a timeout on a slow machine); the drip tests set 1 s, far below the drip's 20 s."""
    settings.FAST_HTTP_POOL = request.param
    settings.SDK_RESPONSE_MAX_BYTES = LIMIT
    settings.SDK_REQUEST_TIMEOUT = 60.0
    return request.param


def test_a_streamed_answer_past_the_limit_stops_being_read(bounded: bool):
    with misbehaving_app(_streams_forever) as (url, sent):
        outcome = call_function(url, b"{}")
    assert isinstance(outcome, FunctionErrored)
    assert outcome.error["name"] == "OutputTooLarge"
    assert "reading stopped" in outcome.error["message"]
    # What the app got out before we hung up: the limit plus what the sockets buffer.
    assert sent["bytes"] < LIMIT + 16 * 1024 * 1024


def test_a_declared_length_past_the_limit_is_refused_before_reading(bounded: bool):
    with misbehaving_app(_declares_600_mib) as (url, _):
        outcome = call_function(url, b"{}")
    assert isinstance(outcome, FunctionErrored)
    assert outcome.error["name"] == "OutputTooLarge"
    assert "declared 629145600 bytes" in outcome.error["message"]


def test_a_body_dripped_a_byte_at_a_time_times_out_as_a_whole(bounded: bool, settings):
    settings.SDK_REQUEST_TIMEOUT = 1.0
    with misbehaving_app(_drips_the_body) as (url, sent):
        outcome = call_function(url, b"{}")
    assert isinstance(outcome, FunctionErrored) and outcome.error["name"] == "SDKTimeout"
    assert sent["bytes"] < 100  # cut near 1 s, not after the 20 s the drip would take


def test_headers_dripped_a_byte_at_a_time_time_out_as_a_whole(bounded: bool, settings):
    if not bounded:
        pytest.skip("httpx bounds each read only: the fallback cannot cut slow headers")
    settings.SDK_REQUEST_TIMEOUT = 1.0
    with misbehaving_app(_drips_the_headers) as (url, sent):
        outcome = call_function(url, b"{}")
    assert isinstance(outcome, FunctionErrored) and outcome.error["name"] == "SDKTimeout"
    assert sent["bytes"] < 100

"""Slow or half-sent requests cannot pile up in the web process: the real server (daphne)
closes a connection whose request headers are not complete in time, whether the request
line or the headers are dripped a byte at a time, and one that sits idle. 3,000 half-sent
requests used to stay open 75 s each."""

import socket
import time
from collections.abc import Iterator

import pytest

from tests.harness import DevServer

DEADLINE = 1.0


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    server = DevServer(
        tmp_path_factory.mktemp("slow-clients"),
        env={
            "DEVSERVER_HTTP_HEADER_TIMEOUT": str(DEADLINE),
            "DEVSERVER_HTTP_IDLE_TIMEOUT": str(DEADLINE),
        },
    ).start()
    yield server
    server.stop()


def _connect(server: DevServer) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=5)


def _closed_within(conn: socket.socket, drip: bytes, seconds: float) -> float | None:
    """Send `drip` a byte every 0.2 s; when the server closes the connection, how long it took
    (None: still open after `seconds`)."""
    start = time.monotonic()
    for byte in drip:
        if time.monotonic() - start > seconds:
            return None
        try:
            conn.sendall(bytes([byte]))
            conn.settimeout(0.2)
            if conn.recv(1024) == b"":
                return time.monotonic() - start
        except TimeoutError:
            continue
        except OSError:  # reset by the server
            return time.monotonic() - start
    return None


@pytest.mark.parametrize(
    "drip",
    [
        b"POST /e/any-key HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"z" * 200,
        b"POST /e/" + b"k" * 200,
    ],
    ids=["headers dripped", "request line dripped"],
)
def test_a_request_dripped_a_byte_at_a_time_is_cut_off(strict_server: DevServer, drip: bytes):
    with _connect(strict_server) as conn:
        took = _closed_within(conn, drip, seconds=20 * DEADLINE)
    assert took is not None, "the server kept a dripping request open"


def test_an_idle_connection_is_closed(strict_server: DevServer):
    with _connect(strict_server) as conn:
        conn.settimeout(20 * DEADLINE)
        try:
            closed = conn.recv(1024) == b""
        except ConnectionResetError:  # aborted: closed too
            closed = True
        except TimeoutError:  # our own timeout: the server kept it open
            closed = False
    assert closed


def test_a_prompt_request_is_answered_as_usual(strict_server: DevServer):
    assert strict_server.http.get("/api/apps").status_code == 200

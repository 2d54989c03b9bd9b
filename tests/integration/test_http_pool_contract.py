"""runs/http_pool answers SDK calls as a plain HTTP client would, over kept-alive connections.

The pool leans on http.client behaviour that is documented loosely or not at all: a kept-alive
`HTTPConnection` reconnects by itself after `close()` (its `sock` is None), takes a new
`timeout` on reuse when we set `.timeout` and `sock.settimeout`, a read that outlives the
timeout raises TimeoutError, `HTTPResponse.will_close` tells a `Connection: close` answer, and
a request on a connection the app closed meanwhile fails with RemoteDisconnected (or a reset),
which the pool retries once. A real HTTP/1.1 server in this process answers, so a Python
upgrade that changes any of that fails here. Every test runs with the pool on and off
(DEVSERVER_FAST_HTTP_POOL=0: one pooled httpx client)."""

import http.client
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from runs import http_pool
from tests.harness import free_port


class _App(BaseHTTPRequestHandler):
    """Answers like an SDK app; `path` picks a misbehaviour."""

    protocol_version = "HTTP/1.1"  # keep-alive unless told otherwise

    def setup(self) -> None:  # once per TCP connection
        super().setup()
        self.server.connections += 1  # type: ignore[attr-defined]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        path = self.path.partition("?")[0]
        if path == "/slow":
            time.sleep(1.0)
        answer = json.dumps({"got": body.decode(), "x": self.headers.get("X-Inngest-Thing")})
        payload = answer.encode()
        self.send_response(206)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Inngest-No-Retry", "true")
        self.send_header("Content-Length", str(len(payload)))
        if path == "/close":
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)
        if path == "/quiet-close":
            self.close_connection = True  # closes after answering without saying so

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out hung up before the slow answer: expected


@pytest.fixture
def app() -> Iterator[ThreadingHTTPServer]:
    server = _Server(("127.0.0.1", 0), _App)
    server.daemon_threads = True
    server.connections = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(params=[True, False], ids=["pool", "httpx"])
def fast(request: pytest.FixtureRequest, settings: Any) -> bool:
    settings.FAST_HTTP_POOL = request.param
    return request.param


def _url(server: ThreadingHTTPServer, path: str) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}{path}?fnId=f&stepId=step"


def _connections(server: ThreadingHTTPServer) -> int:
    return server.connections  # type: ignore[attr-defined]


def _post(server: ThreadingHTTPServer, path: str, timeout: float = 5.0) -> http_pool.RawResponse:
    headers = {"Content-Type": "application/json", "X-Inngest-Thing": "yes"}
    return http_pool.post(_url(server, path), b'{"ctx": 1}', headers, timeout)


def test_answer_comes_back_whole_with_lower_cased_headers(app, fast) -> None:
    response = _post(app, "/step")
    assert response.status == 206
    assert response.headers["x-inngest-no-retry"] == "true"
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.body) == {"got": '{"ctx": 1}', "x": "yes"}


def test_calls_reuse_one_kept_alive_connection(app, fast) -> None:
    for _ in range(5):
        assert _post(app, "/step").status == 206
    assert _connections(app) == 1


def test_a_connection_the_app_closed_quietly_is_replaced_without_an_error(app, fast) -> None:
    assert _post(app, "/quiet-close").status == 206
    time.sleep(0.05)  # the app's close reaches this side
    assert _post(app, "/step").status == 206
    assert _connections(app) == 2


def test_connection_close_answer_is_honoured(app, fast) -> None:
    assert _post(app, "/close").status == 206
    assert _post(app, "/step").status == 206
    assert _connections(app) == 2


def test_a_slow_app_times_out_with_the_timeout_of_this_call(app, fast) -> None:
    assert _post(app, "/step", timeout=30.0).status == 206  # a kept-alive connection, 30 s
    started = time.monotonic()
    with pytest.raises(http_pool.HttpTimeout):
        _post(app, "/slow", timeout=0.2)
    assert time.monotonic() - started < 0.8, "the reused connection kept its old timeout"
    assert _post(app, "/step").status == 206  # and the next call works


def test_no_app_listening_is_unreachable(fast) -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(http_pool.HttpUnreachable):
        http_pool.post(f"http://127.0.0.1:{port}/api/inngest", b"{}", {}, 2.0)


def test_http_client_keeps_the_attributes_the_pool_reads(app) -> None:
    host, port = app.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=5.0)
    assert connection.sock is None and connection.timeout == 5.0
    connection.request("POST", "/close", body=b"{}", headers={"Content-Type": "x"})
    response = connection.getresponse()
    response.read()
    assert response.will_close is True
    connection.request("POST", "/step", body=b"{}", headers={"Content-Type": "x"})
    response = connection.getresponse()
    response.read()
    assert response.will_close is False and connection.sock is not None
    connection.timeout = 0.2  # what the pool sets on reuse
    connection.sock.settimeout(0.2)
    connection.request("POST", "/slow", body=b"{}", headers={"Content-Type": "x"})
    with pytest.raises(TimeoutError):
        connection.getresponse()
    connection.close()

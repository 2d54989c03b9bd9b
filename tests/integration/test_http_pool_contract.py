"""runs/http_pool answers SDK calls as a plain HTTP client would, over kept-alive connections.

The fast path speaks HTTP/1.1 itself (runs/http_wire.py), so what a library would have handled
is held here against real servers: an HTTP/1.1 server in this process (keep-alive, a quiet
close, `Connection: close`, a slow answer) and a scripted one that sends exact bytes (chunked
bodies, interim 1xx answers, 204/304, folded and oddly cased headers, malformed answers, bodies
over the bound, a drip past the deadline). Every test runs with the pool on and off
(DEVSERVER_FAST_HTTP_POOL=0: one pooled httpx client), which must give the same answers and
errors."""

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from runs import http_pool
from tests.harness import free_port, wait_until


class _App(BaseHTTPRequestHandler):
    """Answers like an SDK app; `path` picks a misbehaviour."""

    protocol_version = "HTTP/1.1"  # keep-alive unless told otherwise

    def setup(self) -> None:  # once per TCP connection
        super().setup()
        self.server.connections += 1  # type: ignore[attr-defined]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        path = self.path.partition("?")[0]
        if path == "/slow":  # answers only once the test lets it, or after 20 s
            self.server.release.wait(20)  # type: ignore[attr-defined]
        answer = json.dumps({"got": body.decode(), "x": self.headers.get("X-Inngest-Thing")})
        if path == "/encoding":
            answer = json.dumps({"accept-encoding": self.headers.get("Accept-Encoding")})
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

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        self.closes += 1  # type: ignore[attr-defined]


@pytest.fixture
def app() -> Iterator[ThreadingHTTPServer]:
    server = _Server(("127.0.0.1", 0), _App)
    server.daemon_threads = True
    server.connections = 0  # type: ignore[attr-defined]
    server.closes = 0  # type: ignore[attr-defined]
    server.release = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.release.set()  # type: ignore[attr-defined]
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


def _closes(server: ThreadingHTTPServer) -> int:
    """Connections the app has closed on its side."""
    return server.closes  # type: ignore[attr-defined]


def _post(server: ThreadingHTTPServer, path: str, timeout: float = 30.0) -> http_pool.RawResponse:
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
    wait_until(lambda: _closes(app) == 1, 30, "the app to close the connection")
    assert _post(app, "/step").status == 206
    assert _connections(app) == 2


def test_connection_close_answer_is_honoured(app, fast) -> None:
    assert _post(app, "/close").status == 206
    assert _post(app, "/step").status == 206
    assert _connections(app) == 2


def test_a_slow_app_times_out_with_the_timeout_of_this_call(app, fast) -> None:
    """The app answers /slow only after 20 s: within the 60 s the connection was opened with
    (a call that kept it would get that answer), long past this call's 0.2 s."""
    assert _post(app, "/step", timeout=60.0).status == 206  # a kept-alive connection, 60 s
    with pytest.raises(http_pool.HttpTimeout):
        _post(app, "/slow", timeout=0.2)
    app.release.set()  # type: ignore[attr-defined]
    assert _post(app, "/step").status == 206  # and the next call works


def test_no_app_listening_is_unreachable(fast) -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(http_pool.HttpUnreachable):
        http_pool.post(f"http://127.0.0.1:{port}/api/inngest", b"{}", {}, 2.0)


# The scripted app: each path names the exact bytes of its answer. An answer returns whether
# the connection stays open for the next request.
Answer = Callable[[socket.socket, dict[str, int]], bool]
LIMIT = 64 * 1024


def _json_answer(extra_head: bytes = b"") -> bytes:
    body = b'{"ok":true}'
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + extra_head
        + b"Content-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


def _sends(data: bytes, keep: bool = True) -> Answer:
    def answer(conn: socket.socket, sent: dict[str, int]) -> bool:
        conn.sendall(data)
        sent["bytes"] += len(data)
        return keep

    return answer


def _drips(head: bytes, body: bytes, pause: float) -> Answer:
    def answer(conn: socket.socket, sent: dict[str, int]) -> bool:
        conn.sendall(head)
        for byte in body:
            time.sleep(pause)
            conn.sendall(bytes([byte]))
            sent["bytes"] += 1
        return True

    return answer


_CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
ANSWERS: dict[str, Answer] = {
    "/ok": _sends(_json_answer()),
    # Chunk extensions, a chunk split anywhere, trailer fields: all part of chunked coding.
    "/chunked": _sends(_CHUNKED + b'4;ext=1\r\n{"ok\r\n7\r\n":true}\r\n0\r\nX-Trailer: t\r\n\r\n'),
    "/chunked-over": _sends(_CHUNKED + (b"8000\r\n" + b" " * 0x8000 + b"\r\n") * 3 + b"0\r\n\r\n"),
    "/declared-over": _sends(b"HTTP/1.1 200 OK\r\nContent-Length: 600000000\r\n\r\n{"),
    "/undeclared-over": _sends(b"HTTP/1.1 200 OK\r\n\r\n" + b" " * (LIMIT * 3), keep=False),
    "/until-close": _sends(b'HTTP/1.1 200 OK\r\n\r\n{"ok":true}', keep=False),
    "/interim": _sends(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
        + _json_answer()
    ),
    "/204": _sends(b"HTTP/1.1 204 No Content\r\nX-Inngest-No-Retry: true\r\n\r\n"),
    "/304": _sends(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n"),
    "/odd-headers": _sends(
        _json_answer(b"x-INNGEST-no-RETRY: true\r\nX-Folded: first\r\n \t second\r\n")
    ),
    "/not-http": _sends(b"HTCPCP/1.0 418 I'm a teapot\r\n\r\n"),
    "/no-status-code": _sends(b"HTTP/1.1 OK\r\nContent-Length: 0\r\n\r\n"),
    "/garbage-then-close": _sends(b"hello", keep=False),
    "/two-lengths": _sends(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"),
    "/cut-short": _sends(b'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"ok"', keep=False),
    "/silent-close": _sends(b"", keep=False),  # reads the request, hangs up without a word
    "/drip-chunked": _drips(_CHUNKED + b"258\r\n", b" " * 600, 0.05),  # 30 s of drip
}


class _ScriptedApp:
    """A loopback app that reads each request on a connection and answers as its path says."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.connections = 0
        self.sent = {"bytes": 0}
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}{path}?fnId=f&stepId=step"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # closed at the end of the test
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, suppress(OSError):  # the client hung up: nothing more to send
            pending = b""
            while True:
                while b"\r\n\r\n" not in pending:
                    data = conn.recv(65536)
                    if not data:
                        return
                    pending += data
                head, _, pending = pending.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                fields = dict(line.lower().split(": ", 1) for line in lines[1:])
                length = int(fields["content-length"])
                while len(pending) < length:
                    pending += conn.recv(65536)
                pending = pending[length:]
                if not ANSWERS[lines[0].split(" ")[1].partition("?")[0]](conn, self.sent):
                    return


@pytest.fixture
def scripted() -> Iterator[_ScriptedApp]:
    app = _ScriptedApp()
    yield app
    app.listener.close()


def _call(app: _ScriptedApp, path: str, timeout: float = 30.0) -> http_pool.RawResponse:
    return http_pool.post(
        app.url(path), b"{}", {"Content-Type": "application/json"}, timeout, LIMIT
    )


def test_a_chunked_answer_is_joined_and_the_connection_kept(scripted, fast) -> None:
    assert json.loads(_call(scripted, "/chunked").body) == {"ok": True}
    assert json.loads(_call(scripted, "/chunked").body) == {"ok": True}
    assert scripted.connections == 1


def test_an_answer_framed_by_the_connection_end_is_read_to_it(scripted, fast) -> None:
    assert json.loads(_call(scripted, "/until-close").body) == {"ok": True}
    assert _call(scripted, "/ok").status == 200  # on a new connection
    assert scripted.connections == 2


@pytest.mark.parametrize("path", ["/chunked-over", "/undeclared-over"])
def test_an_undeclared_body_over_the_bound_stops_being_read(scripted, fast, path) -> None:
    with pytest.raises(http_pool.HttpTooLarge) as refused:
        _call(scripted, path)
    assert refused.value.declared is False and refused.value.size > LIMIT
    assert _call(scripted, "/ok").status == 200  # the unread rest does not spoil the next call


def test_a_declared_length_over_the_bound_is_refused_before_reading(scripted, fast) -> None:
    with pytest.raises(http_pool.HttpTooLarge) as refused:
        _call(scripted, "/declared-over")
    assert refused.value.declared is True and refused.value.size == 600000000


def test_a_chunked_body_dripped_past_the_deadline_times_out(scripted, fast) -> None:
    with pytest.raises(http_pool.HttpTimeout):
        _call(scripted, "/drip-chunked", timeout=0.3)
    assert scripted.sent["bytes"] < 600  # cut at the deadline, not after the 30 s drip


def test_interim_answers_are_skipped_for_the_real_one(scripted, fast) -> None:
    answer = _call(scripted, "/interim")
    assert answer.status == 200 and json.loads(answer.body) == {"ok": True}


@pytest.mark.parametrize("path, status", [("/204", 204), ("/304", 304)])
def test_answers_without_a_body_keep_the_connection(scripted, fast, path, status) -> None:
    answer = _call(scripted, path)
    assert answer.status == status and answer.body == b""
    assert _call(scripted, "/ok").status == 200
    assert scripted.connections == 1


def test_header_names_are_lower_cased_and_folded_values_joined(scripted, fast) -> None:
    headers = _call(scripted, "/odd-headers").headers
    assert headers["x-inngest-no-retry"] == "true"
    assert headers["x-folded"] == "first second"


@pytest.mark.parametrize(
    "path",
    ["/not-http", "/no-status-code", "/garbage-then-close", "/two-lengths", "/cut-short"],
)
def test_an_answer_that_is_not_http_is_unreachable_at_once(scripted, fast, path) -> None:
    with pytest.raises(http_pool.HttpUnreachable):
        _call(scripted, path, timeout=30.0)  # an error, not a wait for the deadline
    assert _call(scripted, "/ok").status == 200


def test_an_app_hanging_up_on_a_fresh_connection_is_not_retried(scripted, fast) -> None:
    with pytest.raises(http_pool.HttpUnreachable):
        _call(scripted, "/silent-close")
    assert scripted.connections == 1


def test_an_app_hanging_up_on_a_kept_alive_connection_is_retried_once(scripted, fast) -> None:
    assert _call(scripted, "/ok").status == 200
    with pytest.raises(http_pool.HttpUnreachable):
        _call(scripted, "/silent-close")  # kept-alive: retried once, on a fresh connection
    # httpx sends a request on a kept-alive connection once: it retries only failed connects.
    assert scripted.connections == (2 if fast else 1)


def test_no_compressed_answer_is_asked_for(app: ThreadingHTTPServer, fast: bool) -> None:
    """Both paths hand back the body's bytes as sent: an app told it may gzip would be read
    as garbage (httpx asked for gzip and read the raw bytes)."""
    answer = http_pool.post(_url(app, "/encoding"), b"{}", {}, 30.0)
    assert json.loads(answer.body) == {"accept-encoding": "identity"}

"""The web process's HTTP protocol (devserver/uvicorn_server.py) sends an answer's headers and
body as one write to the socket (devserver/one_write.py), keeps a connection's writes in order,
answers `Expect: 100-continue` before the body comes, and sends what it holds before a close.

uvicorn's own protocol runs here on uvloop over a real TCP connection; a counting layer between
it and uvloop's transport sees every write that reaches the socket."""

import asyncio
import socket
from typing import Any

import uvicorn
import uvloop
from uvicorn.server import ServerState

from devserver.uvicorn_server import HeaderDeadlineProtocol


class CountingTransport:
    """uvloop's transport, with the writes that reach it recorded."""

    def __init__(self, transport: Any, writes: list[bytes]) -> None:
        self._transport, self.writes = transport, writes

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


async def answer(scope: dict, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"one,", b"two,", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
            await asyncio.sleep(0.01)
        await send({"type": "http.response.body", "body": b""})
        return
    reply = b"got:" + body
    headers = [(b"content-length", str(len(reply)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": reply})


async def serve_and_talk(talk: Any) -> tuple[list[bytes], Any]:
    """Serve `answer` with the server's protocol, run `talk(port)` against it from a thread."""
    writes: list[bytes] = []
    config = uvicorn.Config(answer, lifespan="off", access_log=False, log_level="warning")
    config.load()
    state = ServerState()
    loop = asyncio.get_running_loop()

    def protocol() -> HeaderDeadlineProtocol:
        made = HeaderDeadlineProtocol(config=config, server_state=state, app_state={}, _loop=loop)
        real_made = made.connection_made
        made.connection_made = lambda t: real_made(CountingTransport(t, writes))  # type: ignore
        return made

    server = await loop.create_server(protocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        said = await asyncio.wait_for(asyncio.to_thread(talk, port), 20)
    finally:
        server.close()
        await server.wait_closed()
    return writes, said


def _exchange(port: int, request: bytes, until: bytes, then: bytes = b"") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while until not in received:
            chunk = sock.recv(65536)
            assert chunk, f"closed after {received!r}"
            received += chunk
        if then:
            sock.sendall(then)
            while b"got:" not in received or not received.endswith(b"hello"):
                chunk = sock.recv(65536)
                assert chunk, f"closed after {received!r}"
                received += chunk
        return received


def run(talk: Any) -> tuple[list[bytes], Any]:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(serve_and_talk(talk))


def test_an_answer_leaves_in_one_write():
    request = b"POST /e HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello"
    writes, said = run(lambda port: _exchange(port, request, until=b"got:hello"))
    assert said.startswith(b"HTTP/1.1 200 OK\r\n") and said.endswith(b"\r\n\r\ngot:hello")
    assert writes == [said], writes


def test_keep_alive_answers_each_leave_in_one_write_in_order():
    one = b"POST /e HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\none"
    two = b"POST /e HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\ntwo"

    def talk(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            received = b""
            for request, expected in ((one, b"got:one"), (two, b"got:two")):
                sock.sendall(request)
                while not received.endswith(expected):
                    received += sock.recv(65536)
            return received

    writes, said = run(talk)
    assert len(writes) == 2 and b"".join(writes) == said
    assert writes[0].endswith(b"got:one") and writes[1].endswith(b"got:two")


def test_continue_is_sent_before_the_body_comes():
    head = b"POST /e HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 5\r\n\r\n"
    writes, said = run(
        lambda port: _exchange(port, head, until=b"100 Continue\r\n\r\n", then=b"hello")
    )
    assert said.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")
    assert writes[0] == b"HTTP/1.1 100 Continue\r\n\r\n" and len(writes) == 2


def test_a_streamed_answer_keeps_its_order_and_a_close_sends_what_is_held():
    request = b"GET /stream HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"

    def talk(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(request)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
            return received

    writes, said = run(talk)
    assert b"".join(writes) == said
    assert said.endswith(b"4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\n"), said

"""The web process on uvicorn (httptools parser, uvloop), with connections bounded in time as
devserver/http_server.py bounds daphne's: a request's headers must be complete
DEVSERVER_HTTP_HEADER_TIMEOUT seconds after its first byte (or after the connection opened),
an idle keep-alive connection closes after DEVSERVER_HTTP_IDLE_TIMEOUT, and a request not
answered within DEVSERVER_HTTP_REQUEST_TIMEOUT gets a 503 (or, mid-answer, its connection
closed). uvicorn alone waits for ever on a connection that sends nothing, or a header a byte at
a time (each byte re-arms nothing; its keep-alive timer only runs between requests).

Websockets (Channels' consumers, realtime subscriptions) are served by the `websockets`
package's sans-I/O protocol; their upgrade request is an HTTP request and keeps the header
deadline. On a stop, Connect workers are told to move and given time to answer the steps
they run (runs/connect/drain.py) before uvicorn ends the rest. An answer's headers and body
leave in one send (devserver/one_write.py)."""

import asyncio
from typing import Any

import uvicorn
from django.conf import settings
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from runs.connect.drain import LIVE

from .one_write import HeadersWithBody
from .request_limits import App, Message, Receive, Scope, Send

# Seconds given to open requests (a streamed answer, a websocket) to end once the server is
# told to stop, before their connections are closed: a test harness or `make dev` stops fast.
GRACEFUL_STOP_SECONDS = 3


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request headers are late."""

    _headers_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(HeadersWithBody(transport, self.loop))  # type: ignore[arg-type]
        # The request line itself may be dripped, or never sent.
        self._arm_headers_deadline()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_headers_deadline()  # each request of a keep-alive connection

    def on_headers_complete(self) -> None:
        self._cancel_headers_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_headers_deadline()
        super().connection_lost(exc)

    def _arm_headers_deadline(self) -> None:
        self._cancel_headers_deadline()
        self._headers_deadline = self.loop.call_later(
            settings.HTTP_HEADER_TIMEOUT, self._headers_too_slow
        )

    def _cancel_headers_deadline(self) -> None:
        if self._headers_deadline is not None:
            self._headers_deadline.cancel()
            self._headers_deadline = None

    def _headers_too_slow(self) -> None:
        self._headers_deadline = None
        if not self.transport.is_closing():
            self.transport.abort()


class AnswerWithin:
    """ASGI middleware: an HTTP request gets its answer within HTTP_REQUEST_TIMEOUT, as daphne's
    http_timeout gives it: a 503 when nothing was sent yet, else the answer is cut off."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            async with asyncio.timeout(settings.HTTP_REQUEST_TIMEOUT):
                await self.app(scope, receive, tracking)
        except TimeoutError:
            if not started:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 503,
                        "headers": [(b"content-type", b"text/plain"), (b"connection", b"close")],
                    }
                )
                await send({"type": "http.response.body", "body": b"Service Unavailable"})
            # Mid-answer: returning leaves the answer incomplete and uvicorn closes the
            # connection.


class _Server(uvicorn.Server):
    """uvicorn's server, whose stop first lets Connect workers move and answer the steps they
    run (runs/connect/drain.py): its own stop closed their sockets mid-step."""

    async def shutdown(self, sockets: list[Any] | None = None) -> None:
        try:
            await LIVE.close_gateway(
                settings.CONNECT_DRAIN_SECONDS, self._stop_accepting, lambda: self.force_exit
            )
        finally:
            await super().shutdown(sockets)

    def _stop_accepting(self) -> None:
        for server in self.servers:
            server.close()  # uvicorn's shutdown closes them too: closing twice is harmless


def serve(application: Any, host: str, port: int) -> None:
    config = uvicorn.Config(
        AnswerWithin(application),
        host=host,
        port=port,
        loop="uvloop",
        http=HeaderDeadlineProtocol,
        ws="websockets-sansio",
        lifespan="off",  # Channels' router serves http and websocket scopes only
        access_log=False,
        log_level="warning",
        proxy_headers=False,  # as daphne: X-Forwarded-For is nobody's to trust by default
        server_header=False,
        timeout_keep_alive=settings.HTTP_IDLE_TIMEOUT,  # type: ignore[arg-type]  # a float works
        timeout_graceful_shutdown=GRACEFUL_STOP_SECONDS,
    )
    _Server(config).run()

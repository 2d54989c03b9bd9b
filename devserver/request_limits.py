"""Requests are bounded before Django reads them (its ASGI handler spools a whole body to disk
before any view runs): a body declared or streamed past DEVSERVER_REQUEST_MAX_BYTES gets a 413,
and an event sent to an unknown key a 401, without reading the body."""

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.conf import settings

from events.keys import is_known_event_key

Scope = dict[str, Any]
Message = Mapping[str, Any]  # what Django's ASGI handlers take
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class BoundedRequests:
    """ASGI middleware in front of the HTTP handler."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.REQUEST_MAX_BYTES
        declared = _header(scope, b"content-length")
        if declared is not None and not declared.isdigit():
            return await _answer(send, 400, "Content-Length must be a number of bytes")
        if declared is not None and int(declared) > limit:
            return await _answer(send, 413, f"request is over the limit of {limit} bytes")
        path = scope.get("path", "")
        if path.startswith("/e/") and not is_known_event_key(path[3:].rstrip("/")):
            return await _answer(send, 401, "Event key not found")
        await self.app(scope, _counting(receive, send, limit), send)


def _counting(receive: Receive, send: Send, limit: int) -> Receive:
    """`receive`, answering 413 and ending the request once the body streams past `limit`
    (a chunked body declares no length)."""
    received = 0

    async def bounded() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                await _answer(send, 413, f"request is over the limit of {limit} bytes")
                return {"type": "http.disconnect"}  # the handler stops; nothing more is read
        return message

    return bounded


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


async def _answer(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message, "status": status}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})

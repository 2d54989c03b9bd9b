"""Subscriptions: `WS /v1/realtime/connect?token=` (a Channels consumer) and
`GET /v1/realtime/sse?token=` (an ASGI app of its own: its response never ends while it is
subscribed). A subscription hears exactly the topics its tokens allow, at most
REALTIME_MAX_TOPICS; a missing, forged or expired token is refused before anything is sent."""

import asyncio
import contextlib
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings

from .auth import bearer
from .broadcast import Outbox, join, leave
from .protocol import TOKEN_PARAM, MessageKind
from .publish import Receive, Scope, Send, answer
from .tokens import Topic, verify

logger = logging.getLogger(__name__)
REFUSED = 4401  # websocket close code: no valid token
KEEPALIVE = b":\n\n"  # an SSE comment: readers skip it


def token_topics(scope: Scope) -> list[Topic] | None:
    """The topics of the connection's token (`?token=`, else `Authorization: Bearer`)."""
    params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    token = (params.get(TOKEN_PARAM) or [""])[0]
    if not token:
        headers = dict(scope.get("headers", []))
        token = bearer(headers.get(b"authorization", b"").decode("latin-1"))
    topics = verify(token) if token else None
    if topics is None or len(set(topics)) > settings.REALTIME_MAX_TOPICS:
        return None
    return list(dict.fromkeys(topics))


class RealtimeSocket(AsyncWebsocketConsumer):
    """One subscriber; `{"kind": "sub", "data": token}` adds the topics of another token and
    `{"kind": "unsub", "data": [{channel, name}]}` drops topics (inngest's websocket protocol)."""

    topics: list[Topic]
    outbox: Outbox
    writer: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        topics = token_topics(self.scope)
        if topics is None:
            await self.close(code=REFUSED)  # before accept: the handshake is refused
            return
        self.topics = topics
        self.outbox = Outbox(settings.REALTIME_SUBSCRIBER_QUEUE)
        await join(self.channel_name, topics)
        await self.accept()
        self.writer = asyncio.create_task(self._write())

    async def disconnect(self, code: int) -> None:
        if self.writer:
            self.writer.cancel()
        await leave(self.channel_name, getattr(self, "topics", []))

    async def realtime_frame(self, message: dict[str, Any]) -> None:
        self.outbox.put(message["text"])

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = json.loads(text_data or "")
        except ValueError:
            return  # as inngest: unknown messages are ignored
        if not isinstance(message, dict):
            return
        kind, data = message.get("kind"), message.get("data")
        if kind == MessageKind.SUBSCRIBE and isinstance(data, str):
            more = verify(data) or []
            room = settings.REALTIME_MAX_TOPICS - len(self.topics)
            added = [t for t in dict.fromkeys(more) if t not in self.topics][: max(room, 0)]
            await join(self.channel_name, added)
            self.topics += added
        elif kind == MessageKind.UNSUBSCRIBE and isinstance(data, list):
            named = {(i.get("channel"), i.get("name")) for i in data if isinstance(i, dict)}
            gone = [t for t in self.topics if (t.channel, t.name) in named]
            await leave(self.channel_name, gone)
            self.topics = [t for t in self.topics if t not in gone]

    async def _write(self) -> None:
        while True:
            text = await self.outbox.next(timeout=3600)
            if text is not None:
                await self.send(text_data=text)


async def sse_app(scope: Scope, receive: Receive, send: Send) -> None:
    """`data: <message>` events, and raw text (a tee) verbatim, until the client goes (or the
    server's request timeout ends the response: clients reconnect), with a `:` comment as
    keepalive within the idle timeout, never inside a raw event that is not finished."""
    if scope["method"] != "GET":
        return await answer(send, 405, "subscribe with GET")
    topics = token_topics(scope)
    if topics is None:
        return await answer(send, 401, "a valid subscription token is required (?token=)")
    layer = get_channel_layer()
    # The default prefix: the Redis layer reads every "specific." channel of a process from one
    # list, and a channel under another prefix would wait for whoever holds that read.
    channel_name = await layer.new_channel()
    await join(channel_name, topics)
    outbox = Outbox(settings.REALTIME_SUBSCRIBER_QUEUE, notice=_sse_event)
    headers = [
        (b"content-type", b"text/event-stream"),
        (b"cache-control", b"no-cache"),
        (b"access-control-allow-origin", b"*"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": KEEPALIVE, "more_body": True})

    async def pull() -> None:
        while True:
            message = await layer.receive(channel_name)
            if message.get("type") == "realtime.frame":
                text = message["text"]
                outbox.put(text if message.get("raw") else _sse_event(text))

    async def push() -> None:
        keepalive = min(15.0, settings.HTTP_IDLE_TIMEOUT / 2)
        between_events = True  # a tee's bytes may stop mid-event: no comment may go there
        while True:
            text = await outbox.next(timeout=keepalive)
            if text is None and not between_events:
                continue
            body = KEEPALIVE if text is None else text.encode()
            between_events = text is None or text.endswith("\n\n")
            await send({"type": "http.response.body", "body": body, "more_body": True})

    async def until_gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    tasks = [asyncio.create_task(job()) for job in (pull, push, until_gone)]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task.exception() and not isinstance(task.exception(), OSError):
                logger.warning("realtime SSE stream ended: %r", task.exception())
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        await leave(channel_name, topics)


def _sse_event(frame: str) -> str:
    return f"data: {frame}\n\n"

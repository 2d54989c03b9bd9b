"""`POST /v1/realtime/publish?channel=&topic=&run_id=`: an ASGI app of its own, so that a streamed
body (`Content-Type: text/stream`) reaches subscribers chunk by chunk as it arrives (Django reads
a whole body before a view runs). A JSON body is one `data` message per topic, refused above
REALTIME_MESSAGE_MAX_BYTES; a stream is cut at REALTIME_STREAM_MAX_BYTES (it still ends)."""

import asyncio
import codecs
import json
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings

from . import recent
from .auth import may_publish
from .broadcast import deliver
from .protocol import CHUNK_BYTES, STREAM_CONTENT_TYPE, MessageKind, body_data, frame, now_iso
from .tokens import Topic

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Mapping[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]


class TooLarge(Exception):
    pass


async def publish_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["method"] != "POST":
        return await answer(send, 405, "publish with POST")
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    if not may_publish(headers.get("authorization")):
        return await answer(send, 401, "publishing needs the signing key (Authorization: Bearer)")
    params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    channel = (params.get("channel") or [""])[0]
    topics = [Topic(channel, name) for name in params.get("topic", []) if name]
    run_id = (params.get("run_id") or [""])[0]
    if not channel:
        return await answer(send, 400, "the channel query parameter is required")
    if not topics:
        return await answer(send, 400, "at least one topic query parameter is required")
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type == STREAM_CONTENT_TYPE:
            await _publish_stream(receive, topics, run_id)
        else:
            await _publish_message(receive, headers, topics, run_id)
    except TooLarge as exc:
        return await answer(send, 413, str(exc))
    await answer(send, 200, "")


async def _publish_message(
    receive: Receive, headers: dict[str, str], topics: list[Topic], run_id: str
) -> None:
    limit = settings.REALTIME_MESSAGE_MAX_BYTES
    too_large = TooLarge(f"a realtime message is limited to {limit} bytes")
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for piece in _body(receive):
        body += piece
        if len(body) > limit:
            raise too_large
    data = body_data(bytes(body))
    for topic in topics:
        await deliver(topic, frame(MessageKind.DATA, topic.channel, topic.name, data, run_id))
    if run_id:
        item = recent.entry(
            "data", topics[0].channel, ",".join(t.name for t in topics), data, now_iso(), len(body)
        )
        await asyncio.to_thread(recent.remember, run_id, item)


async def _publish_stream(receive: Receive, topics: list[Topic], run_id: str) -> None:
    """datastream-start, a chunk per ≤1 KiB read, datastream-end (always, even when cut)."""
    limit = settings.REALTIME_STREAM_MAX_BYTES
    stream_id = secrets.token_hex(8)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")  # chunks may split a char
    total, preview = 0, ""
    await _to_all(topics, MessageKind.STREAM_START, stream_id, run_id)
    try:
        async for piece in _body(receive):
            total += len(piece)
            if total > limit:
                raise TooLarge(f"a realtime stream is limited to {limit} bytes; it was cut there")
            for start in range(0, len(piece), CHUNK_BYTES):
                text = decoder.decode(piece[start : start + CHUNK_BYTES])
                if text:
                    preview += text[: 2000 - len(preview)]
                    for topic in topics:
                        chunk = frame(
                            MessageKind.CHUNK,
                            topic.channel,
                            topic.name,
                            text,
                            run_id,
                            stream_id=stream_id,
                        )
                        await deliver(topic, chunk)
    finally:
        await _to_all(topics, MessageKind.STREAM_END, stream_id, run_id)
        if run_id:
            item = recent.entry(
                "stream",
                topics[0].channel,
                ",".join(t.name for t in topics),
                preview,
                now_iso(),
                total,
            )
            await asyncio.to_thread(recent.remember, run_id, item)


async def _to_all(topics: list[Topic], kind: MessageKind, data: str, run_id: str) -> None:
    for topic in topics:
        await deliver(topic, frame(kind, topic.channel, topic.name, data, run_id))


async def _body(receive: Receive) -> Any:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        if message.get("body"):
            yield message["body"]
        if not message.get("more_body"):
            return


async def answer(send: Send, status: int, error: str) -> None:
    body = json.dumps({"error": error, "status": status}).encode() if error else b""
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

"""`POST /v1/realtime/publish/tee?channel=<run id>`: raw bytes forwarded to the channel's
`$stream` topic as they arrive. A Durable Endpoint (npm inngest 4.24.0 `api/api.js`
`checkpointStream`, `Content-Type: application/octet-stream`) tees its streamed answer here, as
the SSE events its caller expects (`event: inngest.stream` ..., `event: inngest.response`), so
that a caller redirected to `GET /v1/realtime/sse?token=<the run's realtime token>`
(`inngest.redirect_info`, runs/endpoints.py) reads the rest of it there. Semantics from
inngest/inngest `realtime/api.go` `PostPublishTee` and the broadcaster's `Write`: the signing key
(or nothing, in dev mode), a channel, the body bounded (REALTIME_STREAM_MAX_BYTES here), and the
bytes passed on to subscribers verbatim, not as JSON messages (as text here: invalid UTF-8 is
replaced)."""

import codecs
from urllib.parse import parse_qs

from django.conf import settings

from .auth import may_publish
from .broadcast import deliver
from .protocol import STREAM_TOPIC
from .publish import Receive, Scope, Send, answer
from .tokens import Topic

TEE_PATH = "/v1/realtime/publish/tee"


async def tee_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["method"] != "POST":
        return await answer(send, 405, "tee with POST")
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    if not may_publish(headers.get("authorization")):
        return await answer(send, 401, "publishing needs the signing key (Authorization: Bearer)")
    params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    channel = (params.get("channel") or [""])[0]
    if not channel:
        return await answer(send, 400, "the channel query parameter is required")
    topic = Topic(channel, STREAM_TOPIC)
    limit = settings.REALTIME_STREAM_MAX_BYTES
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")  # a read may split a char
    total = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        piece = message.get("body") or b""
        total += len(piece)
        if total > limit:
            return await answer(send, 413, f"a tee is limited to {limit} bytes; it was cut there")
        text = decoder.decode(piece, final=not message.get("more_body"))
        if text:
            await deliver(topic, text, raw=True)
        if not message.get("more_body"):
            return await answer(send, 200, "")

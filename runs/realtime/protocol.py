"""Realtime wire vocabulary and message shapes, as the official SDKs speak them.

Sources: npm `inngest` 4.24.0 `api/api.js` (`publish`: `POST /v1/realtime/publish?channel=&topic=
&run_id=`, JSON body, or `Content-Type: text/stream` for a streamed one; `getSubscriptionToken`:
`POST /v1/realtime/token` with `[{channel, name, kind: "run"}]`, answer `{"jwt"}`),
`components/realtime/subscribe/TokenSubscription.js` (`WS /v1/realtime/connect?token=`; frames are
JSON objects `{kind, channel, topic, data, run_id?, created_at?, stream_id?}` checked by
`components/realtime/types.js`), `getRealtimeStreamRedirect` (`GET /v1/realtime/sse?token=`);
`@inngest/realtime` 0.4.7 (same token and socket shapes); PyPI `inngest` 0.5.19
`experimental/realtime` (publish and token only). Semantics from inngest/inngest
`pkg/execution/realtime` (api.go, sub_websocket.go, sub_sse.go, streamingtypes): a body that is
valid JSON is the message's data as is, anything else becomes a JSON string; a stream is
`datastream-start` (data: the stream id), `chunk`s of at most 1 KiB, `datastream-end`; the
socket takes `{"kind": "sub", "data": "<token>"}` and `{"kind": "unsub", "data": [topics]}`; SSE
frames are `data: <json>\\n\\n` with `:` comments as keepalives. Unlike Inngest's, our chunks
also carry `channel` and `topic`, without which the JS SDK drops them."""

import enum
import json
from datetime import UTC, datetime
from typing import Any

PUBLISH_PATH = "/v1/realtime/publish"
TOKEN_PATH = "/v1/realtime/token"
CONNECT_PATH = "/v1/realtime/connect"
SSE_PATH = "/v1/realtime/sse"
STREAM_CONTENT_TYPE = "text/stream"
TOKEN_PARAM = "token"
CHUNK_BYTES = 1024  # Inngest's StreamingChunkSize
# The topic of a Durable Endpoint's teed stream on its run's channel (inngest/inngest
# streamingtypes.TopicNameStream): "$" keeps it apart from every topic an app publishes to.
STREAM_TOPIC = "$stream"


class MessageKind(enum.StrEnum):
    DATA = "data"
    STREAM_START = "datastream-start"
    STREAM_END = "datastream-end"
    CHUNK = "chunk"
    SUBSCRIBE = "sub"
    UNSUBSCRIBE = "unsub"
    # Ours (the SDKs ignore kinds they do not know): a slow subscriber's queue overflowed and
    # `data` messages were dropped.
    DROPPED = "dropped"


class TopicKind(enum.StrEnum):
    RUN = "run"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def frame(
    kind: MessageKind, channel: str, topic: str, data: Any, run_id: str = "", **extra: Any
) -> str:
    """One message as subscribers receive it (a websocket text frame, or one SSE event)."""
    message: dict[str, Any] = {
        "kind": str(kind),
        "channel": channel,
        "topic": topic,
        "data": data,
        "created_at": now_iso(),
    }
    if run_id:
        message["run_id"] = run_id
    message.update(extra)
    return json.dumps(message, separators=(",", ":"))


def body_data(body: bytes) -> Any:
    """A published body: JSON as is; any other bytes as a string (Inngest's rule)."""
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text

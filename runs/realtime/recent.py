"""A run's last published messages, for the run page: a bounded ring per run in Redis (shared by
every web process, expiring after an hour) or in this process's memory (embedded mode, at most
_MAX_RUNS runs). Not durable, like the messages themselves; previews are cut to _PREVIEW_CHARS."""

import json
import threading
from collections import OrderedDict, deque
from typing import Any

import redis
from django.conf import settings

_PREVIEW_CHARS = 2000
_MAX_RUNS = 500
_TTL_SECONDS = 3600
_lock = threading.Lock()
_memory: OrderedDict[str, deque[dict[str, Any]]] = OrderedDict()
_client: redis.Redis | None = None


def entry(kind: str, channel: str, topic: str, data: Any, at: str, size: int) -> dict[str, Any]:
    text = data if isinstance(data, str) else json.dumps(data)
    preview = text[:_PREVIEW_CHARS]
    return {
        "kind": kind,
        "channel": channel,
        "topic": topic,
        "at": at,
        "size": size,
        "preview": preview,
        "cut": len(text) > len(preview),
    }


def remember(run_id: str, item: dict[str, Any]) -> None:
    """Blocking (Redis I/O): callers on an event loop run it in a thread."""
    keep = settings.REALTIME_RECENT_PER_RUN
    if settings.REDIS_URL:
        key = _key(run_id)
        pipe = _redis().pipeline()
        pipe.rpush(key, json.dumps(item))
        pipe.ltrim(key, -keep, -1)
        pipe.expire(key, _TTL_SECONDS)
        pipe.execute()
        return
    with _lock:
        ring = _memory.pop(run_id, None) or deque(maxlen=keep)
        ring.append(item)
        _memory[run_id] = ring  # most recently published last: the oldest run goes first
        while len(_memory) > _MAX_RUNS:
            _memory.popitem(last=False)


def recent(run_id: str) -> list[dict[str, Any]]:
    """The run's last messages, oldest first (empty once forgotten or never published)."""
    if settings.REDIS_URL:
        return [json.loads(raw) for raw in _redis().lrange(_key(run_id), 0, -1)]
    with _lock:
        return list(_memory.get(run_id, ()))


def _key(run_id: str) -> str:
    return f"devserver:realtime:run:{run_id}"


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL)
    return _client

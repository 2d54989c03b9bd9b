"""Publishing run, step and event changes to live views (websocket groups on the channel layer).

Publishing never blocks a worker: messages are handed to an event loop (the web server's own
loop in embedded mode, where the in-memory layer lives; otherwise a private background loop).
The state gateway calls these after the change commits. A live view missing an update must
never slow or fail a run."""

import asyncio
import concurrent.futures
import logging
import threading
from typing import Any

import redis
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.db import transaction

from events.models import Event

from .models import BulkAction, Run, Step

logger = logging.getLogger(__name__)
RUNS_GROUP = "runs"
EVENTS_GROUP = "events"
_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()
_redis_clients: dict[str, redis.Redis] = {}  # staging: asks whether a group has members


def run_group(run_id: str) -> str:
    return f"run-{run_id}"


def use_event_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Called by the ASGI app: publish on the server's loop (required by the in-memory layer)."""
    global _loop
    _loop = loop


def publish_run(run: Run) -> None:
    # The event id lets a REST read held until an event's runs end hear of a run it has not
    # seen yet (devserver/run_end_waits.py).
    message = {
        "type": "run.changed",
        "run_id": run.id,
        "status": run.status,
        "event_id": run.event_id,
    }
    _send([RUNS_GROUP, run_group(run.id)], message)


def publish_step(step: Step) -> None:
    message = {"type": "step.changed", "run_id": step.run_id, "step": step.hashed_id}
    _send([run_group(step.run_id)], message)


def on_events_stored(sender: Any, events: list[Event], **_: Any) -> None:
    """The `events_stored` receiver (runs/hooks.py): it runs inside the storing transaction,
    so the events list is told only once they commit (a rollback tells nobody). One message
    per stored batch: the list re-fetches its first page, whatever the batch held."""
    message = {"type": "events.stored", "count": len(events)}
    transaction.on_commit(lambda: _send([EVENTS_GROUP], message))


def bulk_group(action_id: int) -> str:
    return f"bulk-{action_id}"


def publish_bulk(action: BulkAction) -> None:
    """Progress or status of a bulk action (call outside a transaction, or from a hook)."""
    message = {"type": "bulk.changed", "bulk_id": action.id, "done": action.done}
    _send([bulk_group(action.id)], message)


def _send(groups: list[str], message: dict) -> None:
    global _loop
    layer = get_channel_layer()
    if layer is None:
        return
    if _loop is not None and _loop.is_closed():
        # The loop that served the last request is gone (an ASGI app run under asyncio.run,
        # as a test or a one-off tool does): forget it rather than fail every later publish.
        _loop = None
    if isinstance(layer, InMemoryChannelLayer):
        groups = [g for g in groups if layer.groups.get(g)]  # nobody watching: nothing to do
        if not groups or _loop is None:
            return
    elif isinstance(layer, RedisChannelLayer):
        groups = _watched_in_redis(layer, groups)
        if not groups:
            return
    loop = _loop or _private_loop()
    for group in groups:
        future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
        future.add_done_callback(_log_failure)


def _watched_in_redis(layer: RedisChannelLayer, groups: list[str]) -> list[str]:
    """The groups someone listens to, in one round trip. channels_redis keeps a group as a
    sorted set, which Redis drops once its last member has left; its group_send reads the set
    in two round trips on the publisher's loop even when it is empty, which was ~13% of a
    staging worker's GIL time for pushes of steps nobody watched. On a Redis error the groups
    are published to as before (group_send reports its own failure)."""
    try:
        pipe = _redis(layer).pipeline(transaction=False)
        for group in groups:
            pipe.exists(layer._group_key(group))  # channels_redis's key of a group
        found = pipe.execute()
    except redis.RedisError:
        return groups
    return [group for group, exists in zip(groups, found, strict=True) if exists]


def _redis(layer: RedisChannelLayer) -> redis.Redis:
    """A plain client of the layer's own Redis (a group lives on the first host when there is
    one; no sharded layer is configured here)."""
    address = layer.hosts[0]["address"]
    client = _redis_clients.get(address)
    if client is None:
        client = _redis_clients[address] = redis.Redis.from_url(address)
    return client


def _log_failure(future: concurrent.futures.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.warning("could not publish a live update: %s", future.exception())


def _private_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _loop_lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="live-publisher", daemon=True).start()
            _loop = loop
    return _loop

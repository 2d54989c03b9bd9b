"""Publishing live updates after the loop that served the last request is gone: a later
publish must neither fail nor be lost for good (the Redis layer publishes from its own loop)."""

import asyncio
import logging

import pytest
from channels.layers import channel_layers
from django.test import override_settings

from runs import live

REDIS_LAYER = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:6379/15"]},
    }
}


def test_a_closed_request_loop_is_forgotten_not_published_on(caplog: pytest.LogCaptureFixture):
    closed = asyncio.new_event_loop()
    closed.close()
    live.use_event_loop(closed)  # what an ASGI app run under asyncio.run leaves behind
    # The Redis layer takes the publishing path (the in-memory one returns early when nobody
    # watches); nothing here waits for Redis itself.
    with override_settings(CHANNEL_LAYERS=REDIS_LAYER), caplog.at_level(logging.WARNING):
        channel_layers.backends.clear()
        try:
            live._send(["runs"], {"type": "run.changed", "run_id": "x", "status": "Running"})
        finally:
            channel_layers.backends.clear()
    assert live._loop is not closed and (live._loop is None or not live._loop.is_closed())

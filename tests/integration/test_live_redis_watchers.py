"""Staging's live pushes skip groups nobody listens to (runs/live.py asks Redis whether the
group's set exists). That check reads channels_redis's own key of a group: if a new
channels_redis named it otherwise, every push would be skipped and live views would go quiet,
so here a real member makes its group watched, its leaving makes it unwatched, and a push to
a watched run arrives."""

import asyncio

import pytest
from channels.layers import get_channel_layer

from foundation import clock
from runs import live
from runs.models import Run
from tests import one_loop
from tests.harness import STAGING

pytestmark = pytest.mark.skipif(not STAGING, reason="the Redis channel layer serves staging")


def test_a_group_is_watched_while_it_has_a_member() -> None:
    layer = get_channel_layer()
    group, other = live.run_group(clock.new_id()), live.run_group(clock.new_id())

    async def scenario() -> tuple[list[str], list[str], list[str]]:
        channel = await layer.new_channel()
        before = live._watched_in_redis(layer, [group, other])
        await layer.group_add(group, channel)
        during = live._watched_in_redis(layer, [group, other])
        await layer.group_discard(group, channel)
        return before, during, live._watched_in_redis(layer, [group, other])

    before, during, after = one_loop.run(scenario())
    assert (before, during, after) == ([], [group], [])


def test_a_push_reaches_a_watched_run() -> None:
    layer = get_channel_layer()
    watched = Run(id=clock.new_id(), status="Running")

    async def scenario() -> list[dict]:
        live.use_event_loop(asyncio.get_running_loop())
        channel = await layer.new_channel()
        await layer.group_add(live.run_group(watched.id), channel)
        try:
            live.publish_run(watched)
            return [await asyncio.wait_for(layer.receive(channel), 10)]
        finally:
            await layer.group_discard(live.run_group(watched.id), channel)

    [message] = one_loop.run(scenario())
    assert message["run_id"] == watched.id

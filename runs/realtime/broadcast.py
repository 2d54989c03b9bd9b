"""Fan-out over the channel layer: one group per (channel, topic), joined by every subscription
whose token allows that topic. Channel layers are at-most-once and bound each consumer's queue
(extra messages are dropped there); Outbox bounds what a connection holds on top of that.
A message is a JSON frame (protocol.frame), or raw text (a Durable Endpoint's tee, tee.py) that
subscribers pass on verbatim, as Inngest's broadcaster `Write` does."""

import asyncio
import hashlib
from collections import deque
from collections.abc import Callable

from channels.layers import get_channel_layer

from .protocol import MessageKind, frame
from .tokens import Topic

FRAME_TYPE = "realtime.frame"  # the consumers' handler: realtime_frame


def group_name(topic: Topic) -> str:
    # Channel names are user text of any length; group names must be short ASCII.
    digest = hashlib.sha256(f"{topic.channel}\x00{topic.name}".encode()).hexdigest()
    return f"realtime.{digest[:48]}"


async def deliver(topic: Topic, text: str, raw: bool = False) -> None:
    """Hand one frame (raw: text to pass on as is) to every subscriber of `topic` (none
    listening: it is gone)."""
    message = {"type": FRAME_TYPE, "text": text, "raw": raw}
    await get_channel_layer().group_send(group_name(topic), message)


async def join(channel_name: str, topics: list[Topic]) -> None:
    layer = get_channel_layer()
    for topic in topics:
        await layer.group_add(group_name(topic), channel_name)


async def leave(channel_name: str, topics: list[Topic]) -> None:
    layer = get_channel_layer()
    for topic in topics:
        await layer.group_discard(group_name(topic), channel_name)


class Outbox:
    """A subscriber's pending frames, at most `size`: when the connection cannot keep up, the
    oldest are dropped and the subscriber is told how many before the next frame it gets, so
    a slow reader costs bounded memory instead of growing a buffer."""

    def __init__(self, size: int, notice: Callable[[str], str] = str) -> None:
        self._frames: deque[str] = deque(maxlen=size)
        self._ready = asyncio.Event()
        self._notice = notice  # how the drop notice (a JSON frame) goes on this connection
        self.dropped = 0

    def put(self, text: str) -> None:
        if len(self._frames) == self._frames.maxlen:
            self.dropped += 1
        self._frames.append(text)
        self._ready.set()

    async def next(self, timeout: float) -> str | None:
        """The next frame to send (a drop notice first, if frames were dropped), or None after
        `timeout` seconds without one (time for a keepalive)."""
        if not self._frames:
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return None
        if self.dropped:
            dropped, self.dropped = self.dropped, 0
            return self._notice(frame(MessageKind.DROPPED, "", "", dropped))
        return self._frames.popleft()

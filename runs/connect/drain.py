"""Stopping a web process without cutting its Connect workers mid-step (`close_gateway`).

Told GATEWAY_CLOSING, both SDKs dial in again at once and answer the requests they are running
over their new socket (JS keeps the old one open but sends nothing on it; Python drops it), or
over `/v0/connect/flush`. So the stopping process keeps accepting for a while: a socket that
opens meanwhile carries answers but gets no request. Once the requests that were running are
answered (or the time is up), the process stops accepting and closes every socket; the
workers dial in again until a server is back.

What this waits for is the answers reaching this process. In staging the Celery worker that
sent a request takes its answer from Redis whichever web process received it; an answer that
reaches another web process (several behind a balancer) is not seen here, and this process
then waits the whole time, as it does for a worker that vanishes without answering.
Embedded, the answer is stored by the process's own executor thread, which has uvicorn's
graceful stop (3 s) after the drain to do so."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from .dispatch import LOST
from .presence import tell_caller
from .protocol import CloseCode

logger = logging.getLogger(__name__)
POLL_SECONDS = 0.05
CLOSE_SECONDS = 1.0  # for the close frames once the drain is over


class Socket(Protocol):
    """What the drain needs of a worker's socket (gateway.py `_Session`)."""

    inflight: set[str]

    def stop_requests(self) -> None: ...
    async def mark_draining(self) -> None: ...
    async def tell_to_move(self) -> None: ...
    async def close(self, reason: str) -> None: ...


class LiveSockets:
    """The sockets this process holds, and the stop once it has begun. Used on the event loop;
    `answered_elsewhere` is the one call from other threads."""

    def __init__(self) -> None:
        self.sockets: set[Socket] = set()
        self.stopping = False
        self.awaited: set[str] = set()  # requests running when the stop began, unanswered
        self._loop: asyncio.AbstractEventLoop | None = None

    def answered(self, request_id: str) -> None:
        """A worker answered `request_id` (on any socket of this process): no socket waits for
        it any longer, so one that ends does not report it lost."""
        self.awaited.discard(request_id)
        for socket in list(self.sockets):
            socket.inflight.discard(request_id)

    def holds_back(self, request_id: str) -> bool:
        """Whether a socket ending now should not report `request_id` lost yet: the stop waits
        for its answer. A Python worker drops its socket when told to move and may send the
        answer over HTTP only 5-6 s after its step ended; reported lost at once, its caller's
        grace for a flushed answer could run out before it came, and the step ran
        again."""
        return self.stopping and request_id in self.awaited

    def answered_elsewhere(self, request_id: str) -> None:
        """`answered`, from a thread that is not the loop's (the flush endpoint); only a stop
        in progress needs to know."""
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
                loop.call_soon_threadsafe(self.answered, request_id)

    async def close_gateway(
        self, seconds: float, stop_accepting: Callable[[], None], given_up: Callable[[], bool]
    ) -> None:
        """Tell every worker to move, wait up to `seconds` for the requests they run, then
        `stop_accepting` and close every socket. `given_up`: the server was told to stop at
        once (a second Ctrl-C). Never raises: the server's own stop must follow."""
        deadline = time.monotonic() + seconds
        self._loop = asyncio.get_running_loop()
        self.stopping = True
        sockets = list(self.sockets)
        for socket in sockets:
            socket.stop_requests()  # before the snapshot: no request goes out after it
        self.awaited = set().union(*(socket.inflight for socket in sockets))
        told = [socket.mark_draining() for socket in sockets]
        told += [socket.tell_to_move() for socket in sockets]
        await _within(asyncio.gather(*told, return_exceptions=True), deadline)
        while self.awaited and time.monotonic() < deadline and not given_up():
            await asyncio.sleep(POLL_SECONDS)
        if self.awaited:
            logger.warning("connect: stopping with %d requests unanswered", len(self.awaited))
            lost = [tell_caller(rid, LOST) for rid in self.awaited]
            await _within(
                asyncio.gather(*lost, return_exceptions=True), time.monotonic() + CLOSE_SECONDS
            )
        with contextlib.suppress(Exception):
            stop_accepting()
        closing = [socket.close(CloseCode.GATEWAY_DRAINING) for socket in list(self.sockets)]
        await _within(
            asyncio.gather(*closing, return_exceptions=True), time.monotonic() + CLOSE_SECONDS
        )


async def _within(work: Awaitable[Any], deadline: float) -> None:
    """`work` until `deadline` (cancelled past it): a worker that stopped reading must not
    hold the server's stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(work, max(0.0, deadline - time.monotonic()))


LIVE = LiveSockets()  # one gateway per process

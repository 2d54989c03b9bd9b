"""Holding a REST run read until its runs end: `?wait=SECONDS` on `GET /v1/runs/{id}` and
`GET /v1/events/{id}/runs` (read_route.py).

A script that polls until its run ends pays a request per poll, and so does the server: at a
5 ms interval ~18 of them per 10-step run. With `?wait=N` the read is answered once every run
it shows has ended (at least one run), or after N seconds with whatever it shows then: one
request per run. The ends are learned from the run changes every run already publishes to the
live views' `runs` group on the channel layer (runs/live.py), so it works the same in embedded
and staging mode; the hub listens only while someone waits, plus a linger. A waiter is woken
by the end of its run or of runs its last read showed, or by a new run of its event, never by
other runs, so a crowd waiting on quiet events costs nothing per run change and a waiter reads
about twice per run. Messages are hints (channel layers drop them when full; a batched or
debounced run carries another event's id): the database read decides, and a waiter reads again
at least every RECHECK_S."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import get_channel_layer

from console.api.v1 import V1_ENDED_STATUSES, WAIT_MAX_S
from runs import live
from runs.statuses import TERMINAL_RUN_STATUSES

logger = logging.getLogger(__name__)

Answer = tuple[int, Any]  # an HTTP status and the envelope's data, as read_sql answers
MAX_WAITERS = 1000  # held requests at once; past it a read is answered at once
RECHECK_S = 1.0  # a waiter re-reads at least this often (a lost or dropped message)
LINGER_S = 10.0  # the listener stays subscribed this long after the last waiter left
DISCARD_S = 2.0  # at most this long to leave the runs group when the listener stops


class _Waiter:
    def __init__(self) -> None:
        self.woken = asyncio.Event()
        self.keys: frozenset[str] = frozenset()  # the run and event ids it waits on


def settled(answer: Answer) -> bool:
    """Whether a read's answer is final: not found, or runs that have all ended."""
    if answer[0] != 200:
        return True
    runs = _runs(answer)
    return bool(runs) and all(run["status"] in V1_ENDED_STATUSES for run in runs)


def _runs(answer: Answer) -> list[dict[str, Any]]:
    """The runs a 200 answer shows: an event's list, or the one run."""
    data = answer[1]
    return data if isinstance(data, list) else [data]


class RunEndWaits:
    """One per process, on the ASGI server's loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: set[_Waiter] = set()
        self._by_key: dict[str, set[_Waiter]] = {}  # who to wake for a run or event id
        self._listening: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    def _on_this_loop(self) -> None:
        """Start afresh on another loop (an ASGI app run under a new `asyncio.run`, as tests
        do): the old loop's task and events cannot be awaited here."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._waiters, self._by_key, self._listening = loop, set(), {}, None
            self._subscribed = asyncio.Event()

    def has_room(self) -> bool:
        return len(self._waiters) < MAX_WAITERS and get_channel_layer() is not None

    async def hold(
        self, read: Callable[[], Awaitable[Answer]], seconds: float, subject_id: str
    ) -> Answer:
        """`read()` again until its answer is settled or `seconds` have passed; the last answer.
        `subject_id`: the run or event id the read is about (see `_wake` for what wakes it)."""
        self._on_this_loop()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(seconds, WAIT_MAX_S)
        waiter = _Waiter()
        self._waiters.add(waiter)
        self._index(waiter, frozenset({subject_id}))  # heard from before the first read ends
        try:
            self._listen()
            # Subscribed before the first read, so an end committed after it is heard (if the
            # layer cannot subscribe, the re-reads every RECHECK_S still answer).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._subscribed.wait(), RECHECK_S)
            while True:
                waiter.woken.clear()  # before the read: a message during it is not lost
                answer = await read()
                left = deadline - loop.time()
                if settled(answer) or left <= 0:
                    return answer
                seen = (run["run_id"] for run in _runs(answer))
                self._index(waiter, frozenset({subject_id, *seen}))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter.woken.wait(), min(RECHECK_S, left))
        finally:
            self._index(waiter, frozenset())
            self._waiters.discard(waiter)

    def _index(self, waiter: _Waiter, keys: frozenset[str]) -> None:
        for key in waiter.keys - keys:
            holders = self._by_key[key]
            holders.discard(waiter)
            if not holders:
                del self._by_key[key]
        for key in keys - waiter.keys:
            self._by_key.setdefault(key, set()).add(waiter)
        waiter.keys = keys

    def _listen(self) -> None:
        if self._listening is None or self._listening.done():
            self._listening = asyncio.get_running_loop().create_task(self._listener())

    async def _listener(self) -> None:
        layer = get_channel_layer()
        assert layer is not None  # has_room() said so
        channel = await layer.new_channel("run-end-waits.")
        try:
            await layer.group_add(live.RUNS_GROUP, channel)
            self._subscribed.set()
            idle_since = None
            loop = asyncio.get_running_loop()
            while True:
                if self._waiters:
                    idle_since = None
                elif idle_since is None:
                    idle_since = loop.time()
                elif loop.time() - idle_since > LINGER_S:
                    return
                try:
                    message = await asyncio.wait_for(layer.receive(channel), RECHECK_S)
                except TimeoutError:
                    continue
                self._wake(message)
        except Exception:  # the channel layer failed (Redis away): waiters fall back to re-reads
            logger.warning("run-end waits stopped listening", exc_info=True)
        finally:
            self._subscribed.clear()
            try:
                # Bounded: a loop shutting down (or a Redis that does not answer) must not
                # hold this task, and with it the loop's shutdown, on the way out.
                await asyncio.wait_for(layer.group_discard(live.RUNS_GROUP, channel), DISCARD_S)
            except Exception:  # the membership expires on its own (group_expiry)
                logger.debug("could not leave the runs group", exc_info=True)

    def _wake(self, message: dict[str, Any]) -> None:
        """Wake who waits on this run once it has ended, and who waits on its event when the
        run has ended or is one they have not seen (a new run to wait for)."""
        run_id, event_id = message.get("run_id"), message.get("event_id")
        ended = message.get("status") in TERMINAL_RUN_STATUSES
        if ended and isinstance(run_id, str):
            for waiter in self._by_key.get(run_id, ()):
                waiter.woken.set()
        if isinstance(event_id, str):
            for waiter in self._by_key.get(event_id, ()):
                if ended or run_id not in waiter.keys:
                    waiter.woken.set()

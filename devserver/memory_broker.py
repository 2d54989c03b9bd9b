"""Embedded mode's in-process broker: kombu's memory transport, woken by each message.

Kombu's memory transport finds new messages by polling, so the embedded worker had to wake
every 5 ms to keep dispatch latency low: 200 wake-ups a second, each taking the GIL from
whichever thread was driving a run. Here a put sets an event the idle consumer sleeps on, so
a message is picked up as soon as it is sent and an idle server sleeps."""

import threading
from queue import Empty
from typing import Any

from kombu.transport import TRANSPORT_ALIASES, memory

# The longest an idle consumer sleeps before looking again (a safety net only).
IDLE_CHECK_SECONDS = 1.0
_arrived = threading.Event()


class Channel(memory.Channel):
    def _put(self, queue: str, message: Any, **kwargs: Any) -> None:
        super()._put(queue, message, **kwargs)
        _arrived.set()

    def _put_fanout(
        self, exchange: str, message: dict[str, Any], routing_key: str | None = None, **kwargs: Any
    ) -> None:
        super()._put_fanout(exchange, message, routing_key, **kwargs)
        _arrived.set()


class Transport(memory.Transport):
    Channel = Channel

    def drain_events(self, connection: Any, timeout: float | None = None, **kwargs: Any) -> None:
        """Deliver one message, or sleep until one is sent (or `timeout`) and return, so the
        worker's loop gets its turn between waits (it applies prefetch changes there)."""
        assert self.cycle is not None  # kombu's Transport.__init__ makes it
        _arrived.clear()  # before looking, so a put after the look still wakes the wait
        try:
            self.cycle.get(self._deliver, timeout=timeout)
            return
        except Empty:
            pass
        _arrived.wait(IDLE_CHECK_SECONDS if timeout is None else min(timeout, IDLE_CHECK_SECONDS))
        try:
            self.cycle.get(self._deliver, timeout=timeout)
        except Empty:
            raise TimeoutError() from None


TRANSPORT_ALIASES["devserver-memory"] = f"{__name__}:Transport"

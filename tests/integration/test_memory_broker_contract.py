"""devserver/memory_broker delivers every message and wakes an idle consumer at once.

It subclasses kombu's memory transport and relies on its internals: the virtual channel calls
`Channel._put` for a direct publish and `_put_fanout` for a fanout, `Transport.Channel` makes
the channels, `Transport.drain_events(connection, timeout)` is what `Connection.drain_events`
calls, `Transport.cycle.get(callback, timeout=)` raises `queue.Empty` when no queue has a
message and otherwise hands one to `Transport._deliver`, and `TRANSPORT_ALIASES` resolves a
URL scheme. If a kombu upgrade stops calling our `_put`, messages still arrive, but only
after the 1 s safety-net sleep: the tests stretch that sleep to an hour, so such a message
never arrives at all. The stock transport (DEVSERVER_FAST_MEMORY_BROKER=0: `memory://` polled
every 5 ms) is held to the same delivery. Nothing here measures a latency: what a wait ended
on is recorded by the broker's event, not read off a clock."""

import inspect
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from itertools import count
from queue import Empty

import pytest
from kombu import Connection, Exchange, Queue
from kombu.transport import memory, virtual

from devserver import memory_broker

_names = count()
FAST = ("devserver-memory://", {})
STOCK = ("memory://", {"polling_interval": 0.005})  # what settings.py configures when off
DEADLINE_S = 30  # far past any delivery; reaching it means a message was never delivered


class _Wakes(threading.Event):
    """The broker's event, recording each wait on it: its timeout and whether a put ended it
    (True) or the timeout did (False); `asleep` is set while a consumer waits on it."""

    def __init__(self) -> None:
        super().__init__()
        self.ended: list[tuple[float | None, bool]] = []
        self.asleep = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.asleep.set()
        try:
            woken = super().wait(timeout)
        finally:
            self.asleep.clear()
        self.ended.append((timeout, woken))
        return woken


@pytest.fixture
def wakes(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Wakes]:
    event = _Wakes()
    monkeypatch.setattr(memory_broker, "_arrived", event)
    yield event
    event.set()  # a consumer left asleep by a failed test goes home


@pytest.fixture
def no_safety_net(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a put can wake the consumer before the test's deadline: the safety net sleeps an
    hour."""
    monkeypatch.setattr(memory_broker, "IDLE_CHECK_SECONDS", 3600)


def _consume(url: str, options: dict, queue: Queue, messages: int, wakes: _Wakes | None) -> list:
    """Publish `messages` one at a time to a consumer thread waiting in drain_events without a
    timeout, each once the previous one arrived and (fast transport) once the consumer sleeps
    on the broker's event again; return the bodies received."""
    received: list[object] = []
    ready = threading.Event()

    def consume() -> None:
        with (
            Connection(url, transport_options=options) as connection,
            connection.Consumer(queue, callbacks=[on_message], accept=["json"]),
        ):
            ready.set()
            while len(received) < messages:
                with suppress(TimeoutError):
                    connection.drain_events()

    def on_message(body: object, message) -> None:  # type: ignore[no-untyped-def]
        received.append(body)
        message.ack()

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    assert ready.wait(DEADLINE_S)
    with Connection(url, transport_options=options) as connection:
        producer = connection.Producer(serializer="json")
        for number in range(messages):
            if wakes is not None:
                assert wakes.asleep.wait(DEADLINE_S), "the consumer never went to sleep"
            producer.publish({"n": number}, exchange=queue.exchange, routing_key=queue.routing_key)
            deadline = time.monotonic() + DEADLINE_S
            while len(received) <= number and time.monotonic() < deadline:
                time.sleep(0.001)
            assert len(received) > number, f"message {number} was never delivered"
    consumer.join(DEADLINE_S)
    return received


@pytest.mark.usefixtures("no_safety_net")
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "stock"])
def test_a_direct_message_wakes_an_idle_consumer(fast: bool, wakes: _Wakes) -> None:
    """Woken by each put (fast) or found by the 5 ms poll (stock), never by a timeout."""
    url, options = FAST if fast else STOCK
    name = f"contract-direct-{next(_names)}"
    queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
    bodies = _consume(url, options, queue, 10, wakes if fast else None)
    assert bodies == [{"n": n} for n in range(10)]
    if fast:
        assert [woken for _, woken in wakes.ended] == [True] * 10


@pytest.mark.usefixtures("no_safety_net")
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "stock"])
def test_a_fanout_message_wakes_an_idle_consumer(fast: bool, wakes: _Wakes) -> None:
    url, options = FAST if fast else STOCK
    name = f"contract-fanout-{next(_names)}"
    queue = Queue(name, Exchange(name, type="fanout"))
    bodies = _consume(url, options, queue, 5, wakes if fast else None)
    assert bodies == [{"n": n} for n in range(5)]
    if fast:
        assert [woken for _, woken in wakes.ended] == [True] * 5


def test_an_idle_consumer_sleeps_until_its_timeout_and_no_longer(wakes: _Wakes) -> None:
    """Each empty drain sleeps once, on its own timeout (not the safety net's), and is not
    woken by the put it already delivered (a stale wake-up would make it spin)."""
    name = f"contract-timeout-{next(_names)}"
    queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
    got: list[object] = []
    with (
        Connection(FAST[0]) as connection,
        connection.Consumer(queue, callbacks=[lambda body, message: got.append(body)]),
    ):
        connection.Producer(serializer="json").publish(
            {"n": 0}, exchange=queue.exchange, routing_key=queue.routing_key
        )
        connection.drain_events(timeout=1)  # delivers the message: the wake-up was used
        assert got == [{"n": 0}]
        for _ in range(2):
            with pytest.raises(TimeoutError):
                connection.drain_events(timeout=0.2)
    assert wakes.ended == [(0.2, False), (0.2, False)]


def test_kombu_memory_transport_keeps_the_hooks_we_override() -> None:
    put = inspect.signature(memory.Channel._put)
    assert list(put.parameters)[:3] == ["self", "queue", "message"]
    fanout = inspect.signature(memory.Channel._put_fanout)
    assert list(fanout.parameters)[:4] == ["self", "exchange", "message", "routing_key"]
    drain = inspect.signature(virtual.Transport.drain_events)
    assert list(drain.parameters)[:3] == ["self", "connection", "timeout"]
    assert memory_broker.Transport.Channel is memory_broker.Channel
    with Connection(FAST[0]) as connection:
        transport = connection.transport
        assert isinstance(transport, memory_broker.Transport)
        assert isinstance(connection.default_channel, memory_broker.Channel)
        # The cycle raises Empty when nothing is waiting (drain_events sleeps on that).
        with pytest.raises(Empty):
            transport.cycle.get(transport._deliver, timeout=0)

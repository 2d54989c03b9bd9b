"""devserver/memory_broker delivers every message and wakes an idle consumer at once.

It subclasses kombu's memory transport and relies on its internals: the virtual channel calls
`Channel._put` for a direct publish and `_put_fanout` for a fanout, `Transport.Channel` makes
the channels, `Transport.drain_events(connection, timeout)` is what `Connection.drain_events`
calls, `Transport.cycle.get(callback, timeout=)` raises `queue.Empty` when no queue has a
message and otherwise hands one to `Transport._deliver`, and `TRANSPORT_ALIASES` resolves a
URL scheme. If a kombu upgrade stops calling our `_put`, messages still arrive, but only
after the 1 s safety-net sleep: the latency assertions below catch that. The stock transport
(DEVSERVER_FAST_MEMORY_BROKER=0: `memory://` polled every 5 ms) is held to the same delivery."""

import inspect
import statistics
import threading
import time
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


def _consume(url: str, options: dict, queue: Queue, messages: int) -> tuple[list[float], list]:
    """Publish `messages` one at a time while a consumer thread waits in drain_events; return
    each message's latency (s) from publish to delivery, and the bodies."""
    received: list[tuple[float, object]] = []
    ready = threading.Event()

    def consume() -> None:
        with (
            Connection(url, transport_options=options) as connection,
            connection.Consumer(queue, callbacks=[on_message], accept=["json"]),
        ):
            ready.set()
            deadline = time.monotonic() + 10
            while len(received) < messages and time.monotonic() < deadline:
                with suppress(TimeoutError):
                    connection.drain_events(timeout=2)

    def on_message(body: object, message) -> None:  # type: ignore[no-untyped-def]
        received.append((time.perf_counter(), body))
        message.ack()

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    assert ready.wait(5)
    sent: list[float] = []
    with Connection(url, transport_options=options) as connection:
        producer = connection.Producer(serializer="json")
        for number in range(messages):
            time.sleep(0.05)  # the consumer is idle, asleep in drain_events, when it comes
            sent.append(time.perf_counter())
            producer.publish({"n": number}, exchange=queue.exchange, routing_key=queue.routing_key)
            while len(received) <= number and time.perf_counter() - sent[-1] < 5:
                time.sleep(0.001)
    consumer.join(5)
    assert len(received) == messages, f"{len(received)} of {messages} messages delivered"
    return [at - start for (at, _), start in zip(received, sent, strict=True)], [
        body for _, body in received
    ]


@pytest.mark.parametrize("url, options", [FAST, STOCK], ids=["fast", "stock"])
def test_a_direct_message_is_delivered_promptly_to_an_idle_consumer(url, options) -> None:
    name = f"contract-direct-{next(_names)}"
    queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
    latencies, bodies = _consume(url, options, queue, messages=10)
    assert bodies == [{"n": n} for n in range(10)]
    # Woken per message (fast) or polled every 5 ms (stock); a missed wake-up costs 1 s.
    assert statistics.median(latencies) < 0.05, latencies
    assert max(latencies) < 0.5, latencies


@pytest.mark.parametrize("url, options", [FAST, STOCK], ids=["fast", "stock"])
def test_a_fanout_message_is_delivered_promptly_to_an_idle_consumer(url, options) -> None:
    name = f"contract-fanout-{next(_names)}"
    queue = Queue(name, Exchange(name, type="fanout"))
    latencies, bodies = _consume(url, options, queue, messages=5)
    assert bodies == [{"n": n} for n in range(5)]
    assert statistics.median(latencies) < 0.05, latencies
    assert max(latencies) < 0.5, latencies


def test_an_idle_consumer_sleeps_until_its_timeout_and_no_longer() -> None:
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
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                connection.drain_events(timeout=0.2)
            waited = time.monotonic() - started
            # Not a spin on a stale wake-up, and not the 1 s safety net either.
            assert 0.15 < waited < 0.6, waited


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

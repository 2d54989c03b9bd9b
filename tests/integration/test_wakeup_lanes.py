"""Timed wake-ups travel apart from starts: on Celery they go to the timers queue (which the
workers consume beside the default one), and an installed in-process sender (embedded mode)
is told the delay, so a due timer does not wait behind a backlog of starts."""

from collections.abc import Iterator
from datetime import timedelta

import pytest

from devserver.celery import app
from foundation import clock
from runs import wakeups
from runs.wakeups import TIMERS_QUEUE, Task


@pytest.fixture
def sender() -> Iterator[list[tuple[str, list[object], float | None]]]:
    sent: list[tuple[str, list[object], float | None]] = []
    wakeups.use_sender(lambda task, args, delay: sent.append((task, args, delay)))
    yield sent
    wakeups.use_sender(None)


def test_a_start_goes_to_the_default_queue_and_a_timer_to_the_timers_queue(
    celery_sent: list[tuple[str, tuple, dict]],
) -> None:
    wakeups.send(Task.EXECUTE_ITEM, "start-item")
    wakeups.send(Task.EXECUTE_ITEM, "sleeping-item", at=clock.now() + timedelta(seconds=30))
    (start_name, start_args, start_options), (_, timer_args, timer_options) = celery_sent
    assert (start_name, start_args) == (Task.EXECUTE_ITEM.value, ("start-item",))
    assert "queue" not in start_options and "countdown" not in start_options
    assert timer_args == ("sleeping-item",)
    assert timer_options["queue"] == TIMERS_QUEUE
    assert 25 < timer_options["countdown"] <= 30


def test_workers_consume_both_queues() -> None:
    assert set(app.amqp.queues) == {app.conf.task_default_queue, TIMERS_QUEUE}
    routed = app.amqp.router.route({"queue": TIMERS_QUEUE}, Task.EXECUTE_ITEM.value, args=())
    assert routed["queue"].routing_key == TIMERS_QUEUE  # not also bound to the default queue


def test_an_installed_sender_carries_wake_ups_instead_of_celery(
    sender: list[tuple[str, list[object], float | None]],
    celery_sent: list[tuple[str, tuple, dict]],
) -> None:
    wakeups.send(Task.EXECUTE_ITEM, "now")
    wakeups.send(Task.EXECUTE_ITEM, "past", at=clock.now() - timedelta(seconds=5))
    wakeups.send(Task.RECONCILE, at=clock.now() + timedelta(seconds=10))
    assert celery_sent == []
    assert sender[0] == (Task.EXECUTE_ITEM.value, ["now"], None)
    assert sender[1] == (Task.EXECUTE_ITEM.value, ["past"], None)  # overdue: a start, at once
    task, args, delay = sender[2]
    assert (task, args) == (Task.RECONCILE.value, []) and delay is not None and 5 < delay <= 10

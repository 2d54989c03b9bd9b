"""devserver/inprocess_worker.py: embedded mode's worker runs every task sent, a due timer
before starts that were already waiting, periodic tasks again and again (but never a second
one while the first is still running), and goes on after a task raises."""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from devserver.inprocess_worker import InProcessWorker

DEADLINE_S = 10.0


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


class Recorder:
    """Tasks by name: `block` holds its thread until released, `boom` raises, others record."""

    def __init__(self) -> None:
        self.done: list[tuple[str, tuple[Any, ...]]] = []
        self.blocked = threading.Event()
        self.blocks = 0
        self.release = threading.Event()

    def resolve(self, name: str) -> Callable[..., None]:
        def task(*args: Any) -> None:
            if name == "block":
                self.blocks += 1
                self.blocked.set()
                self.release.wait(DEADLINE_S)
            elif name == "boom":
                raise RuntimeError("a task that fails")
            self.done.append((name, args))

        return task


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def test_a_due_timer_runs_before_starts_that_were_waiting(recorder: Recorder) -> None:
    worker = InProcessWorker(recorder.resolve, threads=1)
    worker.start()
    worker.send("block", [], None)
    _wait_for(recorder.blocked.is_set, "the only thread to be busy")
    worker.send("start", [1], None)
    worker.send("start", [2], None)
    worker.send("timer", ["wake"], 0.01)
    sent = time.monotonic()  # after the send: its due time is at most sent + 0.01
    _wait_for(lambda: time.monotonic() > sent + 0.01, "the timer to be due")
    recorder.release.set()
    _wait_for(lambda: len(recorder.done) == 4, "every task")
    assert [name for name, _ in recorder.done[1:]] == ["timer", "start", "start"]
    assert recorder.done[2:] == [("start", (1,)), ("start", (2,))]  # starts keep their order


def test_timers_run_in_due_order_and_not_before(recorder: Recorder) -> None:
    """One thread, so the order they ran in is the order they were handed out (with more, two
    timers due together under load may finish either way round). Not before: each ran after
    its due time; "now", a start, may run before or after timers that are already due."""
    ran_at: dict[str, float] = {}
    resolve = recorder.resolve

    def timed(name: str) -> Callable[..., None]:
        task = resolve(name)

        def run(*args: Any) -> None:
            ran_at[name] = time.monotonic()
            task(*args)

        return run

    worker = InProcessWorker(timed, threads=1)
    worker.start()
    sent = time.monotonic()  # before the sends: each due time is at least sent + its delay
    worker.send("late", [], 0.2)
    worker.send("early", [], 0.05)
    worker.send("now", [], None)
    _wait_for(lambda: len(recorder.done) == 3, "every task")
    timers = [name for name, _ in recorder.done if name != "now"]
    assert timers == ["early", "late"]
    assert ran_at["early"] >= sent + 0.05 and ran_at["late"] >= sent + 0.2


def test_periodic_tasks_run_again_and_again(recorder: Recorder) -> None:
    worker = InProcessWorker(recorder.resolve, threads=2)
    worker.every([(0.01, "tick")])
    worker.start()
    _wait_for(lambda: len(recorder.done) >= 3, "three ticks")
    assert {name for name, _ in recorder.done} == {"tick"}


def test_a_periodic_task_still_running_is_not_queued_again(recorder: Recorder) -> None:
    worker = InProcessWorker(recorder.resolve, threads=3)
    worker.every([(0.01, "block")])
    worker.start()
    _wait_for(recorder.blocked.is_set, "the periodic task to run")
    began = time.monotonic()
    _wait_for(lambda: time.monotonic() > began + 0.1, "ten more intervals")
    assert recorder.blocks == 1
    recorder.release.set()
    _wait_for(lambda: recorder.blocks >= 2, "the next tick once it finished")


def test_a_failing_task_leaves_its_thread_working(recorder: Recorder) -> None:
    worker = InProcessWorker(recorder.resolve, threads=1)
    worker.start()
    worker.send("boom", [], None)
    worker.send("after", [], None)
    _wait_for(lambda: recorder.done == [("after", ())], "the task after the failure")

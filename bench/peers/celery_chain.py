"""Peer: the 10-step workflow as a Celery chain of 10 tasks on Redis, run by a real
`celery worker` subprocess (threads pool, as our worker). A run is the chain from apply_async
until the result backend (the same Redis) holds the last task's result; every task's result
is stored there, as a step's output is. This module is also the worker's app (`celery -A`)."""

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import redis
from celery import Celery, chain

from tests.harness import Process

from .loop import Run

STEPS = 10
TOTAL = sum(range(STEPS))
RUN_TIMEOUT_S = 60.0
START_TIMEOUT_S = 60.0

# No Django fix-up: importing bench.ten_steps sets DJANGO_SETTINGS_MODULE, and with it Celery
# would set up the dev server's Django project in this app's worker.
app = Celery("bench-peers", fixups=[])
app.conf.update(
    result_expires=600,  # the stored results clean themselves up
    broker_connection_retry_on_startup=True,
    worker_enable_remote_control=False,  # no pidbox keys left in the shared Redis database
)


@app.task(name="bench.peers.step")
def step(total: int, index: int) -> int:
    """The same tiny work as ten-steps' `step.run(f"s{index}", lambda: index)`, plus the sum
    the function does, carried from task to task."""
    return total + index


def ten_steps(queue: str) -> chain:
    """The chain, each task on `queue`: the worker sends the next task of a chain by the
    task's own options, not by the sender's default queue."""
    first = step.s(0, 0).set(queue=queue)
    return chain(first, *(step.s(index).set(queue=queue) for index in range(1, STEPS)))


def run(queue: str) -> None:
    """One run: the chain, to the last task's result (Redis pub/sub, no polling)."""
    total = ten_steps(queue).apply_async().get(timeout=RUN_TIMEOUT_S)
    if total != TOTAL:
        raise RuntimeError(f"the Celery chain returned {total}, not {TOTAL}")


@contextmanager
def worker(redis_url: str, threads: int, log_dir: Path) -> Iterator[tuple[Process, Run]]:
    """A `celery worker` on a queue of its own in `redis_url` (so it takes no one else's
    tasks on a shared Redis database), once it has run a chain; and one run on it. Its
    queue's keys are deleted on the way out."""
    queue = f"bench-peers-{time.time_ns()}"
    app.conf.update(broker_url=redis_url, result_backend=redis_url)
    process = Process(
        "celery-worker",
        [
            *(sys.executable, "-m", "celery", "-A", __name__),
            *("--broker", redis_url, "--result-backend", redis_url),
            *("worker", "--pool", "threads", "--concurrency", str(threads), "--queues", queue),
            *("--hostname", f"{queue}@%h", "--loglevel", "WARNING"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        {},
        log_dir,
    ).start()
    try:
        _wait_for_first_run(process, queue)
        yield process, partial(run, queue)
    finally:
        process.stop()
        client = redis.Redis.from_url(redis_url)
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.close()


def _wait_for_first_run(process: Process, queue: str) -> None:
    result = ten_steps(queue).apply_async()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not result.ready():
        if process.proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not start:\n{process.output()[-3000:]}")
        time.sleep(0.1)

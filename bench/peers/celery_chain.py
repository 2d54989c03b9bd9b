"""Peer: the 10-step workflow as a Celery chain of 10 tasks on Redis (broker and result
backend), run by a real `celery worker` subprocess set up as Celery's docs recommend. This
module is also the worker's app (`celery -A`).

Checked against Celery's docs (Celery 5.x, docs.celeryq.dev/en/stable/...):
- userguide/concurrency/index.html: prefork is the default pool, "recommended for most
  users"; so the worker runs prefork with its default concurrency, one process per CPU
  (before: `--pool threads -c 8`, chosen to mirror our worker, not a Celery user's setup).
- userguide/optimizing.html: the prefetch multiplier (default 4) should stay high for many
  short tasks (1 is for long ones); these tasks are tiny, so the default is kept.
- userguide/tasks.html and glossary.html: by default a task is acknowledged before it runs,
  so one running when its worker dies is lost; `acks_late` is the setting for idempotent
  tasks that must run again instead. A durable workflow's steps need that, and these are
  idempotent: task_acks_late=True (Redis redelivers after its visibility_timeout, 1 h).
- userguide/canvas.html: a chain passes each task's result to the next and its
  AsyncResult.get() waits for the last; no task waits on another (no synchronous subtasks).
- getting-started/backends-and-brokers/redis.html: Redis as broker and result backend; the
  Redis backend's get() waits on pub/sub, not by polling.
A run is apply_async to AsyncResult.get(): every task's result stored in Redis on the way."""

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import redis
from celery import Celery, chain

from tests.harness import Process

from .loop import Processes, Run

STEPS = 10
TOTAL = sum(range(STEPS))
RUN_TIMEOUT_S = 60.0
START_TIMEOUT_S = 60.0

# No Django fix-up: importing bench.ten_steps sets DJANGO_SETTINGS_MODULE, and with it Celery
# would set up the dev server's Django project in this app's worker.
app = Celery("bench-peers", fixups=[])
app.conf.update(
    task_acks_late=True,  # see the docstring: a step survives its worker's death
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
    """One run, as a Celery client starts a chain and waits for its result."""
    total = ten_steps(queue).apply_async().get(timeout=RUN_TIMEOUT_S)
    if total != TOTAL:
        raise RuntimeError(f"the Celery chain returned {total}, not {TOTAL}")


@contextmanager
def worker(redis_url: str, processes: int | None, log_dir: Path) -> Iterator[tuple[Processes, Run]]:
    """A `celery worker` (prefork; `processes` children, default one per CPU) on a queue of
    its own in `redis_url`, so it takes no one else's tasks on a shared Redis database, once
    it has run a chain. Yields what its runs cost and one run. Its queue's keys are deleted
    on the way out."""
    queue = f"bench-peers-{time.time_ns()}"
    app.conf.update(broker_url=redis_url, result_backend=redis_url)
    concurrency = () if processes is None else ("--concurrency", str(processes))
    process = Process(
        "celery-worker",
        [
            *(sys.executable, "-m", "celery", "-A", __name__),
            *("--broker", redis_url, "--result-backend", redis_url),
            *("worker", *concurrency, "--queues", queue),
            *("--hostname", f"{queue}@%h", "--loglevel", "WARNING"),
            # One worker: nothing to gossip or sync with; heartbeats are for monitors.
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        {},
        log_dir,
    ).start()
    assert process.proc is not None
    try:
        _wait_for_first_run(process, queue)
        yield Processes({"worker": process.proc.pid}), partial(run, queue)
    finally:
        process.stop()
        client = redis.Redis.from_url(redis_url)
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.close()


def _wait_for_first_run(process: Process, queue: str) -> None:
    assert process.proc is not None
    result = ten_steps(queue).apply_async()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not result.ready():
        if process.proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not start:\n{process.output()[-3000:]}")
        time.sleep(0.1)

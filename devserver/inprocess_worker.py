"""Embedded mode's worker: the engine's tasks run by a pool of threads in the server process,
fed by two in-memory lanes and a timer heap, behind the same `runs.wakeups.send` that Celery
serves in staging. The tasks and their names are Celery's (runs/tasks.py, by name).

Why not the Celery worker in a thread: each wake-up then cost ~2 ms of kombu and Celery
bookkeeping (message ids, tracing, signals) and hopped through a consumer thread before a
pool thread picked it up. Here a send is a deque append and a notify.

Two lanes: a timer that came due (a sleep ending, a retry's backoff) goes before any start
still waiting, so a backlog of starts cannot make sleeping runs wake late. Periodic tasks (the
beat's schedule) queue with the starts, and one still queued or running is not queued again:
under load a slow app sync would otherwise pile up and take every thread. A wake-up lost here
(the process dies) is found by the reconciler: the database stays the truth."""

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import close_old_connections

logger = logging.getLogger(__name__)

Job = tuple[str, list[Any]]
# Periodic tasks: (seconds between runs, task name).
Schedule = list[tuple[float, str]]


class InProcessWorker:
    """`threads` threads taking jobs from the timer lane first, then the start lane."""

    def __init__(self, resolve: Callable[[str], Callable[..., Any]], threads: int) -> None:
        self._resolve = resolve  # task name -> the plain function behind it
        self._threads = threads
        self._ready = threading.Condition()
        self._timers_due: deque[Job] = deque()
        self._starts: deque[Job] = deque()
        # (monotonic due time, tie-breaker, job, repeat every n seconds or 0)
        self._heap: list[tuple[float, int, Job, float]] = []
        self._order = itertools.count()
        self._idle = 0
        # One idle thread (the timekeeper) sleeps until the next timer; the others sleep until
        # notified, so a due timer wakes one thread, not the whole pool.
        self._timekeeper = False
        self._periodic_pending: set[str] = set()  # periodic tasks queued or running

    # --- sending ----------------------------------------------------------------------------
    def send(self, task: str, args: list[Any], delay: float | None) -> None:
        """runs.wakeups' sender: now (start lane) or after `delay` seconds (timer lane)."""
        with self._ready:
            if delay is None or delay <= 0:
                self._starts.append((task, args))
            else:
                due = time.monotonic() + delay
                heapq.heappush(self._heap, (due, next(self._order), (task, args), 0.0))
                if self._heap[0][0] == due and self._timekeeper:
                    self._ready.notify_all()  # the timekeeper sleeps until a later timer
                    return
            if self._idle:
                self._ready.notify()

    def send_at(self, task: str, args: list[Any], eta: datetime | None) -> None:
        """devserver/wake.py's sender: a wake-up forwarded by a command, due at `eta`."""
        delay = (eta - datetime.now(eta.tzinfo)).total_seconds() if eta is not None else None
        self.send(task, args, delay)

    def every(self, schedule: Schedule) -> None:
        """Run each task every so many seconds, first after one interval (as the beat does)."""
        with self._ready:
            now = time.monotonic()
            for seconds, task in schedule:
                entry: tuple[float, int, Job, float] = (
                    now + seconds,
                    next(self._order),
                    (task, []),
                    seconds,
                )
                heapq.heappush(self._heap, entry)
            self._ready.notify_all()

    # --- running ----------------------------------------------------------------------------
    def start(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self._work, name=f"embedded-worker-{n}", daemon=True)
            for n in range(self._threads)
        ]
        for thread in threads:
            thread.start()
        return threads

    def _next_job(self) -> Job:
        with self._ready:
            while True:
                wait = self._move_due_timers()
                lane = self._timers_due or self._starts
                if lane:
                    if wait is not None and not self._timekeeper and self._idle:
                        self._ready.notify()  # this thread kept time: an idle one takes over
                    return lane.popleft()
                keeps_time = wait is not None and not self._timekeeper
                self._timekeeper = self._timekeeper or keeps_time
                self._idle += 1
                try:
                    self._ready.wait(wait if keeps_time else None)
                finally:
                    self._idle -= 1
                    if keeps_time:
                        self._timekeeper = False

    def _move_due_timers(self) -> float | None:
        """Due timers join their lane (periodic ones are re-armed); the seconds until the next
        one is due, None when there is none. Call holding the condition."""
        now = time.monotonic()
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, _, job, repeat = heapq.heappop(heap)
            if not repeat:
                self._timers_due.append(job)
                continue
            heapq.heappush(heap, (now + repeat, next(self._order), job, repeat))
            if job[0] not in self._periodic_pending:
                self._periodic_pending.add(job[0])
                self._starts.append(job)
        if len(self._timers_due) + len(self._starts) > 1 and self._idle:
            self._ready.notify()  # more than this thread can take: wake another
        return heap[0][0] - now if heap else None

    def _work(self) -> None:
        while True:
            task, args = self._next_job()
            try:
                self._resolve(task)(*args)
            except Exception:
                # As a Celery worker does: log and go on; the database still holds the work.
                logger.exception("task %s%s failed", task, tuple(args))
            finally:
                # As after a request or a Celery task: drop a broken or too old connection.
                close_old_connections()
                if not args and task in self._periodic_pending:
                    with self._ready:
                        self._periodic_pending.discard(task)

"""Group commit: the events of concurrent `POST /e/` requests stored in one transaction by one
committer thread, each request answered with its own ids once that transaction has committed.

One commit per request caps single-event ingest at the commit rate and costs a transaction's
fixed work (dedupe lookups, the functions stamp, the trigger scan, BEGIN/COMMIT) per event.
Here whatever requests arrived while the last group was committing form the next group:
nothing waits for a timer, and a lone request is stored as soon as it arrives. Durability is
unchanged: a submission's future is settled only after its group's transaction committed (or
failed), so nothing is acknowledged before it is stored.

A group that fails (a broken row, a receiver of `events_stored` raising, a seeded retry of the
same send in the same group) is not the fault of every request in it: each submission is then
stored alone, in its own transaction, and only the one that fails again gets the error.

From the event loop (`store`), the requests that reach the committer in one turn of the loop
go to it as one hand-over, and their answers come back in one wake-up of the loop per group:
per request, a queue put and a loop wake-up each cost a thread switch, and handed over one by
one the committer (on the other core) took each alone, one transaction per event."""

import asyncio
import contextlib
import logging
import queue
import threading
from collections import defaultdict
from concurrent.futures import Future
from dataclasses import dataclass, field

from django.db import IntegrityError, close_old_connections

from .ingest import IncomingEvent, store_events, store_seeded

logger = logging.getLogger(__name__)

# A group stops growing past this many events: it bounds a transaction's length (and its
# lookups' bound parameters) while still taking a few hundred concurrent requests at once.
GROUP_MAX_EVENTS = 1000


@dataclass
class Submission:
    """One request's events, its seeded ids (or None), and the future its answer waits on:
    the event ids in the request's order, or the exception that kept them from being stored."""

    events: list[IncomingEvent]
    ids: list[str] | None
    future: Future[list[str]] = field(default_factory=Future)
    # Submitted from an event loop (`GroupCommitter.store`): what its coroutine awaits.
    answer: "asyncio.Future[list[str]] | None" = None


class GroupCommitter:
    """A queue of submissions and the one thread that commits them in groups."""

    def __init__(self, max_events: int = GROUP_MAX_EVENTS) -> None:
        self.max_events = max_events
        self._queue: queue.SimpleQueue[list[Submission]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        # Per event loop, the submissions of its current turn, handed over at the turn's end.
        self._this_turn: dict[asyncio.AbstractEventLoop, list[Submission]] = {}
        # A hand-over that would have taken the last group past the cap: the next group's first.
        self._carried: list[Submission] | None = None

    def submit(self, events: list[IncomingEvent], ids: list[str] | None) -> Future[list[str]]:
        """Queue one request's events; the future resolves after they are committed."""
        submission = Submission(events, ids)
        self._hand_over([submission])
        return submission.future

    async def store(self, events: list[IncomingEvent], ids: list[str] | None) -> list[str]:
        """`submit` from an event loop: the ids once committed (or the error). Handed over
        with the other submissions of this turn of the loop."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[list[str]] = loop.create_future()
        submission = Submission(events, ids, answer=answer)
        turn = self._this_turn.get(loop)
        if turn is None:
            turn = self._this_turn[loop] = []
            loop.call_soon(self._end_turn, loop)  # after every task ready in this turn
        turn.append(submission)
        return await answer

    def _end_turn(self, loop: asyncio.AbstractEventLoop) -> None:
        """Hand the turn's submissions over in parts of at most `max_events` events (a burst
        of big batches in one turn must not make one transaction of them all)."""
        part: list[Submission] = []
        count = 0
        for submission in self._this_turn.pop(loop):
            if part and count + len(submission.events) > self.max_events:
                self._hand_over(part)
                part, count = [], 0
            part.append(submission)
            count += len(submission.events)
        self._hand_over(part)

    def _hand_over(self, submissions: list[Submission]) -> None:
        self._queue.put(submissions)
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._start_lock:  # two first requests at once start one thread
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        while True:
            group = self._next_group()
            # A long-lived thread outside any request: drop a connection the database broke
            # (a Postgres restart) or that outlived CONN_MAX_AGE, as request_finished would.
            close_old_connections()
            try:
                commit_group(group)
            except BaseException as exc:  # the thread must outlive any one group
                logger.exception("group commit failed outside its own error handling")
                for submission in group:
                    if not submission.future.done():
                        submission.future.set_exception(exc)
            finally:
                _answer_on_loops(group)

    def _next_group(self) -> list[Submission]:
        """Block for the first hand-over, then take whatever else is waiting while it fits
        under the cap (a hand-over is not split; one that does not fit starts the next)."""
        group, self._carried = self._carried or self._queue.get(), None
        count = sum(len(submission.events) for submission in group)
        while count < self.max_events:
            try:
                handed = self._queue.get_nowait()
            except queue.Empty:
                break
            size = sum(len(submission.events) for submission in handed)
            if count + size > self.max_events:
                self._carried = handed
                break
            group += handed
            count += size
        return group


def _answer_on_loops(group: list[Submission]) -> None:
    """One wake-up per event loop waiting on this group, which settles each of its answers."""
    waiting: dict[asyncio.AbstractEventLoop, list[Submission]] = defaultdict(list)
    for submission in group:
        if submission.answer is not None:
            waiting[submission.answer.get_loop()].append(submission)
    for loop, submissions in waiting.items():
        # RuntimeError: that loop was closed (the server stopping): nobody waits any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle_answers, submissions)


def _settle_answers(submissions: list[Submission]) -> None:
    for submission in submissions:
        assert submission.answer is not None
        if submission.answer.cancelled():  # the client left; its events are stored all the same
            continue
        error = submission.future.exception(timeout=0)
        if error is not None:
            submission.answer.set_exception(error)
        else:
            submission.answer.set_result(submission.future.result(timeout=0))


def commit_group(group: list[Submission]) -> None:
    """Store every submission of `group` in one transaction and settle each future with its own
    ids; if that transaction fails, store each submission alone (see the module's docstring)."""
    if len(group) == 1:
        _commit_alone(group[0])
        return
    events = [event for submission in group for event in submission.events]
    seeds: list[str | None] = []
    for submission in group:
        seeds += submission.ids if submission.ids else [None] * len(submission.events)
    try:
        result = store_seeded(events, seeds)
    except Exception:
        # Rolled back whole: nothing of the group is stored, so each is tried on its own.
        for submission in group:
            _commit_alone(submission)
        return
    start = 0
    for submission in group:
        end = start + len(submission.events)
        submission.future.set_result(result.ids[start:end])
        start = end


def _commit_alone(submission: Submission) -> None:
    """One request's events in their own transaction, as the Django view stores them."""
    try:
        try:
            result = store_events(submission.events, submission.ids)
        except IntegrityError:
            if submission.ids is None:
                raise
            # A retry of the same send stored these ids first (in another group or request):
            # this attempt now finds them stored and answers with them.
            result = store_events(submission.events, submission.ids)
    except Exception as exc:
        submission.future.set_exception(exc)
        return
    submission.future.set_result(result.ids)

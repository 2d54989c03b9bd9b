"""`?wait=` on the REST run reads (devserver/run_end_waits.py): a read is held until its runs
end, woken by the run change the state gateway publishes on the channel layer (in-memory in
embedded mode, Redis in staging), and answered with what the database then says.

The re-read interval is raised to an hour in the tests that need a wake-up, so only the
published end can answer them in time."""

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from django.db import connections, transaction

from devserver import run_end_waits
from devserver.http_handler import OneHopASGIHandler
from devserver.read_route import READ_THREADS, LeanReads
from events.models import Event
from foundation import clock
from runs import live, states
from runs.models import App, Function, Run, RunStatus
from tests import one_loop

pytestmark = pytest.mark.django_db(transaction=True)  # the route's threads have connections

ANSWER_WITHIN_S = 20  # far past any wake-up; reaching it means the hold was never woken


@pytest.fixture(autouse=True)
def _settings(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.REQUIRE_LOGIN = False


@pytest.fixture
def lean() -> Any:
    route = LeanReads(OneHopASGIHandler())
    yield route
    route.pool.map(lambda _: connections.close_all(), range(READ_THREADS))
    route.pool.shutdown()


@pytest.fixture
def function() -> Function:
    app = App.objects.create(name="shop", url="http://127.0.0.1:1/api/inngest")
    return Function.objects.create(app=app, slug="shop-f", name="f", step_url=app.url)


def _running_run(function: Function) -> Run:
    event = Event.objects.create(
        id=clock.new_id(), name="shop/paid", data={}, ts=0, received_at=clock.now()
    )
    run = Run(id=clock.new_id(), function=function, event=event, queued_at=clock.now())
    with transaction.atomic():
        states.create_run(run)
        states.move_run(run, RunStatus.RUNNING)
    return run


def _complete(run: Run) -> None:
    with transaction.atomic():
        states.move_run(run, RunStatus.COMPLETED, output={"done": True})
    connections.close_all()  # this thread's connection, so the database can be dropped


async def _get(route: LeanReads, path: str, query: bytes) -> dict[str, Any]:
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await route(scope, receive, send)
    return {"status": sent[0]["status"], "body": json.loads(sent[1]["body"])}


async def _held_until(route: LeanReads, path: str, query: bytes, then: Any) -> dict[str, Any]:
    """GET `path`, and once the read is held, call `then` in a thread (a worker ending it)."""
    live.use_event_loop(asyncio.get_running_loop())  # as the ASGI app does per request
    answer = asyncio.create_task(_get(route, path, query))
    while not route.waits._waiters:
        await asyncio.sleep(0.01)
    assert not answer.done()  # held, not answered
    await asyncio.to_thread(then)
    return await asyncio.wait_for(answer, ANSWER_WITHIN_S)


@pytest.fixture
def no_rereads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_end_waits, "RECHECK_S", 3600)


@pytest.mark.usefixtures("no_rereads")
def test_a_held_run_read_is_answered_when_the_run_ends(lean: LeanReads, function: Function) -> None:
    run = _running_run(function)
    path = f"/v1/runs/{run.id}"
    answer = one_loop.run(_held_until(lean, path, b"wait=30", lambda: _complete(run)))
    assert not lean.waits._by_key  # the waiter left the index
    assert answer["status"] == 200
    assert answer["body"]["data"]["status"] == "Completed"
    assert answer["body"]["data"]["output"] == {"done": True}


@pytest.mark.usefixtures("no_rereads")
def test_a_held_event_read_is_answered_when_all_its_runs_end(
    lean: LeanReads, function: Function
) -> None:
    first = _running_run(function)
    second = Run.objects.create(
        id=clock.new_id(),
        function=function,
        event=first.event,
        status=RunStatus.COMPLETED,
        queued_at=clock.now(),
    )
    path = f"/v1/events/{first.event_id}/runs"
    answer = one_loop.run(_held_until(lean, path, b"wait=30", lambda: _complete(first)))
    statuses = {run["run_id"]: run["status"] for run in answer["body"]["data"]}
    assert statuses == {first.id: "Completed", second.id: "Completed"}


def test_a_held_read_answers_what_there_is_when_the_wait_is_over(
    lean: LeanReads, function: Function
) -> None:
    run = _running_run(function)
    answer = one_loop.run(_get(lean, f"/v1/runs/{run.id}", b"wait=0.2"))
    assert answer["body"]["data"]["status"] == "Running"


def test_past_the_most_waiters_a_read_is_answered_at_once(
    lean: LeanReads, function: Function, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_end_waits, "MAX_WAITERS", 0)
    run = _running_run(function)
    answer = one_loop.run(
        asyncio.wait_for(_get(lean, f"/v1/runs/{run.id}", b"wait=30"), ANSWER_WITHIN_S)
    )
    assert answer["body"]["data"]["status"] == "Running"
    assert not lean.waits._waiters


def _woken_by(waits: run_end_waits.RunEndWaits, run_id: str) -> list[bool]:
    """For each message about `run_id` the listener handles: whether it woke a waiter (read
    off the waiters as the message is handled, not off a deadline it had to beat)."""
    handled: list[bool] = []
    wake = waits._wake

    def spy(message: dict[str, Any]) -> None:
        asleep = {w for w in waits._waiters if not w.woken.is_set()}
        wake(message)
        if message.get("run_id") == run_id:
            handled.append(any(w.woken.is_set() for w in asleep))

    waits._wake = spy  # type: ignore[method-assign]
    return handled


async def _until(condition: Callable[[], object]) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), ANSWER_WITHIN_S)


async def _hold_through(
    read: Callable[[], Awaitable[run_end_waits.Answer]],
    subject_id: str,
    run_id: str,
    change: Callable[[], None],
    reads: Callable[[], int],
) -> bool:
    """Hold a read on `subject_id`, make `change` to run `run_id` once the hold has read, and
    return whether the listener's handling of that change woke the hold (then wait for the
    read it wakes); the hold is then let go."""
    live.use_event_loop(asyncio.get_running_loop())
    waits = run_end_waits.RunEndWaits()
    woke = _woken_by(waits, run_id)
    held = asyncio.create_task(waits.hold(read, ANSWER_WITHIN_S, subject_id))
    await _until(lambda: reads() >= 1)  # subscribed: the first read comes after it
    await asyncio.to_thread(change)
    await _until(lambda: woke)
    if woke[0]:
        await _until(lambda: reads() >= 2)
    held.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await held
    return woke[0]


@pytest.mark.usefixtures("no_rereads")
@pytest.mark.parametrize("own", [True, False], ids=["its-event", "another-event"])
def test_a_waiter_is_woken_only_by_runs_of_its_own_event(function: Function, own: bool) -> None:
    """A hold on an event with no run yet re-reads when a run of that event changes, and not
    when any other run does (else a crowd of waiters would each re-read on every change)."""
    run = _running_run(function)
    reads = 0

    async def read() -> run_end_waits.Answer:
        nonlocal reads
        reads += 1
        return 200, []  # no run yet: never settled

    subject = run.event_id if own else clock.new_id()
    woken = one_loop.run(
        _hold_through(read, subject, run.id, lambda: _complete(run), lambda: reads)
    )
    assert woken is own
    assert reads == (2 if own else 1)  # the first read, plus the one the wake-up asked for


@pytest.mark.usefixtures("no_rereads")
@pytest.mark.parametrize("to", [RunStatus.RUNNING, RunStatus.COMPLETED])
def test_a_run_waiter_is_woken_by_its_end_not_by_other_changes(function: Function, to: str) -> None:
    run = _running_run(function)
    with transaction.atomic():  # back to Queued as a run waiting for its first call would be
        Run.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED)
    run.refresh_from_db()
    reads = 0

    async def read() -> run_end_waits.Answer:
        nonlocal reads
        reads += 1
        return 200, {"run_id": run.id, "status": "Running"}  # not settled

    def move() -> None:
        with transaction.atomic():
            states.move_run(run, to)
        connections.close_all()

    woken = one_loop.run(_hold_through(read, run.id, run.id, move, lambda: reads))
    assert woken is (to == RunStatus.COMPLETED)
    assert reads == (2 if woken else 1)

"""A user's filter runs in a worker process of its own: its answer and its errors come back as
if it ran here, a call past its deadline has its worker killed (the next call gets a fresh
one), and a call that wants too much memory fails alone. So a costly filter neither holds the
web process's interpreter lock while ingest waits nor grows the web process."""

import os
import threading
from pathlib import Path

import pytest

from foundation import isolation
from tests.harness import wait_until

TARGETS = "tests.security.isolated_targets"
FIRST_CALL_TIMEOUT = 5.0


def test_a_call_runs_in_another_process_and_its_answer_comes_back():
    total, pid = isolation.call(f"{TARGETS}:add", (2, 3), timeout=60, wait=5)
    assert total == 5 and pid != os.getpid()


def test_an_error_raised_in_the_worker_is_raised_here():
    with pytest.raises(ValueError, match="not a filter"):
        isolation.call(f"{TARGETS}:refuse", ("not a filter",), timeout=60, wait=5)


def test_a_call_past_its_deadline_is_killed_and_the_next_one_gets_a_fresh_worker():
    _, first_pid = isolation.call(f"{TARGETS}:add", (1, 1), timeout=60, wait=5)
    with pytest.raises(isolation.IsolatedTimeout):
        isolation.call(f"{TARGETS}:spin", (30.0,), timeout=0.5, wait=5)
    _, next_pid = isolation.call(f"{TARGETS}:add", (1, 1), timeout=60, wait=5)
    assert next_pid != first_pid


def test_a_call_that_wants_too_much_memory_fails_alone():
    too_much = isolation.MEMORY_LIMIT_BYTES // (1024 * 1024) + 512
    with pytest.raises(isolation.IsolatedOutOfMemory):
        isolation.call(f"{TARGETS}:hoard", (too_much,), timeout=60, wait=5)
    assert isolation.call(f"{TARGETS}:hoard", (10,), timeout=60, wait=5) == 10


def test_a_caller_waits_its_turn_and_gives_up_after_its_wait(tmp_path: Path):
    """The busy call holds the worker until the test lets it go, and the second caller comes
    only once the worker runs it: no thread has to get anywhere within some time."""
    isolation.call(f"{TARGETS}:add", (0, 0), timeout=60, wait=5)  # the worker is up
    held, release = tmp_path / "held", tmp_path / "release"
    busy = threading.Thread(
        target=isolation.call,
        args=(f"{TARGETS}:hold", (str(held), str(release))),
        kwargs={"timeout": 60, "wait": 5},
    )
    busy.start()
    try:
        wait_until(held.exists, 30, "the busy call to hold the worker")
        with pytest.raises(isolation.IsolatedBusy):
            isolation.call(f"{TARGETS}:add", (1, 2), timeout=60, wait=0.2)
    finally:
        release.touch()
        busy.join()
    assert isolation.call(f"{TARGETS}:add", (1, 2), timeout=60, wait=5)[0] == 3


def test_starting_a_worker_does_not_count_against_the_first_calls_deadline(monkeypatch):
    """A fresh worker takes a second or more to start on a busy machine; a filter's 2 s
    deadline used to include it, so on a loaded machine every first filter was killed. This
    worker's settings pause longer than the call's deadline: counted, it would be killed."""
    with pytest.raises(isolation.IsolatedTimeout):  # kills the running worker
        isolation.call(f"{TARGETS}:spin", (30.0,), timeout=0.2, wait=5)
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "tests.security.slow_worker_settings")
    monkeypatch.setenv("SLOW_WORKER_PAUSE", str(FIRST_CALL_TIMEOUT + 1))
    total, _ = isolation.call(f"{TARGETS}:add", (20, 22), timeout=FIRST_CALL_TIMEOUT, wait=5)
    assert total == 42

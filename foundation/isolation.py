"""Run a function in a worker process of its own, with a hard deadline and a memory cap: for work
a console user chooses (a CEL filter over thousands of rows), so that it can neither hold the
web process's interpreter lock while ingest waits nor grow the web process.

One worker per web process, started on first use (Django set up from the same settings module)
and serving one call at a time; a call that overruns its deadline has its worker killed, and
a worker that ran out of memory exits: either way the next call starts a fresh one."""

import gc
import importlib
import multiprocessing
import os
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

# Address space of the worker: a runaway filter gets a MemoryError, not the machine's memory.
MEMORY_LIMIT_BYTES = 1536 * 1024 * 1024
# Starting a worker (a new interpreter, Django set up) takes a second or more on a busy
# machine: it has its own allowance, never counted against a call's deadline.
STARTUP_SECONDS = 60.0


class IsolatedTimeout(Exception):
    """The call was still running at its deadline; its worker was killed."""


class IsolatedBusy(Exception):
    """Another call held the worker for longer than the caller would wait."""


class IsolatedOutOfMemory(Exception):
    """The call needed more memory than the worker may have (or its worker died)."""


class _Worker:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self.connection: Connection = parent
        self.process: BaseProcess = context.Process(
            target=_serve,
            args=(child, os.environ.get("DJANGO_SETTINGS_MODULE", "")),
            name="isolated-worker",
            daemon=True,
        )
        self.process.start()
        child.close()
        if not self.connection.poll(STARTUP_SECONDS):
            self.stop()
            raise IsolatedTimeout(f"the worker did not start within {STARTUP_SECONDS:g}s")
        self.connection.recv()  # ("ready", None)

    def stop(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


_worker: _Worker | None = None
_turn = threading.Lock()


def warm_up() -> None:
    """Start the worker now, in the background, so that the first call does not wait for it."""

    def start() -> None:
        global _worker
        with _turn:
            if _worker is None or not _worker.process.is_alive():
                _worker = _Worker()

    threading.Thread(target=start, name="isolated-worker-start", daemon=True).start()


def call(target: str, args: tuple[Any, ...], timeout: float, wait: float) -> Any:
    """`module:function(*args)` in the worker: its return value, or the exception it raised
    (re-raised here). IsolatedBusy after `wait` seconds without a turn; IsolatedTimeout past
    `timeout` seconds of running."""
    global _worker
    if not _turn.acquire(timeout=wait):
        raise IsolatedBusy(f"the worker stayed busy for {wait:g}s")
    try:
        if _worker is None or not _worker.process.is_alive():
            _worker = _Worker()
        _worker.connection.send((target, args))
        if not _worker.connection.poll(timeout):
            _worker.stop()
            _worker = None
            raise IsolatedTimeout(f"stopped after {timeout:g}s")
        try:
            outcome, value = _worker.connection.recv()
        except (EOFError, OSError):  # the worker died: out of memory, as a rule
            outcome, value = "raised", MemoryError()
        if outcome == "raised" and isinstance(value, MemoryError):
            _worker.stop()  # it exits after a MemoryError: the next call starts a fresh one
            _worker = None
            raise IsolatedOutOfMemory("the call needed more memory than a worker may have")
    finally:
        _turn.release()
    if outcome == "raised":
        raise value
    return value


def _serve(connection: Connection, settings_module: str) -> None:
    """The worker: set up Django once, then answer calls until told otherwise or killed."""
    import resource

    import django

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    if settings_module:
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    django.setup()
    from django.db import close_old_connections

    # Django's loaded modules are this process's heap for good: moved out of the collector's
    # sight, so the collection after each call scans only what calls made (a full one cost
    # ~75 ms, paid by the next filter's request).
    gc.collect()
    gc.freeze()
    connection.send(("ready", None))
    while True:
        try:
            target, args = connection.recv()
        except EOFError:
            return
        # Each call is like a request: a connection the database dropped (a restart) or that
        # outlived CONN_MAX_AGE is replaced, never reused broken.
        close_old_connections()
        module_name, _, function_name = target.partition(":")
        try:
            function = getattr(importlib.import_module(module_name), function_name)
            connection.send(("returned", function(*args)))
        except MemoryError as exc:
            connection.send(("raised", exc))
            return  # a fresh worker next time: this one's heap is fragmented
        except Exception as exc:  # handed back to the caller, raised there
            connection.send(("raised", exc))
        # What a costly call left behind is collected now, between calls, so that the next
        # call's time budget never pays for a collection of someone else's garbage.
        gc.collect()

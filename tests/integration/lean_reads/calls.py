"""Shared by the lean-read tests: one request through the lean route (devserver/read_route.py)
or through Django alone, compared; the rows they read, on a frozen clock."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connections

from events.models import Event
from foundation import clock
from runs.models import Function, Run
from tests.asgi_calls import body_of, exchange, http_scope

KEY = "signkey-test-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
OUTPUTS: dict[str, Any] = {
    "dict": {"ok": True, "n": 1.5, "big": 10**20, "text": "é ü \u2028 <b>", "list": [None, 1]},
    "none": None,
    "string": "done",
    "number": 1e100,
}


class Passed:
    """Django behind the lean route, noting each request the route handed on."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        self.paths.append(scope["path"])
        await self.app(scope, receive, send)


def close_connections(pool: ThreadPoolExecutor, threads: int) -> None:
    """Each thread of a pool holds a connection: close them so the test database can be
    dropped. The barrier makes the pool run one task on each of its threads."""
    barrier = threading.Barrier(threads)

    def close(_: int) -> None:
        barrier.wait(30)
        connections.close_all()

    list(pool.map(close, range(threads)))
    pool.shutdown()


def make_event(n: int) -> Event:
    return Event.objects.create(id=clock.new_id(), name="shop/order", data={}, ts=n, received_at=T0)


def make_run(
    function: Function,
    event: Event | None,
    status: str,
    started: datetime | None,
    ended: datetime | None,
    output: Any,
    error: Any = None,
) -> Run:
    return Run.objects.create(
        id=clock.new_id(),
        function=function,
        event=event,
        status=status,
        queued_at=T0 - timedelta(seconds=1),
        started_at=started,
        ended_at=ended,
        output=output,
        error=error,
    )


def call(
    apps: dict[str, Any],
    kind: str,
    path: str,
    method: str = "GET",
    headers: list[tuple[bytes, bytes]] | None = None,
    query: bytes = b"",
    body: bytes = b"",
    root_path: str = "",
) -> dict[str, Any]:
    scope = http_scope(
        method, path, [(b"host", b"testserver")] if headers is None else headers, query, root_path
    )
    sent = exchange(apps[kind], scope, [body])
    return {
        "status": sent[0]["status"],
        "headers": sorted(_header(k.decode().lower(), v.decode()) for k, v in sent[0]["headers"]),
        "body": body_of(sent),
    }


def _header(name: str, value: str) -> tuple[str, str]:
    # A renewed CSRF cookie (Django's answer to a malformed one) is random: compare its name.
    return (name, value.split("=", 1)[0]) if name == "set-cookie" else (name, value)


def alike(apps: dict[str, Any], path: str, served: bool = True, **request: Any) -> dict:
    """The same answer from both paths; `served`: the lean route answered it itself."""
    passed = len(apps["passed"].paths)
    lean = call(apps, "lean", path, **request)
    assert (len(apps["passed"].paths) == passed) is served
    django = call(apps, "django", path, **request)
    assert lean == django
    return lean


def refuse_the_pool(apps: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lean route's pool refuses work: a read handed to it goes on to Django."""
    closed = ThreadPoolExecutor(max_workers=1)
    closed.shutdown()  # submitting to it raises
    monkeypatch.setattr(apps["lean"], "pool", closed)

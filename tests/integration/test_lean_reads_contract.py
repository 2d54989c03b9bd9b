"""The lean run-status reads (devserver/read_route.py) answer as console/api/v1.py's views do.

Each request goes once through the lean route and once through Django alone, over the same
rows and a frozen clock, and the answers must be equal: status, every header and the body byte
for byte. Runs in each status with outputs and errors, events with no, one and many runs
(debounced and batched runs named by a Decision), unknown and malformed ids, the open dev
server and a login-required one with each kind of credential. What the route must leave to
Django (a cookie, no credential, a body, a NUL, an odd Host, another method or path) is
checked to have reached Django."""

import asyncio
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections

from devserver import read_sql
from devserver.http_handler import OneHopASGIHandler
from devserver.read_route import READ_THREADS, LeanReads
from events.models import Event
from flowcontrol.models import Decision, DecisionKind
from foundation import clock
from runs import signing
from runs.models import App, Function, Run, RunStatus
from tests import one_loop

pytestmark = pytest.mark.django_db(transaction=True)  # the route's threads have connections

KEY = "signkey-test-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
OUTPUTS: dict[str, Any] = {
    "dict": {"ok": True, "n": 1.5, "big": 10**20, "text": "é ü \u2028 <b>", "list": [None, 1]},
    "none": None,
    "string": "done",
    "number": 1e100,
}


class _Passed:
    """Django behind the lean route, noting each request the route handed on."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        self.paths.append(scope["path"])
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def apps() -> Any:
    django = OneHopASGIHandler()
    passed = _Passed(django)
    lean = LeanReads(passed)
    yield {"django": django, "lean": lean, "passed": passed}
    lean.close()
    _close_connections(lean.pool, READ_THREADS)
    _close_connections(django.pool, django_settings.HTTP_THREADS)


def _close_connections(pool: ThreadPoolExecutor, threads: int) -> None:
    """Each thread of a pool holds a connection: close them so the test database can be
    dropped. The barrier makes the pool run one task on each of its threads."""
    barrier = threading.Barrier(threads)

    def close(_: int) -> None:
        barrier.wait(30)
        connections.close_all()

    list(pool.map(close, range(threads)))
    pool.shutdown()


@pytest.fixture(autouse=True)
def _settings(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.REQUIRE_LOGIN = False
    settings.DEBUG = False
    monkeypatch.setattr(clock, "now", lambda: T0)  # `fetched_at` in both envelopes


@pytest.fixture
def world() -> dict[str, Any]:
    app = App.objects.create(name="shop", url="http://127.0.0.1:1/api/inngest")
    function = Function.objects.create(app=app, slug="shop-f", name="f", step_url=app.url)
    other = Function.objects.create(app=app, slug="shop-g", name="g", step_url=app.url)
    lone, busy, idle = _event(0), _event(1), _event(2)
    runs: dict[str, Run] = {}
    for n, status in enumerate(RunStatus):
        started = None if status == RunStatus.QUEUED else T0 + timedelta(seconds=n)
        ended = (
            T0 + timedelta(minutes=n) if status in ("Completed", "Failed", "Cancelled") else None
        )
        runs[status] = _run(function, busy, status, started, ended, output={"s": status})
    for name, value in OUTPUTS.items():
        runs[name] = _run(other, lone if name == "dict" else busy, "Completed", T0, T0, value)
    runs["failed-error"] = _run(function, busy, "Failed", T0, T0, "hidden", {"message": "boom"})
    debounced = _run(other, None, "Running", T0, None, None)
    for event, run in ((busy, debounced), (busy, runs["dict"]), (idle, None)):
        Decision.objects.create(
            function=other, event=event, run=run, kind=DecisionKind.choices[0][0], created_at=T0
        )
    return {"runs": runs, "events": {"lone": lone, "busy": busy, "idle": idle}}


def _event(n: int) -> Event:
    return Event.objects.create(id=clock.new_id(), name="shop/order", data={}, ts=n, received_at=T0)


def _run(
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


def _call(
    apps: dict[str, Any],
    kind: str,
    path: str,
    method: str = "GET",
    headers: list[tuple[bytes, bytes]] | None = None,
    query: bytes = b"",
    body: bytes = b"",
    root_path: str = "",
) -> dict[str, Any]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": root_path,
        "headers": [(b"host", b"testserver")] if headers is None else headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive() -> dict:
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(message: dict) -> None:
        sent.append(message)

    one_loop.run(asyncio.wait_for(apps[kind](scope, receive, send), 30))
    return {
        "status": sent[0]["status"],
        "headers": sorted(_header(k.decode().lower(), v.decode()) for k, v in sent[0]["headers"]),
        "body": b"".join(m.get("body", b"") for m in sent[1:]),
    }


def _header(name: str, value: str) -> tuple[str, str]:
    # A renewed CSRF cookie (Django's answer to a malformed one) is random: compare its name.
    return (name, value.split("=", 1)[0]) if name == "set-cookie" else (name, value)


def _alike(apps: dict[str, Any], path: str, served: bool = True, **request: Any) -> dict:
    """The same answer from both paths; `served`: the lean route answered it itself."""
    passed = len(apps["passed"].paths)
    lean = _call(apps, "lean", path, **request)
    assert (len(apps["passed"].paths) == passed) is served
    django = _call(apps, "django", path, **request)
    assert lean == django
    return lean


def test_a_run_in_each_status_reads_the_same(apps: dict, world: dict) -> None:
    for name, run in world["runs"].items():
        answer = _alike(apps, f"/v1/runs/{run.id}")
        assert answer["status"] == 200, name
        assert f'"run_id": "{run.id}"'.encode() in answer["body"]
    failed = _alike(apps, f"/v1/runs/{world['runs']['failed-error'].id}")
    assert b'"output": {"message": "boom"}' in failed["body"]  # a failed run shows its error


def test_an_event_with_no_one_or_many_runs_reads_the_same(apps: dict, world: dict) -> None:
    counts = {}
    for name, event in world["events"].items():
        answer = _alike(apps, f"/v1/events/{event.id}/runs")
        assert answer["status"] == 200
        counts[name] = answer["body"].count(b'"run_id"')
    # busy: its own runs (one per status, three outputs, a failed one), the debounced run and
    # lone's run that its Decisions name; lone: one run; idle: a Decision without a run.
    assert counts == {"lone": 1, "busy": len(RunStatus) + 3 + 1 + 2, "idle": 0}


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "ident", ["01JUNKNOWN0000000000000000", "x" * 300, "ü", "a b", "'; --", "%00", "-1"]
)
def test_an_unknown_or_malformed_id_gets_the_same_404(
    apps: dict, world: dict, settings: Any, debug: bool, ident: str
) -> None:
    settings.DEBUG = debug
    for path in (f"/v1/runs/{ident}", f"/v1/events/{ident}/runs"):
        assert _alike(apps, path)["status"] == 404


def test_with_login_required_the_raw_signing_key_reads_the_same(
    apps: dict, world: dict, settings: Any
) -> None:
    settings.REQUIRE_LOGIN, settings.SIGNING_KEY, settings.SIGNING_KEY_FALLBACK = True, KEY, ""
    run, event = world["runs"]["dict"], world["events"]["busy"]
    for bearer in (KEY, KEY.removeprefix("signkey-test-")):
        headers = [(b"host", b"testserver"), (b"authorization", f"Bearer {bearer}".encode())]
        assert _alike(apps, f"/v1/runs/{run.id}", headers=headers)["status"] == 200
        assert _alike(apps, f"/v1/events/{event.id}/runs", headers=headers)["status"] == 200


@pytest.mark.parametrize(
    "authorization",
    [None, b"Bearer wrong", b"Basic abc", "hashed"],
    ids=["none", "wrong key", "basic", "the SDKs' hashed key"],
)
def test_with_login_required_anything_but_the_key_goes_to_django(
    apps: dict, world: dict, settings: Any, authorization: bytes | str | None
) -> None:
    settings.REQUIRE_LOGIN, settings.SIGNING_KEY, settings.SIGNING_KEY_FALLBACK = True, KEY, ""
    if authorization == "hashed":
        authorization = f"Bearer {signing.hashed_key(KEY)}".encode()
    headers = [(b"host", b"testserver")]
    if isinstance(authorization, bytes):
        headers.append((b"authorization", authorization))
    answer = _alike(apps, f"/v1/runs/{world['runs']['dict'].id}", served=False, headers=headers)
    assert answer["status"] == 401


@pytest.mark.parametrize(
    "request_",
    [
        {"method": "HEAD"},
        {"method": "POST"},
        {"method": "DELETE", "headers": [(b"host", b"testserver"), (b"origin", b"http://x")]},
        {"headers": [(b"host", b"testserver"), (b"cookie", b"csrftoken=bad")]},
        {"headers": [(b"host", b"testserver"), (b"content-length", b"2")], "body": b"{}"},
        {"headers": [(b"host", b"testserver"), (b"host", b"testserver")]},
        {"headers": [(b"host", b"elsewhere.example")]},
        {"headers": []},
        {"query": b"x=%00"},
    ],
    ids=["HEAD", "POST", "DELETE", "cookie", "body", "two hosts", "bad host", "no host", "NUL"],
)
def test_what_only_django_answers_goes_on_to_django(
    apps: dict, world: dict, request_: dict[str, Any]
) -> None:
    answer = _alike(apps, f"/v1/runs/{world['runs']['dict'].id}", served=False, **request_)
    if b"cookie" in dict(request_.get("headers", [])):
        assert ("set-cookie", "csrftoken") in answer["headers"]  # why a cookie goes on


@pytest.mark.parametrize("path", ["/v1/runs/{run}/", "/v1/runs/{run}/metadata", "/v1/runs/"])
def test_other_paths_go_on_to_django(apps: dict, world: dict, path: str) -> None:
    _alike(apps, path.format(run=world["runs"]["dict"].id), served=False)


def test_a_query_other_than_wait_goes_to_django_which_ignores_it(apps: dict, world: dict) -> None:
    assert (
        _alike(apps, f"/v1/runs/{world['runs']['dict'].id}", query=b"a=1", served=False)["status"]
        == 200
    )


@pytest.mark.parametrize("query", [b"wait=0", b"wait=2.5", b"wait=30"])
def test_a_wait_on_ended_runs_is_answered_at_once_as_django_answers(
    apps: dict, world: dict, query: bytes
) -> None:
    """An ended run (and an unknown one) is settled: held for nothing, the same bytes."""
    assert _alike(apps, f"/v1/runs/{world['runs']['dict'].id}", query=query)["status"] == 200
    assert _alike(apps, f"/v1/events/{world['events']['lone'].id}/runs", query=query)
    assert _alike(apps, "/v1/runs/01NOSUCHRUN", query=query)["status"] == 404


@pytest.mark.parametrize("query", [b"wait=31", b"wait=-1", b"wait=soon", b"wait="])
def test_a_wait_out_of_range_is_refused_by_django_on_both_paths(
    apps: dict, world: dict, query: bytes
) -> None:
    answer = _alike(apps, f"/v1/runs/{world['runs']['dict'].id}", query=query, served=False)
    assert answer["status"] == 422


def test_a_read_on_a_connection_the_database_dropped_is_answered(apps: dict, world: dict) -> None:
    """No ping before each read (Django's CONN_HEALTH_CHECKS would send one): a connection
    Postgres closed is found by the read itself, which is tried once more on a new one."""
    if connection.vendor != "postgresql":
        pytest.skip("only a server database drops connections")
    path = f"/v1/runs/{world['runs']['dict'].id}"
    barrier = threading.Barrier(READ_THREADS)

    def backend(_: int) -> int:  # on each read thread: its connection's server process
        barrier.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    pids = list(apps["lean"].pool.map(backend, range(READ_THREADS)))
    with connection.cursor() as cursor:  # only the read threads' (other tests keep theirs)
        cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM unnest(%s) AS pid", [pids])
        assert cursor.fetchone()[0] == READ_THREADS
    for _ in range(2 * READ_THREADS):
        assert _alike(apps, path)["status"] == 200


def test_a_read_that_fails_goes_on_to_django(
    apps: dict, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(run_id: str, *_: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(read_sql, "run", broken)
    answer = _alike(apps, f"/v1/runs/{world['runs']['dict'].id}", served=False)
    assert answer["status"] == 200  # Django's own read still answers


def test_a_mounted_server_goes_on_to_django(apps: dict, world: dict) -> None:
    path = f"/v1/runs/{world['runs']['dict'].id}"
    _alike(apps, path, served=False, root_path="/v1")


def test_on_sqlite_the_reads_are_answered_on_the_loop_without_the_pool(
    apps: dict, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """read_sql.LoopReads: on SQLite no read is handed to the pool's threads (each hand-over
    was a few thread switches); the answers stay Django's."""
    if connection.vendor != "sqlite":
        pytest.skip("a server database is read on the pool")
    _refuse_the_pool(apps, monkeypatch)
    _alike(apps, f"/v1/runs/{world['runs']['dict'].id}")
    _alike(apps, f"/v1/events/{world['events']['busy'].id}/runs")
    _alike(apps, "/v1/runs/01UNKNOWN0000000000000000", served=True)


def test_on_sqlite_big_rows_are_decoded_on_the_pool_not_the_loop(
    apps: dict, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past read_sql.LOOP_MAX_BYTES of text (a large output to decode) the read goes to the
    pool, so one big answer does not hold every other connection; the answer is the same."""
    if connection.vendor != "sqlite":
        pytest.skip("a server database is read on the pool")
    function = world["runs"]["dict"].function
    big = _run(function, None, "Completed", T0, T0, {"text": "x" * read_sql.LOOP_MAX_BYTES})
    path = f"/v1/runs/{big.id}"
    assert _alike(apps, path)["status"] == 200  # served by the route, on its pool
    _refuse_the_pool(apps, monkeypatch)
    _alike(apps, path, served=False)  # the pool refuses: Django answers, the same
    _alike(apps, f"/v1/runs/{world['runs']['dict'].id}")  # a small read stays on the loop


def test_on_sqlite_a_busy_database_is_read_on_the_pool(
    apps: dict, world: dict, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop never waits on SQLite (busy_timeout 0): when its connection is answered
    "database is locked", the pool reads instead, and the answer is still the route's own.
    Here the loop's connection is to a database another connection holds in exclusive
    locking mode, which makes SQLite refuse every read on it."""
    if connection.vendor != "sqlite":
        pytest.skip("a server database is read on the pool")
    locked = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("CREATE TABLE held (x)")  # the write takes the lock, kept until close
    on_loop = apps["lean"].on_loop
    refused = read_sql._open_read_only({"database": f"file:{locked}?mode=ro", "uri": True})
    monkeypatch.setattr(on_loop, "_connection", refused)
    try:
        with pytest.raises(read_sql.LoopReads.UsePool, match="locked"):
            read_sql.run(world["runs"]["dict"].id, on_loop)
        _alike(apps, f"/v1/runs/{world['runs']['dict'].id}")  # served: on the pool
        _alike(apps, f"/v1/events/{world['events']['busy'].id}/runs")
        _refuse_the_pool(apps, monkeypatch)
        _alike(apps, f"/v1/runs/{world['runs']['dict'].id}", served=False)
    finally:
        refused.close()
        holder.close()


def _refuse_the_pool(apps: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lean route's pool refuses work: a read handed to it goes on to Django."""
    closed = ThreadPoolExecutor(max_workers=1)
    closed.shutdown()  # submitting to it raises
    monkeypatch.setattr(apps["lean"], "pool", closed)

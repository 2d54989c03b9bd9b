"""The lean run-status reads (devserver/read_route.py) answer as console/api/v1.py's views do.

Each request goes once through the lean route and once through Django alone, over the same
rows and a frozen clock, and the answers must be equal: status, every header and the body byte
for byte. Runs in each status with outputs and errors, events with no, one and many runs
(debounced and batched runs named by a Decision), unknown and malformed ids, the open dev
server and a login-required one with each kind of credential. What the route must leave to
Django (a cookie, no credential, a body, a NUL, an odd Host, another method or path) is
checked to have reached Django."""

import threading
from typing import Any

import pytest
from django.db import connection

from devserver import read_sql
from devserver.read_route import READ_THREADS
from runs import signing
from runs.models import RunStatus
from tests.integration.lean_reads.calls import KEY, alike

pytestmark = pytest.mark.django_db(transaction=True)  # the route's threads have connections


def test_a_run_in_each_status_reads_the_same(apps: dict, world: dict) -> None:
    for name, run in world["runs"].items():
        answer = alike(apps, f"/v1/runs/{run.id}")
        assert answer["status"] == 200, name
        assert f'"run_id": "{run.id}"'.encode() in answer["body"]
    failed = alike(apps, f"/v1/runs/{world['runs']['failed-error'].id}")
    assert b'"output": {"message": "boom"}' in failed["body"]  # a failed run shows its error


def test_an_event_with_no_one_or_many_runs_reads_the_same(apps: dict, world: dict) -> None:
    counts = {}
    for name, event in world["events"].items():
        answer = alike(apps, f"/v1/events/{event.id}/runs")
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
        assert alike(apps, path)["status"] == 404


def test_with_login_required_the_raw_signing_key_reads_the_same(
    apps: dict, world: dict, settings: Any
) -> None:
    settings.REQUIRE_LOGIN, settings.SIGNING_KEY, settings.SIGNING_KEY_FALLBACK = True, KEY, ""
    run, event = world["runs"]["dict"], world["events"]["busy"]
    for bearer in (KEY, KEY.removeprefix("signkey-test-")):
        headers = [(b"host", b"testserver"), (b"authorization", f"Bearer {bearer}".encode())]
        assert alike(apps, f"/v1/runs/{run.id}", headers=headers)["status"] == 200
        assert alike(apps, f"/v1/events/{event.id}/runs", headers=headers)["status"] == 200


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
    answer = alike(apps, f"/v1/runs/{world['runs']['dict'].id}", served=False, headers=headers)
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
    answer = alike(apps, f"/v1/runs/{world['runs']['dict'].id}", served=False, **request_)
    if b"cookie" in dict(request_.get("headers", [])):
        assert ("set-cookie", "csrftoken") in answer["headers"]  # why a cookie goes on


@pytest.mark.parametrize("path", ["/v1/runs/{run}/", "/v1/runs/{run}/metadata", "/v1/runs/"])
def test_other_paths_go_on_to_django(apps: dict, world: dict, path: str) -> None:
    alike(apps, path.format(run=world["runs"]["dict"].id), served=False)


def test_a_query_other_than_wait_goes_to_django_which_ignores_it(apps: dict, world: dict) -> None:
    assert (
        alike(apps, f"/v1/runs/{world['runs']['dict'].id}", query=b"a=1", served=False)["status"]
        == 200
    )


@pytest.mark.parametrize("query", [b"wait=0", b"wait=2.5", b"wait=30"])
def test_a_wait_on_ended_runs_is_answered_at_once_as_django_answers(
    apps: dict, world: dict, query: bytes
) -> None:
    """An ended run (and an unknown one) is settled: held for nothing, the same bytes."""
    assert alike(apps, f"/v1/runs/{world['runs']['dict'].id}", query=query)["status"] == 200
    assert alike(apps, f"/v1/events/{world['events']['lone'].id}/runs", query=query)
    assert alike(apps, "/v1/runs/01NOSUCHRUN", query=query)["status"] == 404


@pytest.mark.parametrize("query", [b"wait=31", b"wait=-1", b"wait=soon", b"wait="])
def test_a_wait_out_of_range_is_refused_by_django_on_both_paths(
    apps: dict, world: dict, query: bytes
) -> None:
    answer = alike(apps, f"/v1/runs/{world['runs']['dict'].id}", query=query, served=False)
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
        assert alike(apps, path)["status"] == 200


def test_a_read_that_fails_goes_on_to_django(
    apps: dict, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(run_id: str, *_: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(read_sql, "run", broken)
    answer = alike(apps, f"/v1/runs/{world['runs']['dict'].id}", served=False)
    assert answer["status"] == 200  # Django's own read still answers


def test_a_mounted_server_goes_on_to_django(apps: dict, world: dict) -> None:
    path = f"/v1/runs/{world['runs']['dict'].id}"
    alike(apps, path, served=False, root_path="/v1")

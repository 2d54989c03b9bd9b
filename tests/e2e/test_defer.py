"""defer() through the official JS SDK (npm `inngest` 4.24.0, `createDefer` from
`inngest/experimental`; 3.54.2 and PyPI `inngest` 0.5.19 have no defer()): the deferred
function runs once its parent run has ended, with the data given and the parent's run id; an
aborted defer never runs; a parent that fails still starts its defers. The app is
tests/apps/js/defer_app.mjs; it checkpoints (the server offers it), so its defers reach us in
checkpoints and in answers both."""

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests.harness import APPS, STAGING, DevServer, Process, cloud_mode_env, free_port, wait_until

APP_ID = "defer-js4"
SCORER = f"{APP_ID}-scorer"


@pytest.fixture(scope="module")
def defer_app(
    server: DevServer, tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[str]:
    work = tmp_path_factory.mktemp("defer")
    port = free_port()
    env = {
        "APP_ID": APP_ID,
        "PORT": str(port),
        "INNGEST_DEV": "1",
        "INNGEST_BASE_URL": server.url,
        **(cloud_mode_env(server.url) if STAGING else {}),
    }
    process = Process(APP_ID, ["node", str(APPS / "js" / "defer_app.mjs")], env, work).start()
    try:
        url = f"http://127.0.0.1:{port}/api/inngest"
        wait_until(lambda: _serving(url), 30, "the defer app to serve")
        assert server.http.post("/api/apps", json={"url": url}).status_code == 202
        wait_until(lambda: SCORER in _functions(server), 60, "the defer app to sync")
        yield APP_ID
    finally:
        process.stop()
        (artifacts / "defer-app.log").write_text(process.output())


def _serving(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code in (200, 401)
    except httpx.TransportError:
        return False


def _functions(server: DevServer) -> set[str]:
    return {f["slug"] for f in server.http.get("/api/functions").json()}


def _schedule_events_of(server: DevServer, parent_id: str) -> list[dict]:
    page = server.http.get("/v1/events", params={"name": "inngest/deferred.schedule"}).json()
    return [e for e in page["data"] if e["data"]["_inngest"]["parent_run_id"] == parent_id]


def _scorer_runs_of(server: DevServer, parent_id: str) -> list[dict]:
    runs = server.runs_matching(function=SCORER)
    return [r for r in runs if (r["output"] or {}).get("parent") == parent_id]


def test_a_deferred_function_runs_once_its_parent_ended_and_an_aborted_one_never(
    server: DevServer, defer_app: str
):
    [event_id] = server.send({"name": f"{defer_app}/defer", "data": {"user": "ada"}})
    parent = server.wait_run(event_id, f"{defer_app}-defer", timeout=60)
    assert parent["status"] == "Completed" and parent["output"] == "done", parent
    steps = sorted(s["name"] for s in parent["steps"])
    assert steps == ["one", "three", "two"]  # a defer is no step of the run

    [scorer] = wait_until(
        lambda: [r for r in _scorer_runs_of(server, parent["id"]) if r["status"] == "Completed"],
        60,
        "the deferred run to complete",
    )
    assert scorer["output"] == {"user": "ada", "parent": parent["id"]}
    queued, ended = (datetime.fromisoformat(t) for t in (scorer["queued_at"], parent["ended_at"]))
    assert queued >= ended
    detail = server.run(scorer["id"])
    assert [s["name"] for s in detail["steps"]] == ["score"]
    # One schedule event for this parent: the aborted defer ("never") was never scheduled.
    scheduled = _schedule_events_of(server, parent["id"])
    assert [e["data"]["user"] for e in scheduled] == ["ada"]


def test_a_parent_that_fails_still_starts_its_defers(server: DevServer, defer_app: str):
    [event_id] = server.send({"name": f"{defer_app}/defer-fail", "data": {"user": "bob"}})
    parent = server.wait_run(event_id, f"{defer_app}-defer-fail", timeout=60)
    assert parent["status"] == "Failed", parent
    assert "parent broke" in parent["error"]["message"]

    [scorer] = wait_until(
        lambda: [r for r in _scorer_runs_of(server, parent["id"]) if r["status"] == "Completed"],
        60,
        "the deferred run of the failed parent to complete",
    )
    assert scorer["output"] == {"user": "bob", "parent": parent["id"]}

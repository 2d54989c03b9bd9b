"""Durability: the database is the truth. Restarts and killed workers lose no run and never
re-run a completed step."""

from pathlib import Path

import pytest
import redis

from .harness import STAGING, DevServer, SdkApp, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def pair(tmp_path: Path):
    # Short leases so a killed worker's item is taken over within seconds.
    server = DevServer(tmp_path, env={"DEVSERVER_LEASE_SECONDS": "2"})
    app = SdkApp("py", server.url, tmp_path, app_id="durable-app")
    server.sdk_urls = [app.url]
    app.start()
    server.start()
    server.wait_synced(app, 8)
    yield server, app
    server.stop()
    app.process.stop()


def test_run_sleeping_across_a_restart_wakes_and_completes(pair):
    server, app = pair
    [event_id] = server.send({"name": app.event("sleep"), "data": {"seconds": 4}})
    server.wait_run(event_id, app.slug("sleepy"), {"Sleeping"})

    server.kill()  # no graceful shutdown at all
    server.start()

    run = server.wait_run(event_id, app.slug("sleepy"), timeout=30)
    assert run["status"] == "Completed" and run["output"] == "done"
    assert app.log_lines().count("step:after") == 1


def test_worker_killed_mid_step_resumes_without_rerunning_completed_steps(pair, tmp_path):
    server, app = pair
    gate = tmp_path / "gate"
    [event_id] = server.send({"name": app.event("blocking"), "data": {"gate": str(gate)}})
    wait_until(lambda: "step:wait" in app.log_lines(), 20, "the blocking step to start")

    server.kill()  # the worker dies while the SDK is inside step "wait"
    gate.touch()  # the in-flight step finishes, but nobody is there to store its result
    server.start()

    run = server.wait_run(event_id, app.slug("blocking"), timeout=30)
    assert run["status"] == "Completed" and run["output"] == "done"
    lines = app.log_lines()
    assert lines.count("step:first") == 1  # completed before the kill: never again
    assert lines.count("step:wait") == 2  # in flight at the kill: at-least-once
    assert lines.count("step:last") == 1
    assert [s["name"] for s in run["steps"]] == ["first", "wait", "last"]


@pytest.mark.skipif(not STAGING, reason="the queue is Redis only in staging mode")
def test_wake_ups_lost_with_a_flushed_redis_are_recovered_from_the_database(pair):
    server, app = pair
    event_ids = server.send([{"name": app.event("sleep"), "data": {"seconds": 2}}] * 5)
    for event_id in event_ids:
        server.wait_run(event_id, app.slug("sleepy"), {"Sleeping"})

    redis.Redis.from_url(server.env["REDIS_URL"]).flushdb()  # every queued wake-up is gone

    for event_id in event_ids:
        run = server.wait_run(event_id, app.slug("sleepy"), timeout=40)
        assert run["status"] == "Completed" and run["output"] == "done"
    assert app.log_lines().count("step:after") == 5

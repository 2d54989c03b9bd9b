"""Durability: the database is the truth. Restarts and killed workers lose no run and never
re-run a completed step."""

from pathlib import Path

import pytest
import redis

from tests.faults.injection import steps_run_after_stored
from tests.faults.pair import python_pair
from tests.harness import STAGING, wait_until

# The sleeps the faults land in: seen asleep and faulted well before they end, however slow
# the machine (a 2-4 s sleep could end before the test saw it asleep, and that wait failed).
NAP_SECONDS = 10


@pytest.fixture
def pair(tmp_path: Path):
    # Short leases so a killed worker's item is taken over within seconds.
    with python_pair(tmp_path, "durable-app", {"DEVSERVER_LEASE_SECONDS": "2"}) as pair:
        yield pair


def test_run_sleeping_across_a_restart_wakes_and_completes(pair):
    server, app = pair
    [event_id] = server.send({"name": app.event("sleep"), "data": {"seconds": NAP_SECONDS}})
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
    event_ids = server.send([{"name": app.event("sleep"), "data": {"seconds": NAP_SECONDS}}] * 5)
    for event_id in event_ids:
        server.wait_run(event_id, app.slug("sleepy"), {"Sleeping"})

    redis.Redis.from_url(server.env["REDIS_URL"]).flushdb()  # every queued wake-up is gone

    for event_id in event_ids:
        run = server.wait_run(event_id, app.slug("sleepy"), timeout=40)
        assert run["status"] == "Completed" and run["output"] == "done"
    assert app.log_lines().count("step:after") == 5


def test_web_process_killed_while_runs_sleep_and_wait_loses_no_event(pair):
    server, app = pair
    keys = ["k0", "k1", "k2"]
    sleeping = server.send([{"name": app.event("sleep"), "data": {"seconds": NAP_SECONDS}}] * 3)
    waiting = server.send([{"name": app.event("await"), "data": {"key": k}} for k in keys])
    for event_id in sleeping:
        server.wait_run(event_id, app.slug("sleepy"), {"Sleeping"})
    for event_id in waiting:
        server.wait_run(event_id, app.slug("await-signal"), {"Waiting"})
    soak = [{"name": app.event("soak"), "data": {"key": f"m{n}"}} for n in range(3)]
    last_moment = server.send(soak)

    server.kill_web()  # SIGKILL; staging: the workers and beat keep going
    if STAGING:
        wait_until(
            lambda: app.log_lines().count("step:after") == 3,
            30,
            "the sleeping runs to wake while the web process is down",
        )
    server.start_web()

    for event_id in [*sleeping, *last_moment]:  # every event sent before the kill is kept
        assert server.http.get(f"/v1/events/{event_id}").status_code == 200
    for event_id in sleeping:
        assert server.wait_run(event_id, app.slug("sleepy"))["output"] == "done"
    runs = [server.wait_run(event_id, app.slug("soak")) for event_id in last_moment]
    lines = app.log_lines()
    for n, run in enumerate(runs):  # in flight at the kill: at least once, never after stored
        assert run["status"] == "Completed", run
        assert steps_run_after_stored(lines, f"m{n}", run["steps"]) == []
    server.send([{"name": app.event("signal"), "data": {"key": k}} for k in keys])
    for key, event_id in zip(keys, waiting, strict=True):
        run = server.wait_run(event_id, app.slug("await-signal"))
        assert run["status"] == "Completed" and run["output"] == {"signal": {"key": key}}
    lines = app.log_lines()
    assert lines.count("step:after") == 3
    for key in keys:  # each completed step ran once
        assert lines.count(f"await:{key}:before") == 1 and lines.count(f"await:{key}:after") == 1

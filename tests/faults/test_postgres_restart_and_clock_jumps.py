"""Faults outside the server's control: PostgreSQL restarting under running work, and the
clock jumping forward or back. Every run still ends, and no stored step runs again."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.faults.injection import restart_postgres, steps_run_after_stored
from tests.faults.pair import python_pair
from tests.harness import (
    STAGING,
    DevServer,
    SdkApp,
    wait_until,
)

# A sleep the test sees and jumps the clock under before it ends, however slow the machine;
# jumped back this far, it comes due by the server's clock long after it did by the wall's.
NAP_SECONDS = 10
JUMP_BACK_SECONDS = 20


def _env(tmp_path: Path) -> dict[str, str]:
    # Short leases so work held by a lost connection or a lapsed lease moves on quickly.
    return {
        "DEVSERVER_LEASE_SECONDS": "2",
        "DEVSERVER_CLOCK_OFFSET_FILE": str(tmp_path / "clock-offset"),
    }


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[DevServer, SdkApp]]:
    with python_pair(tmp_path, "fault-app", _env(tmp_path)) as pair:
        yield pair


@pytest.fixture
def no_reconciler_pair(tmp_path: Path) -> Iterator[tuple[DevServer, SdkApp]]:
    """As `pair`, with the reconciler an hour apart: nothing re-dispatches a lost wake-up."""
    env = {**_env(tmp_path), "DEVSERVER_RECONCILE_INTERVAL": "3600"}
    with python_pair(tmp_path, "fault-app", env) as pair:
        yield pair


def _soak_events(app: SdkApp, prefix: str, kind: str, count: int) -> list[dict]:
    # A `sleepy` soak sleeps 10 s: the test sees each asleep well before it ends.
    data = {"kind": kind, "seconds": NAP_SECONDS}
    return [
        {"name": app.event("soak"), "data": {"key": f"{prefix}{n}", **data}} for n in range(count)
    ]


def _assert_soak_runs_completed_once(
    server: DevServer, app: SdkApp, event_ids: list[str], keys: list[str]
) -> None:
    runs = [server.wait_run(event_id, app.slug("soak"), timeout=90) for event_id in event_ids]
    lines = app.log_lines()
    for key, run in zip(keys, runs, strict=True):
        assert run["status"] == "Completed", run
        assert steps_run_after_stored(lines, key, run["steps"]) == [], (key, run["steps"])


@pytest.mark.skipif(not STAGING, reason="PostgreSQL serves the staging mode only")
def test_postgres_restart_under_running_work_loses_no_run(pair, tmp_path: Path):
    server, app = pair
    gate = tmp_path / "gate"
    [blocked] = server.send({"name": app.event("blocking"), "data": {"gate": str(gate)}})
    sleepers = _soak_events(app, "s", "sleepy", 4)
    sleeping = server.send(sleepers)
    for event_id in sleeping:
        server.wait_run(event_id, app.slug("soak"), {"Sleeping"})
    wait_until(lambda: "step:wait" in app.log_lines(), 20, "the blocking step to start")
    busy = _soak_events(app, "b", "multi", 6)
    in_flight = server.send(busy)

    restart_postgres(down_seconds=3)  # every connection of web and workers is cut
    gate.touch()
    after = _soak_events(app, "a", "multi", 3)
    later = server.send(after)  # the web process reconnects by itself

    keys = [event["data"]["key"] for event in [*sleepers, *busy, *after]]
    _assert_soak_runs_completed_once(server, app, [*sleeping, *in_flight, *later], keys)
    run = server.wait_run(blocked, app.slug("blocking"), timeout=60)
    assert run["status"] == "Completed" and run["output"] == "done"
    lines = app.log_lines()
    assert lines.count("step:first") == 1 and lines.count("step:last") == 1
    _assert_leases_renewed_again(server, app, tmp_path / "gate-after")


def _assert_leases_renewed_again(server: DevServer, app: SdkApp, gate: Path) -> None:
    """A step lasting several leases, started after the restart, runs once: the workers'
    lease heartbeats reconnected too (else the reconciler hands the step to another worker)."""
    calls = app.log_lines().count("step:wait")
    [event_id] = server.send({"name": app.event("blocking"), "data": {"gate": str(gate)}})
    wait_until(lambda: app.log_lines().count("step:wait") > calls, 20, "the long step to start")
    time.sleep(8)  # four leases of 2 s
    gate.touch()
    assert server.wait_run(event_id, app.slug("blocking"), timeout=30)["status"] == "Completed"
    assert app.log_lines().count("step:wait") == calls + 1


def _jump(offset_file: Path, seconds: float) -> None:
    """Move every server process's clock by `seconds` (written atomically)."""
    current = float(offset_file.read_text() or 0) if offset_file.exists() else 0.0
    scratch = offset_file.with_suffix(".tmp")
    scratch.write_text(str(current + seconds))
    scratch.replace(offset_file)


def test_clock_jumping_back_wakes_nothing_early_and_resends_the_early_wake_up(
    no_reconciler_pair, tmp_path: Path
):
    """Back: a sleep due by the app's clock is not due until the server's clock gets there.
    The reconciler is off, so the run wakes at all only because the wake-up that came early
    (before the jump) was sent again for the right time (the reconciler's re-dispatch would be
    ~10 s late; no time bound tells the two apart under load, its absence does)."""
    server, app = no_reconciler_pair
    offset = tmp_path / "clock-offset"
    [short] = server.send({"name": app.event("sleep"), "data": {"seconds": NAP_SECONDS}})
    asleep = server.wait_run(short, app.slug("sleepy"), {"Sleeping"})
    busy = server.send(_soak_events(app, "j", "multi", 3))
    _jump(offset, -JUMP_BACK_SECONDS)
    [nap] = [step for step in asleep["steps"] if step["name"] == "nap"]
    due_by_the_wall = _at(nap["wake_at"]) + timedelta(seconds=3)
    wait_until(lambda: datetime.now(UTC) > due_by_the_wall, 60, "the nap's wall-clock due time")
    assert server.run(asleep["id"])["status"] == "Sleeping"  # it must not have woken
    run = server.wait_run(short, app.slug("sleepy"), timeout=90)
    assert run["status"] == "Completed" and app.log_lines().count("step:after") == 1
    [nap] = [step for step in run["steps"] if step["name"] == "nap"]
    assert _at(nap["ended_at"]) >= _at(nap["wake_at"])  # on the server's clock
    _assert_soak_runs_completed_once(server, app, busy, ["j0", "j1", "j2"])


def test_clock_jumping_forward_wakes_a_long_sleep_and_ends_every_run(pair, tmp_path: Path):
    """Forward: an hour-long sleep is due at once; leases lapse under a step in flight."""
    server, app = pair
    offset = tmp_path / "clock-offset"
    [hour] = server.send({"name": app.event("sleep"), "data": {"seconds": 3600}})
    server.wait_run(hour, app.slug("sleepy"), {"Sleeping"})
    gate = tmp_path / "gate"
    [blocked] = server.send({"name": app.event("blocking"), "data": {"gate": str(gate)}})
    wait_until(lambda: "step:wait" in app.log_lines(), 20, "the blocking step to start")
    _jump(offset, 7200)
    assert server.wait_run(hour, app.slug("sleepy"), timeout=30)["output"] == "done"
    gate.touch()
    run = server.wait_run(blocked, app.slug("blocking"), timeout=60)
    assert run["status"] == "Completed", run
    lines = app.log_lines()
    assert lines.count("step:first") == 1 and lines.count("step:last") == 1
    assert lines.count("step:wait") in (1, 2)  # in flight as its lease lapsed
    assert lines.count("step:after") == 1


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))

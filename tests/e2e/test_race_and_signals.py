"""Race-mode parallel steps and signals through the official SDKs.

Race mode: JS 4.x (`group.parallel()` races by default) and Python 0.5.19
(`group.parallel(..., parallel_mode=RACE)`); JS 3.x has no parallel mode. The slow branch waits
for a gate file the test creates, so "the code after the race ran while the slow branch is
still running" is a state the test holds, not a timing."""

import uuid
from pathlib import Path

import pytest

from tests.harness import DevServer, SdkApp, wait_until

# What runs after the fast branch in each SDK's race function (tests/apps): JS 4.x runs the
# code after `Promise.race`, Python the fast branch's second step.
AFTER_STEP = {"js4": "after-race", "py": "after-fast"}


def _steps(run: dict) -> dict[str, dict]:
    return {s["name"]: s for s in run["steps"]}


@pytest.mark.parametrize("kind", ["js4", "py"])
def test_race_resumes_with_the_fastest_branch_while_the_slow_one_runs(
    server: DevServer, shared: dict, kind: str, tmp_path: Path
):
    app: SdkApp = shared["apps"][kind]
    app.clear_log()
    gate = tmp_path / "gate"
    [event_id] = server.send({"name": app.event("race"), "data": {"gate": str(gate)}})

    def after_ran_before_the_slow_branch_ended() -> dict | None:
        for summary in server.runs_for_event(event_id):
            run = server.run(summary["run_id"])
            if _steps(run).get(AFTER_STEP[kind], {}).get("status") == "Completed":
                return run
        return None

    running = wait_until(after_ran_before_the_slow_branch_ended, 30, "the step after the race")
    assert running["status"] == "Running"
    assert _steps(running)[AFTER_STEP[kind]]["memo"] == {"data": "fast"}
    assert _steps(running).get("slow", {}).get("status") != "Completed"
    assert "race:slow-done" not in app.log_lines()
    assert app.log_lines().count("race:after:fast") == 1

    gate.touch()
    run = server.wait_run(event_id, app.slug("race"))

    assert run["status"] == "Completed", run
    expected = (
        {"winner": "fast", "recorded": "fast"} if kind == "js4" else {"results": ["slow", "fast"]}
    )
    assert run["output"] == expected
    assert _steps(run)["slow"]["memo"] == {"data": "slow"}  # kept, though it lost the race
    assert app.log_lines().count("race:slow-done") == 1
    assert app.log_lines().count("race:after:fast") == 1


# Signals: JS 3.x and 4.x (`step.waitForSignal`, `step.sendSignal`, `inngest.sendSignal`); the
# Python SDK 0.5.19 has none.
JS_KINDS = ["js3", "js4"]


def _wait_for_signal(server: DevServer, app: SdkApp, signal: str, **data: str) -> str:
    [event_id] = server.send({"name": app.event("signal-wait"), "data": {"signal": signal, **data}})
    server.wait_run(event_id, app.slug("signal-waiter"), {"Waiting"})
    return event_id


@pytest.mark.parametrize("kind", JS_KINDS)
def test_a_signal_sent_by_a_step_resumes_the_waiting_run(server: DevServer, shared: dict, kind):
    app: SdkApp = shared["apps"][kind]
    signal = f"{kind}-order-{uuid.uuid4().hex[:8]}"
    waiting = _wait_for_signal(server, app, signal)

    [sent] = server.send(
        {"name": app.event("signal-send"), "data": {"signal": signal, "data": {"n": 7}}}
    )
    sender = server.wait_run(sent, app.slug("signal-sender"))
    waiter = server.wait_run(waiting, app.slug("signal-waiter"))

    assert sender["status"] == "Completed", sender
    assert sender["output"] == {"runId": waiter["id"], "nobody": None}
    assert waiter["status"] == "Completed"
    assert waiter["output"] == {"got": {"signal": signal, "data": {"n": 7}}}


@pytest.mark.parametrize("kind", JS_KINDS)
def test_a_signal_wait_times_out_with_null(server: DevServer, shared: dict, kind: str):
    app: SdkApp = shared["apps"][kind]
    signal = f"{kind}-late-{uuid.uuid4().hex[:8]}"
    [event_id] = server.send(
        {"name": app.event("signal-wait"), "data": {"signal": signal, "timeout": "2s"}}
    )
    run = server.wait_run(event_id, app.slug("signal-waiter"))
    assert run["status"] == "Completed" and run["output"] == {"got": None}


@pytest.mark.parametrize("kind", JS_KINDS)
def test_on_conflict_fail_fails_the_step_and_replace_takes_the_signal(
    server: DevServer, shared: dict, kind: str
):
    app: SdkApp = shared["apps"][kind]
    signal = f"{kind}-shared-{uuid.uuid4().hex[:8]}"
    _wait_for_signal(server, app, signal, timeout="10m")

    [failing] = server.send(
        {"name": app.event("signal-wait"), "data": {"signal": signal, "onConflict": "fail"}}
    )
    failed = server.wait_run(failing, app.slug("signal-waiter"))
    assert failed["status"] == "Completed" and "Signal conflict" in failed["output"]["error"]

    replacing = _wait_for_signal(server, app, signal, onConflict="replace")
    [sent] = server.send({"name": app.event("signal-send"), "data": {"signal": signal, "data": 1}})
    server.wait_run(sent, app.slug("signal-sender"))
    run = server.wait_run(replacing, app.slug("signal-waiter"))
    assert run["output"] == {"got": {"signal": signal, "data": 1}}

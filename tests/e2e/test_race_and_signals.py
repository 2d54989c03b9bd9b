"""Race-mode parallel steps and signals through the official SDKs.

Race mode: JS 4.x (`group.parallel()` races by default) and Python 0.5.19
(`group.parallel(..., parallel_mode=RACE)`); JS 3.x has no parallel mode. The slow branch waits
for a gate file the test creates, so "the code after the race ran while the slow branch is
still running" is a state the test holds, not a timing."""

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

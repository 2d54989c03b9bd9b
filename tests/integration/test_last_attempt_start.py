"""The start of a step's last attempt is stored (Step.attempt_started_at), so the run page draws
the final, successful attempt after retries from its own start, apart from the wait before it."""

from datetime import timedelta

from console.pages import trace
from console.pages.step_panel import build_panel
from runs.models import Attempt, RunStatus, StatusChange
from tests.integration.drive import TimeTravel, run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, ops, step_error, step_run


def test_the_last_attempt_after_a_retry_starts_when_its_call_began(
    fake_sdk: FakeSdk, time_travel: TimeTravel, settings
):
    settings.RETRY_BASE_SECONDS = 10  # a retry wait the trace must keep apart from the attempt
    fake_sdk.add_function(
        "fake-flaky",
        [ops(step_error("flaky", "try again")), ops(step_run("flaky", "ok")), completed("done")],
        retries=3,
    )
    fake_sdk.sync()
    [run] = send_event("test/go")
    run_until_quiet()
    time_travel.advance(60)
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED
    step = run.steps.get()
    [failure] = Attempt.objects.filter(run=run)
    assert step.attempt_started_at is not None
    assert step.attempt_started_at - failure.ended_at >= timedelta(seconds=5)  # after the wait
    assert step.started_at <= failure.started_at  # the step's own start stays the first one

    history = list(StatusChange.objects.filter(run_id=run.id, step_hashed_id=""))
    built = trace.build(run, [step], [failure], history, step.ended_at)
    row = next(r for r in built.rows if r.key == step.hashed_id)
    assert [s.kind for s in row.spans][-3:] == ["failed", "backoff", "running"]
    assert not any("not recorded" in s.tip for s in row.spans)
    panel = build_panel(step, row, [failure], run.started_at, step.ended_at)
    assert panel.attempts[-1].started_at == step.attempt_started_at

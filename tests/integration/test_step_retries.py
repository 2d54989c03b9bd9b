"""StepError and StepFailed: a step that throws is retried with the next `ctx.attempt`, each
failed attempt recorded; when the retries are spent the step fails for good and its error is
memoized for the function to handle; StepFailed from the SDK is final at once."""

from runs.models import Attempt, RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import (
    FakeSdk,
    completed,
    errored,
    hashed,
    ops,
    step_error,
    step_failed,
    step_run,
)


def test_a_step_error_is_retried_with_the_next_attempt_until_it_succeeds(fake_sdk: FakeSdk):
    fake_sdk.add_function(
        "fake-flaky",
        [ops(step_error("flaky", "try again")), ops(step_run("flaky", "ok")), completed("done")],
        retries=3,
    )
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED
    first, retry, resume = fake_sdk.calls()
    assert (first.attempt, retry.attempt, resume.attempt) == (0, 1, 0)
    assert first.ctx["max_attempts"] == 4
    step = run.steps.get()
    assert step.status == "Completed" and step.memo == {"data": "ok"} and step.attempts == 2
    [attempt] = Attempt.objects.filter(run=run)
    assert attempt.number == 0 and attempt.error["message"] == "try again"


def test_a_step_out_of_retries_fails_for_good_and_its_error_is_memoized(fake_sdk: FakeSdk):
    def answer(request):
        if hashed("flaky") in request.steps:
            return errored("gave up", no_retry=True)
        return ops(step_error("flaky", f"attempt {request.attempt}"))

    fake_sdk.add_function("fake-doomed", answer, retries=2)
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    calls = fake_sdk.calls()
    assert [c.attempt for c in calls] == [0, 1, 2, 0]
    assert calls[-1].steps == {
        hashed("flaky"): {"error": {"name": "Error", "message": "attempt 2"}}
    }
    assert run.steps.get().status == "Failed"
    assert Attempt.objects.filter(run=run).count() == 4  # three step attempts, one function
    assert run.status == RunStatus.FAILED and run.error["message"] == "gave up"


def test_step_failed_is_final_without_a_retry(fake_sdk: FakeSdk):
    fake_sdk.add_function(
        "fake-final", [ops(step_failed("charge", "card declined")), completed("handled")], retries=3
    )
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.output == "handled"
    _, resume = fake_sdk.calls()
    assert resume.steps == {
        hashed("charge"): {"error": {"name": "Error", "message": "card declined"}}
    }
    assert run.steps.get().attempts == 1

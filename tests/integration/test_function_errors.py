"""A function that throws (500): retried with backoff and the next attempt; NonRetriableError
(`X-Inngest-No-Retry: true`) fails the run at once; `Retry-After` sets when the next attempt
is due; out of retries the run fails after exactly retries + 1 calls."""

from datetime import timedelta

from foundation import clock
from runs.models import Attempt, RunStatus
from tests.integration.drive import TimeTravel, run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, errored


def test_a_thrown_error_is_retried_then_the_run_completes(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-oops", [errored("oops"), completed("fine")], retries=1)
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.output == "fine"
    assert [c.attempt for c in fake_sdk.calls()] == [0, 1]
    [attempt] = Attempt.objects.filter(run=run)
    assert attempt.error == {"name": "Error", "message": "oops"}


def test_a_non_retriable_error_fails_the_run_after_one_call(fake_sdk: FakeSdk):
    fake_sdk.add_function(
        "fake-fatal", [errored("bad input", name="NonRetriableError", no_retry=True)], retries=4
    )
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error == {"name": "NonRetriableError", "message": "bad input"}
    assert len(fake_sdk.calls()) == 1 and not run.queue_items.exists()


def test_retry_after_makes_the_next_attempt_due_then(fake_sdk: FakeSdk, time_travel: TimeTravel):
    fake_sdk.add_function(
        "fake-later", [errored("busy", retry_after="120"), completed("done")], retries=2
    )
    fake_sdk.sync()

    before = clock.now()
    [run] = send_event("test/go")
    run_until_quiet()
    [item] = run.queue_items.all()
    assert before + timedelta(seconds=120) <= item.due_at <= clock.now() + timedelta(seconds=120)
    assert item.attempt == 1 and len(fake_sdk.calls()) == 1

    time_travel.advance(121)
    run_until_quiet()
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED


def test_out_of_retries_the_run_fails_after_retries_plus_one_calls(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-always", lambda request: errored("still broken"), retries=3)
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.error["message"] == "still broken"
    assert [c.attempt for c in fake_sdk.calls()] == [0, 1, 2, 3]
    assert Attempt.objects.filter(run=run).count() == 4
    assert not run.queue_items.exists()

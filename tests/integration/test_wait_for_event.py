"""WaitForEvent: the run waits; a matching event (by name and `if`) resumes it with that
event as the step's memo; an event that does not match leaves it waiting; the timeout
resumes it with null."""

from runs.models import RunStatus
from tests.integration.drive import TimeTravel, run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, hashed, ops, wait_for_event

WAIT = wait_for_event("approval", "test/approved", "1h", if_="event.data.id == async.data.id")


def _waiting_run(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-waiter", [ops(WAIT), completed("resumed")])
    fake_sdk.sync()
    [run] = send_event("test/go", {"id": 7})
    run_until_quiet()
    run.refresh_from_db()
    assert run.status == RunStatus.WAITING
    return run


def test_a_matching_event_resumes_the_run_with_that_event(fake_sdk: FakeSdk):
    run = _waiting_run(fake_sdk)

    send_event("test/approved", {"id": 8})  # another id: not ours
    run_until_quiet()
    run.refresh_from_db()
    assert run.status == RunStatus.WAITING and len(fake_sdk.calls()) == 1

    send_event("test/approved", {"id": 7, "by": "ana"})
    run_until_quiet()
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED
    memo = fake_sdk.calls()[-1].steps[hashed("approval")]
    assert memo["name"] == "test/approved" and memo["data"] == {"id": 7, "by": "ana"}


def test_a_wait_that_times_out_resumes_with_null(fake_sdk: FakeSdk, time_travel: TimeTravel):
    run = _waiting_run(fake_sdk)

    time_travel.advance(3601)
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED
    assert fake_sdk.calls()[-1].steps == {hashed("approval"): None}

"""Sleep: the run parks as Sleeping with its item due at the wake-up (an ISO time from the
Python SDK, a duration from the JS SDK); nothing calls the app before then; afterwards the
sleep is memoized as null and the run goes on."""

from datetime import timedelta

import pytest

from foundation import clock
from runs.models import RunStatus
from tests.integration.drive import TimeTravel, run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, hashed, ops, sleep


@pytest.mark.parametrize("target", ["iso", "duration"])
def test_a_sleeping_run_wakes_at_its_time_with_the_sleep_memoized_as_null(
    fake_sdk: FakeSdk, time_travel: TimeTravel, target: str
):
    before = clock.now()
    until = (before + timedelta(seconds=30)).isoformat() if target == "iso" else "30s"
    fake_sdk.add_function("fake-sleepy", [ops(sleep("nap", until)), completed("rested")])
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet()
    run.refresh_from_db()
    assert run.status == RunStatus.SLEEPING
    [item] = run.queue_items.all()
    assert before + timedelta(seconds=30) <= item.due_at <= clock.now() + timedelta(seconds=30)

    time_travel.advance(10)
    run_until_quiet()
    assert len(fake_sdk.calls()) == 1  # not yet

    time_travel.advance(25)
    run_until_quiet()
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.output == "rested"
    assert fake_sdk.calls()[-1].steps == {hashed("nap"): {"data": None}}
    assert run.steps.get().status == "Completed"

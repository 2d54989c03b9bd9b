"""A run cancelled while its step is in flight: the step's answer arrives after the cancel and
nothing of it is stored; the run stays Cancelled and the app is not called again."""

from runs.cancellation import cancel_run
from runs.models import QueueItem, RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, SdkRequest, ops, step_run


def test_the_answer_of_a_step_in_flight_at_cancel_is_not_stored(fake_sdk: FakeSdk):
    def cancel_then_answer(request: SdkRequest):
        cancel_run(request.ctx["run_id"], "operator pressed cancel")  # while the step runs
        return ops(step_run("charge", "charged"))

    fake_sdk.add_function("fake-cancelled", cancel_then_answer)
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert run.error == {"name": "RunCancelled", "message": "operator pressed cancel"}
    assert not run.steps.exists()
    assert not QueueItem.objects.filter(run=run).exists()
    assert len(fake_sdk.calls()) == 1

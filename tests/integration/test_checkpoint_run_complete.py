"""RunComplete (JS SDK v4 checkpointing): the steps reported with it are stored, then the run
completes with the returned data, in one request."""

from runs.models import RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, hashed, ops, run_complete, step_run


def test_run_complete_stores_the_buffered_steps_and_completes_the_run(fake_sdk: FakeSdk):
    fake_sdk.add_function(
        "fake-checkpointed",
        [ops(step_run("a", 1), step_run("b", 2), run_complete({"sum": 3}))],
    )
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.output == {"sum": 3}
    steps = run.steps.order_by("position").values_list("hashed_id", "memo")
    assert list(steps) == [(hashed("a"), {"data": 1}), (hashed("b"), {"data": 2})]
    assert len(fake_sdk.calls()) == 1

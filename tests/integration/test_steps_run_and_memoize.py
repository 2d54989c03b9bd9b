"""StepRun: each step's output is stored once, in order, and sent back memoized on every later
call; the function's return value (200) completes the run."""

from runs.models import RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, hashed, ops, step_run


def test_each_step_output_is_memoized_and_replayed_until_the_run_completes(fake_sdk: FakeSdk):
    fake_sdk.add_function(
        "fake-two-steps",
        [ops(step_run("one", 1)), ops(step_run("two", {"n": 2})), completed("done")],
    )
    fake_sdk.sync()

    [run] = send_event("test/go", {"x": 1})
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.output == "done"
    steps = list(run.steps.order_by("position").values_list("hashed_id", "status", "memo"))
    assert steps == [
        (hashed("one"), "Completed", {"data": 1}),
        (hashed("two"), "Completed", {"data": {"n": 2}}),
    ]
    first, second, third = fake_sdk.calls("fake-two-steps")
    assert first.steps == {} and first.body["event"]["data"] == {"x": 1}
    assert second.steps == {hashed("one"): {"data": 1}}
    assert third.steps == {hashed("one"): {"data": 1}, hashed("two"): {"data": {"n": 2}}}
    assert third.stack == [hashed("one"), hashed("two")]
    assert [c.attempt for c in (first, second, third)] == [0, 0, 0]
    assert {c.step_id for c in (first, second, third)} == {"step"}

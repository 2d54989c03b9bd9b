"""The state gateway: a status change that lost its race writes nothing and says so; a finished
step never changes; every change leaves one history row in the same transaction."""

import pytest

from runs import states
from runs.models import Run, StatusChange, Step
from runs.statuses import RunStatus, StepStatus, Subject
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, hashed, ops, step_run


def _queued_run(fake_sdk: FakeSdk) -> Run:
    fake_sdk.add_function("fake-gateway", [completed("done")])
    fake_sdk.sync()
    [run] = send_event("test/go")
    return run


def _history(run: Run, subject: str = Subject.RUN) -> list[tuple[str, str]]:
    changes = StatusChange.objects.filter(run=run, subject=subject).order_by("id")
    return list(changes.values_list("from_status", "to_status"))


def test_a_change_that_lost_its_race_writes_nothing_and_returns_false(fake_sdk: FakeSdk):
    run = _queued_run(fake_sdk)
    operator_copy, worker_copy = Run.objects.get(pk=run.pk), Run.objects.get(pk=run.pk)

    assert states.try_move_run(operator_copy, RunStatus.CANCELLED, error={"name": "RunCancelled"})
    # The worker still believes the run is queued: its completion must not overwrite the cancel.
    assert not states.try_move_run(worker_copy, RunStatus.COMPLETED, output="late")

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and run.output is None
    assert worker_copy.status == RunStatus.QUEUED  # nothing applied in memory either
    assert _history(run) == [("", RunStatus.QUEUED), (RunStatus.QUEUED, RunStatus.CANCELLED)]


def test_move_run_raises_lost_race_so_the_callers_transaction_rolls_back(fake_sdk: FakeSdk):
    run = _queued_run(fake_sdk)
    states.move_run(Run.objects.get(pk=run.pk), RunStatus.FAILED, error={"name": "Error"})

    with pytest.raises(states.LostRace):
        states.move_run(run, RunStatus.RUNNING)


def test_an_ended_run_never_moves_again(fake_sdk: FakeSdk):
    run = _queued_run(fake_sdk)
    states.move_run(run, RunStatus.COMPLETED, output=1)

    for status in RunStatus:
        if status != RunStatus.QUEUED:  # nothing leads back to Queued at all
            assert not states.try_move_run(Run.objects.get(pk=run.pk), status)
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.output == 1


def test_a_change_to_a_status_nothing_allows_is_a_bug_not_a_race(fake_sdk: FakeSdk):
    run = _queued_run(fake_sdk)
    with pytest.raises(states.InvalidTransition):
        states.try_move_run(run, RunStatus.QUEUED)


def test_a_memoized_step_output_is_write_once(fake_sdk: FakeSdk):
    run = _queued_run(fake_sdk)
    first = states.record_step(
        run, StepStatus.COMPLETED, hashed_id="a", name="a", opcode="StepRun",
        memo={"data": 1}, started_at=run.queued_at,
    )  # fmt: skip
    second = states.record_step(
        run, StepStatus.COMPLETED, hashed_id="a", name="a", opcode="StepRun",
        memo={"data": 2}, started_at=run.queued_at,
    )  # fmt: skip

    assert first is not None and second is None
    assert Step.objects.get(run=run, hashed_id="a").memo == {"data": 1}
    assert not states.try_move_step(first, StepStatus.FAILED, memo={"error": {}})
    assert Step.objects.get(run=run, hashed_id="a").memo == {"data": 1}
    assert _history(run, Subject.STEP) == [("", StepStatus.COMPLETED)]


def test_a_run_leaves_one_history_row_per_change_of_itself_and_its_steps(fake_sdk: FakeSdk):
    fake_sdk.add_function(
        "fake-history",
        [ops(step_run("one", 1)), ops(step_run("two", 2)), completed("done")],
    )
    fake_sdk.sync()
    [run] = send_event("test/go")
    run_until_quiet()

    assert _history(run) == [
        ("", RunStatus.QUEUED),
        (RunStatus.QUEUED, RunStatus.RUNNING),
        (RunStatus.RUNNING, RunStatus.COMPLETED),
    ]
    steps = StatusChange.objects.filter(run=run, subject=Subject.STEP).order_by("id")
    assert list(steps.values_list("step_hashed_id", "to_status")) == [
        (hashed("one"), StepStatus.COMPLETED),
        (hashed("two"), StepStatus.COMPLETED),
    ]

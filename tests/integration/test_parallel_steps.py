"""Parallel steps: several StepPlanned ops fan out to one queue item each, every planned step
is called by its id once, and the last to finish resumes discovery with all their outputs."""

from runs.executor import execute_item
from runs.models import QueueItem, RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, hashed, ops, step_planned, step_run

BRANCHES = ["a", "b", "c"]


def _answer(request):
    for branch in BRANCHES:
        if request.step_id == hashed(branch):
            return ops(step_run(branch, branch.upper()))
    if all(hashed(b) in request.steps for b in BRANCHES):
        return completed(sorted(v["data"] for v in request.steps.values()))
    return ops(*(step_planned(b) for b in BRANCHES))


def test_planned_steps_fan_out_and_the_last_one_joins(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-parallel", _answer)
    fake_sdk.sync()

    [run] = send_event("test/go")
    execute_item(run.queue_items.get().id)
    planned = QueueItem.objects.filter(run=run)
    assert sorted(planned.values_list("target_step", flat=True)) == sorted(map(hashed, BRANCHES))

    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.output == ["A", "B", "C"]
    step_ids = [c.step_id for c in fake_sdk.calls()]
    assert sorted(step_ids[1:4]) == sorted(map(hashed, BRANCHES))
    assert step_ids[0] == step_ids[4] == "step" and len(step_ids) == 5  # one join, not three
    assert set(fake_sdk.calls()[-1].steps) == set(map(hashed, BRANCHES))
    assert run.steps.count() == 3

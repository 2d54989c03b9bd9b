"""Race-mode parallel steps: the run is resumed as soon as each racing step ends, so the code
after `Promise.race` sees the real winner while the slower branch still runs; a step still in
flight that the SDK reports again is not run twice, and the run ends once it has ended too,
with the winner unchanged on every replay."""

from runs.executor import execute_item
from runs.models import QueueItem, RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import (
    FakeSdk,
    SdkRequest,
    completed,
    hashed,
    ops,
    step_planned,
    step_run,
)

FAST, SLOW, AFTER = hashed("fast"), hashed("slow"), hashed("after")


def _race(request: SdkRequest):
    """Promise.race([step.run("slow"), step.run("fast")]) in group.parallel (race mode), then
    step.run("after", () => winner), as the JS SDK 4.x reports it: memoized steps are replayed
    in stack order, and every step found without state is reported, even after the race."""
    if request.step_id in (FAST, SLOW):
        name = "fast" if request.step_id == FAST else "slow"
        return ops(step_run(name, name.upper()))
    memos = request.steps
    racing = [step_planned(s, "race") for s in ("slow", "fast") if hashed(s) not in memos]
    done = [h for h in request.stack if h in (FAST, SLOW)]
    if not done:
        return ops(*racing)
    winner = memos[done[0]]["data"]
    if AFTER not in memos:
        return ops(*racing, step_planned("after"))
    if racing:
        return ops(*racing)
    return completed({"winner": winner, "recorded": memos[AFTER]["data"]})


def _after_step(request: SdkRequest):
    if request.step_id == AFTER:
        winner = next(request.steps[h]["data"] for h in request.stack if h in (FAST, SLOW))
        return ops(step_run("after", winner))
    return _race(request)


def test_the_fastest_branch_resumes_the_run_while_the_slow_one_is_in_flight(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-race", _after_step)
    fake_sdk.sync()
    [run] = send_event("test/go")
    execute_item(run.queue_items.get().id)
    items = {i.target_step: i for i in QueueItem.objects.filter(run=run)}
    assert set(items) == {FAST, SLOW} and {i.reason for i in items.values()} == {"race"}

    execute_item(items[FAST].id)  # the fast branch ends; the slow one has not run yet
    run_items = QueueItem.objects.filter(run=run)
    assert sorted(run_items.values_list("target_step", flat=True)) == sorted([SLOW, AFTER])
    execute_item(run_items.get(target_step=AFTER).id)

    run.refresh_from_db()
    after = run.steps.get(hashed_id=AFTER)
    assert after.memo == {"data": "FAST"} and run.status == RunStatus.RUNNING
    assert not run.steps.filter(hashed_id=SLOW).exists()
    assert QueueItem.objects.filter(run=run).get().target_step == SLOW

    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED
    assert run.output == {"winner": "FAST", "recorded": "FAST"}
    assert run.steps.get(hashed_id=SLOW).memo == {"data": "SLOW"}  # kept, never the winner
    assert fake_sdk.calls()[-1].stack == [FAST, AFTER, SLOW]
    step_calls = [c.step_id for c in fake_sdk.calls()]
    assert step_calls.count(SLOW) == step_calls.count(FAST) == step_calls.count(AFTER) == 1
    assert fake_sdk.problems == []


def test_a_racing_step_reported_again_after_the_function_returned_runs_once(fake_sdk: FakeSdk):
    """The JS SDK does not answer 200 while a step it found has no state: it reports that step
    as planned again, and the run ends only when it has ended."""
    fake_sdk.add_function("fake-race-late", _after_step)
    fake_sdk.sync()
    [run] = send_event("test/go")
    execute_item(run.queue_items.get().id)
    execute_item(QueueItem.objects.get(run=run, target_step=FAST).id)
    execute_item(QueueItem.objects.get(run=run, target_step=AFTER).id)
    # The slow step's item was delayed (a busy worker); a duplicate discovery meanwhile:
    QueueItem.objects.filter(run=run).update(due_at="2999-01-01T00:00:00Z")
    extra = QueueItem.objects.create(
        id="01JRACE0000000000000000000",
        run=run,
        reason="continue",
        due_at=run.queued_at,
        created_at=run.queued_at,
    )
    execute_item(extra.id)

    assert not QueueItem.objects.filter(pk=extra.id).exists()
    assert list(QueueItem.objects.filter(run=run).values_list("target_step", flat=True)) == [SLOW]
    QueueItem.objects.filter(run=run).update(due_at=run.queued_at)
    run_until_quiet()
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.output["winner"] == "FAST"
    assert [c.step_id for c in fake_sdk.calls()].count(SLOW) == 1

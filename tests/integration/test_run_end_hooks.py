"""What follows a run's end (an invoking parent resumed, `inngest/function.finished` and
`function.failed` stored) runs after the end commits, exactly once, and is picked up by the
reconciler when a crash came between the commit and the hooks."""

from events.models import Event
from runs import states
from runs.models import StatusChange
from runs.statuses import RunStatus, Subject
from tests.integration.drive import TimeTravel, run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, errored

FINISHED = "inngest/function.finished"
FAILED = "inngest/function.failed"


def _end_of(run_id: str) -> StatusChange:
    return StatusChange.objects.get(
        run_id=run_id, subject=Subject.RUN, to_status__in=[RunStatus.COMPLETED, RunStatus.FAILED]
    )


def _lifecycle_events(run_id: str, name: str) -> int:
    return sum(1 for e in Event.objects.filter(name=name) if e.data.get("run_id") == run_id)


def test_a_finished_run_emits_its_lifecycle_events_once_after_commit(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-ends", [errored("nope", no_retry=True)])
    fake_sdk.sync()
    [run] = send_event("test/go")
    run_until_quiet()

    end = _end_of(run.id)
    assert not end.hooks_due
    assert _lifecycle_events(run.id, FAILED) == 1 and _lifecycle_events(run.id, FINISHED) == 1
    assert states.run_end_hooks(end.id) is False  # done already: nothing runs twice
    assert _lifecycle_events(run.id, FINISHED) == 1


def test_the_reconciler_runs_end_hooks_a_crash_left_undone(
    fake_sdk: FakeSdk, time_travel: TimeTravel
):
    fake_sdk.add_function("fake-ends", [completed("ok")])
    fake_sdk.sync()
    [run] = send_event("test/go")
    run_until_quiet()
    # As if the process died right after the run's end committed: hooks still due, no events.
    end = _end_of(run.id)
    StatusChange.objects.filter(pk=end.pk).update(hooks_due=True)
    Event.objects.filter(name__in=[FINISHED, FAILED]).delete()

    assert states.run_late_end_hooks() == 0  # too recent: the live process may still run them
    time_travel.advance(states.END_HOOKS_LATE_AFTER.total_seconds() + 1)
    assert states.run_late_end_hooks() == 1
    assert states.run_late_end_hooks() == 0

    assert _lifecycle_events(run.id, FINISHED) == 1
    finished = next(e for e in Event.objects.filter(name=FINISHED))
    assert finished.data["result"] == "ok"

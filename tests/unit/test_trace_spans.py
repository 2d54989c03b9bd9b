"""The run trace's spans, built from unsaved rows (no database): a span per attempt with the
retry waits between them, the queue delay before a step, sleeps and waits up to now with their
wake time marked, and the run's own row from its status history."""

from datetime import UTC, datetime, timedelta

from console.pages import trace
from runs.models import Attempt, Run, StatusChange, Step
from runs.statuses import RunStatus, StepStatus, Subject

T0 = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _run(status: str = RunStatus.COMPLETED, ended: float | None = 10.0) -> Run:
    return Run(
        id="r1",
        status=status,
        queued_at=T0,
        started_at=at(0.5),
        ended_at=None if ended is None else at(ended),
    )


def _step(name: str, start: float, end: float | None, **fields: object) -> Step:
    fields.setdefault("opcode", "StepRun")
    fields.setdefault("status", StepStatus.COMPLETED if end is not None else StepStatus.RUNNING)
    return Step(
        hashed_id=f"h-{name}",
        name=name,
        started_at=at(start),
        ended_at=None if end is None else at(end),
        **fields,
    )


def _failure(step: str, number: int, start: float, end: float, message: str = "boom") -> Attempt:
    return Attempt(
        step_hashed_id=f"h-{step}",
        number=number,
        started_at=at(start),
        ended_at=at(end),
        error={"name": "Error", "message": message},
    )


def _kinds(row: trace.Row) -> list[str]:
    return [span.kind for span in row.spans]


def test_the_last_attempt_after_retries_is_drawn_from_its_recorded_start():
    step = _step("pay", 1.0, 6.0, attempts=3, attempt_started_at=at(5.0))
    failures = [_failure("pay", 0, 1.0, 1.5, "card declined"), _failure("pay", 1, 3.0, 3.2)]
    [row] = trace.build(_run(), [step], failures, [], at(10)).rows
    assert _kinds(row) == ["queued", "failed", "backoff", "failed", "backoff", "running"]
    wait, last = row.spans[-2:]
    assert (wait.start, wait.end, last.start, last.end) == (3.2, 5.0, 5.0, 6.0)
    assert wait.tip.startswith("waited 1.8 s for attempt 3")
    assert last.tip.startswith("attempt 3 in 1 s")
    assert not any("not recorded" in span.tip for span in row.spans)


def test_a_last_attempt_that_failed_for_good_is_drawn_from_its_recorded_start():
    step = _step("pay", 1.0, 4.0, attempts=2, status=StepStatus.FAILED, attempt_started_at=at(3))
    [row] = trace.build(_run(), [step], [_failure("pay", 0, 1.0, 1.5)], [], at(10)).rows
    assert _kinds(row) == ["queued", "failed", "backoff", "failed"]
    assert row.spans[-1].tip.startswith("attempt 2 failed after 1 s")


def test_a_retried_step_stored_before_attempt_starts_were_recorded_keeps_the_wait_in_its_span():
    step = _step("pay", 1.0, 6.0, attempts=3)
    failures = [_failure("pay", 0, 1.0, 1.5, "card declined"), _failure("pay", 1, 3.0, 3.2)]
    built = trace.build(_run(), [step], failures, [], at(10))
    [row] = built.rows
    assert _kinds(row) == ["queued", "failed", "backoff", "failed", "retry"]
    queued, first, wait, second, last = row.spans
    assert (queued.start, queued.end) == (0.5, 1.0)  # ready when the run started
    assert first.tip.startswith("attempt 1 failed after 500 ms: Error: card declined")
    assert wait.tip.startswith("waited 1.5 s for attempt 2")
    assert second.tip.startswith("attempt 2 failed after 200 ms")
    assert last.tip.startswith("attempt 3 succeeded 2.8 s after attempt 2 failed")
    assert "its start is not recorded" in last.tip
    assert [s.duration for s in row.spans] == ["500 ms", "500 ms", "1.5 s", "200 ms", "2.8 s"]
    assert first.left == 10.0 and first.width == 5.0  # percent of the 10 s axis
    assert row.duration == "5 s" and row.offset == "1 s after start"


def test_a_step_queues_behind_the_step_before_it():
    first = _step("a", 1.0, 2.0)
    second = _step("b", 2.4, 3.0)
    built = trace.build(_run(), [second, first], [], [], at(10))
    assert [r.name for r in built.rows] == ["a", "b"]
    b = built.rows[1]
    assert _kinds(b) == ["queued", "running"]
    assert (b.spans[0].start, b.spans[0].end) == (2.0, 2.4)
    assert b.spans[0].tip.startswith("queued for 400 ms")


def test_a_step_still_waiting_for_its_retry_marks_when_it_is_due():
    step = _step("pay", 1.0, None, status=StepStatus.RETRYING, attempts=1)
    run = _run(RunStatus.RUNNING, ended=None)
    failures = [_failure("pay", 0, 1.0, 1.2)]
    built = trace.build(run, [step], failures, [], at(4), {"h-pay": at(5)})
    [row] = built.rows
    assert _kinds(row) == ["queued", "failed", "backoff"]
    assert row.spans[-1].tip.startswith("waiting 2.8 s so far for attempt 2")
    assert row.mark is not None and row.mark.label == "attempt 2 due"
    assert row.mark.left == 100.0  # the axis stretches to a due time this close
    assert row.mark.when == "5 s after start, in 1 s"


def test_a_sleep_is_drawn_up_to_now_and_its_wake_time_marked():
    nap = _step("nap", 1.0, None, opcode="Sleep", status=StepStatus.SLEEPING, wake_at=at(30))
    built = trace.build(_run(RunStatus.SLEEPING, ended=None), [nap], [], [], at(5))
    [row] = built.rows
    assert _kinds(row) == ["queued", "sleeping"]
    assert row.spans[-1].end == 5.0 and row.spans[-1].tip.startswith("sleeping for 4 s so far")
    assert built.total == 30.0 and built.age == 5.0 and built.took == "5 s"
    assert row.mark is not None and row.mark.label == "wakes" and row.mark.left == 100.0
    assert row.mark.when == "30 s after start, in 25 s"


def test_a_far_timeout_is_named_at_the_axis_end_instead_of_squeezing_the_trace():
    wait = _step(
        "approval",
        1.0,
        None,
        opcode="WaitForEvent",
        status=StepStatus.WAITING,
        wake_at=at(86400),
        opts={"event": "shop/approved", "if": "event.data.id == async.data.id"},
    )
    built = trace.build(_run(RunStatus.WAITING, ended=None), [wait], [], [], at(5))
    [row] = built.rows
    assert built.total == 5.0
    assert row.mark is not None and row.mark.left is None and row.mark.label == "times out"
    assert "for shop/approved" in row.spans[-1].tip


def test_a_step_reused_from_the_source_run_is_drawn_as_reused():
    copied = _step("a", 0.1, 0.1, attempts=0)
    [row] = trace.build(_run(), [copied], [], [], at(10)).rows
    assert _kinds(row) == ["reused"] and row.spans[0].width == trace.MIN_WIDTH


def test_the_run_row_follows_its_status_history_and_its_own_failed_attempts():
    history = [
        StatusChange(subject=Subject.RUN, from_status="", to_status="Queued", at=at(0)),
        StatusChange(subject=Subject.RUN, from_status="Queued", to_status="Running", at=at(0.5)),
        StatusChange(subject=Subject.RUN, from_status="Running", to_status="Sleeping", at=at(2)),
        StatusChange(subject=Subject.RUN, from_status="Sleeping", to_status="Running", at=at(8)),
        StatusChange(subject=Subject.RUN, from_status="Running", to_status="Failed", at=at(10)),
    ]
    body = Attempt(
        step_hashed_id="", number=0, started_at=at(8), ended_at=at(9), error={"message": "x"}
    )
    built = trace.build(_run(RunStatus.FAILED), [], [body], history, at(10))
    assert _kinds(built.run_row) == ["queued", "running", "sleeping", "running", "failed"]
    assert built.run_row.spans[2].tip == "Sleeping for 6 s, from 2 s after start"
    assert built.queued_for == "500 ms"


def test_the_axis_has_round_ticks_from_zero():
    built = trace.build(_run(), [], [], [], at(10))
    assert [t.label for t in built.ticks] == ["0", "2 s", "4 s", "6 s", "8 s", "10 s"]
    assert [t.left for t in built.ticks] == [0, 20, 40, 60, 80, 100]


def test_a_wait_that_ended_drops_its_timeout_and_keeps_the_axis_to_the_run():
    wait = _step("approval", 1.0, 2.0, opcode="WaitForEvent", wake_at=at(40), opts={"event": "e"})
    built = trace.build(_run(ended=3.0), [wait], [], [], at(5))
    assert built.total == 3.0 and built.rows[0].mark is None
    assert built.rows[0].spans[-1].tip.startswith("waited 1 s · for e")


def test_an_invoke_says_its_child_runs_status():
    call = _step(
        "call", 1.0, None, opcode="InvokeFunction", status=StepStatus.WAITING, wake_at=at(9)
    )
    built = trace.build(
        _run(RunStatus.WAITING, ended=None), [call], [], [], at(3), {}, {"h-call": "Sleeping"}
    )
    [row] = built.rows
    assert _kinds(row) == ["queued", "invoking"]
    assert "child run Sleeping" in row.spans[-1].tip
    assert row.mark is None  # invoked without a timeout: nothing to mark

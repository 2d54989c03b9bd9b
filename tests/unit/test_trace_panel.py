"""The step panel and the trace's words for time, without a database: stacks as lines said
once, attempts numbered from 1, a wait's event, expression and timeout; durations and ticks."""

from datetime import UTC, datetime, timedelta

import pytest

from console.pages import step_panel, trace_time
from runs.models import Attempt, Step
from runs.statuses import StepStatus

T0 = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
JS_ERROR = {
    "name": "Error",
    "message": "card declined",
    "stack": "Error: card declined\n    at charge (/app/pay.js:3:9)\n    at run (/app/fn.js:9:1)",
}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_stack_is_lines_and_does_not_repeat_its_heading():
    error = step_panel.ErrorView.of(JS_ERROR)
    assert error.heading == "Error: card declined"
    assert error.stack.splitlines() == [
        "    at charge (/app/pay.js:3:9)",
        "    at run (/app/fn.js:9:1)",
    ]
    odd = step_panel.ErrorView.of({"message": "x", "code": "unknown", "data": {"id": 1}})
    assert odd.name == "Error" and odd.code == "" and odd.extra is not None
    assert '"id": 1' in odd.extra.text
    assert step_panel.ErrorView.of("plain").heading == "Error: plain"


def _failure(number: int, start: float, error: dict) -> Attempt:
    return Attempt(
        step_hashed_id="h", number=number, started_at=at(start), ended_at=at(start + 1), error=error
    )


def test_attempts_are_numbered_from_one_and_each_error_printed_once():
    step = Step(
        hashed_id="h",
        name="pay",
        opcode="StepRun",
        status=StepStatus.COMPLETED,
        attempts=3,
        started_at=at(1),
        ended_at=at(9),
        memo={"data": {"ok": True}},
    )
    failures = [_failure(1, 4, JS_ERROR), _failure(0, 1, JS_ERROR)]
    panel = step_panel.build_panel(step, None, failures, T0, at(10))
    assert [a.number for a in panel.attempts] == [1, 2, 3]
    assert [a.outcome for a in panel.attempts] == ["failed", "failed", "completed"]
    assert panel.attempts[0].same_as == "" and panel.attempts[1].same_as == "attempt 1"
    assert panel.attempts[0].offset == "1 s after start" and panel.attempts[0].took == "1 s"
    last = panel.attempts[2]
    assert last.started_at is None and last.ended_at == at(9)  # its start is not stored
    assert panel.output is not None and panel.output.text == '{\n  "ok": true\n}'


def test_a_step_failed_for_good_says_its_error_once():
    step = Step(
        hashed_id="h",
        name="pay",
        opcode="StepRun",
        status=StepStatus.FAILED,
        attempts=1,
        started_at=at(1),
        ended_at=at(2),
        memo={"error": JS_ERROR},
    )
    panel = step_panel.build_panel(step, None, [], T0, at(10))
    assert panel.error is not None and panel.error.heading == "Error: card declined"
    [only] = panel.attempts
    assert only.number == 1 and only.outcome == "failed"
    assert only.same_as == "the error shown above"


def test_a_wait_shows_its_event_expression_and_timeout():
    step = Step(
        hashed_id="w",
        name="approval",
        opcode="WaitForEvent",
        status=StepStatus.WAITING,
        started_at=at(1),
        wake_at=at(91),
        opts={"event": "shop/approved", "if": "event.data.id == async.data.id", "timeout": "90s"},
    )
    panel = step_panel.build_panel(step, None, [], T0, at(11))
    assert panel.wait == step_panel.WaitView(
        event="shop/approved",
        expression="event.data.id == async.data.id",
        timeout="90s",
        timeout_at=at(91),
        timeout_from_now="in 1 min 20 s",
        timeout_after_start="1 min 31 s after start",
    )
    assert panel.attempts == []  # a wait runs no code of its own


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 ms"),
        (0.0004, "<1 ms"),
        (0.012, "12 ms"),
        (2.0, "2 s"),
        (4.25, "4.2 s"),
        (42, "42 s"),
        (0.9996, "1 s"),
        (59.6, "1 min"),
        (185, "3 min 5 s"),
        (7440, "2 h 4 min"),
        (3 * 86400 + 4 * 3600, "3 d 4 h"),
    ],
)
def test_durations_read_as_people_say_them(seconds: float, text: str):
    assert trace_time.duration(seconds) == text


def test_relative_times():
    assert trace_time.after_start(4.2) == "4.2 s after start"
    assert trace_time.after_start(0) == "at start"
    assert trace_time.from_now(at(300), at(0)) == "in 5 min"
    assert trace_time.from_now(at(0), at(90)) == "1 min 30 s ago"


def test_ticks_are_round_and_never_too_many():
    assert [t.label for t in trace_time.ticks(0.35)] == [
        "0",
        "50 ms",
        "100 ms",
        "150 ms",
        "200 ms",
        "250 ms",
        "300 ms",
        "350 ms",
    ]
    for total in (0.001, 0.7, 3, 59, 3600, 86400 * 40):
        assert 2 <= len(trace_time.ticks(total)) <= trace_time.MAX_TICKS + 1, total

"""The run trace: one row per step with a span per attempt, the queue delay before it, the
backoff between retries, and sleeps, waits and invokes drawn up to now with their wake time or
timeout marked; positions are percent of the run's axis so a template draws them without script.

Everything is derived from stored rows (Run, Step, failed Attempt, the run's StatusChange
history); nothing here touches the database."""

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from runs.models import Attempt, Run, StatusChange, Step
from runs.protocol import Opcode
from runs.statuses import FINISHED_STEP_STATUSES, RunStatus, StepStatus

from .trace_time import Tick, after_start, duration, from_now, ticks

# A moment to seconds after the run's start.
Clock = Callable[[datetime], float]
# A span narrower than this (percent) is widened so it can be seen and hovered.
MIN_WIDTH = 0.25
# A wake time or timeout that lies ahead is drawn on the axis when it is at most this many
# times the run's age, or this many seconds, past now; beyond that (a sleep of a month) it is
# named at the axis's end, so the spans that did happen keep their width.
PENDING_ZOOM = 1.5
PENDING_SECONDS = 60.0

# Run statuses drawn on the run's own row (a terminal status ends the row).
_RUN_KINDS: dict[str, str] = {
    RunStatus.QUEUED: "queued",
    RunStatus.RUNNING: "running",
    RunStatus.SLEEPING: "sleeping",
    RunStatus.WAITING: "waiting",
}
_PARKED_KINDS: dict[str, str] = {
    Opcode.SLEEP: "sleeping",
    Opcode.WAIT_FOR_EVENT: "waiting",
    Opcode.INVOKE: "invoking",
}
_MARK_WORDS: dict[str, tuple[str, str]] = {
    Opcode.SLEEP: ("wakes", "woke"),
    Opcode.WAIT_FOR_EVENT: ("times out", "timeout was"),
    Opcode.INVOKE: ("times out", "timeout was"),
}


@dataclass(frozen=True)
class Span:
    kind: str  # queued, running, failed, backoff, retry, sleeping, waiting, invoking, reused
    start: float  # seconds after the run's start
    end: float
    tip: str  # what hovering says: which attempt, how long, its error
    left: float = 0.0  # percent of the axis
    width: float = 0.0

    @property
    def duration(self) -> str:
        return duration(self.end - self.start)


@dataclass(frozen=True)
class Mark:
    """A wake time or timeout: on the axis (`left`), or past its end (`left` None)."""

    at: datetime
    label: str
    left: float | None
    when: str = ""  # relative to the run's start and to now


@dataclass
class Row:
    key: str  # the step's hashed id; blank for the run's own row
    name: str
    opcode: str
    status: str
    start: float
    end: float
    spans: list[Span] = field(default_factory=list)
    mark: Mark | None = None

    @property
    def duration(self) -> str:
        return duration(self.end - self.start)

    @property
    def offset(self) -> str:
        return after_start(self.start)


@dataclass
class Trace:
    origin: datetime  # the run's start: when it was queued
    total: float  # seconds on the axis
    age: float  # seconds from the start to the run's end, or to now
    run_row: Row
    rows: list[Row]
    ticks: list[Tick]
    queued_for: str  # from queued to started; blank until the run starts

    @property
    def took(self) -> str:
        return duration(self.age)


def build(
    run: Run,
    steps: list[Step],
    attempts: list[Attempt],
    history: list[StatusChange],
    now: datetime,
    retry_due: dict[str, datetime] | None = None,
    children: dict[str, str] | None = None,
) -> Trace:
    """The trace of `run` as of `now`. `retry_due`: for steps waiting for a retry, when the
    next attempt is due (from the run's queue item), by hashed id; `children`: the status of
    the run each invoke step started, by hashed id."""
    origin = run.queued_at
    end = run.ended_at or now
    age = max((end - origin).total_seconds(), 0.001)

    def at(moment: datetime) -> float:
        return (moment - origin).total_seconds()

    failures: dict[str, list[Attempt]] = {}
    for attempt in sorted(attempts, key=lambda a: (a.number, a.started_at)):
        failures.setdefault(attempt.step_hashed_id, []).append(attempt)
    ordered = sorted(steps, key=lambda s: (s.started_at, s.id or 0))
    ready_from = at(run.started_at or run.queued_at)
    ended: list[float] = []  # ends of the steps so far, sorted: what a step waited behind
    rows = []
    for step in ordered:
        start = at(step.started_at)
        before = bisect.bisect_right(ended, start)
        ready = max(ready_from, ended[before - 1]) if before else ready_from
        row = _step_row(step, failures.get(step.hashed_id, []), ready, at, now, retry_due or {})
        child = (children or {}).get(step.hashed_id)
        if child and row.spans:
            last = row.spans[-1]
            row.spans[-1] = Span(last.kind, last.start, last.end, f"{last.tip} · child run {child}")
        rows.append(row)
        if step.ended_at is not None:
            bisect.insort(ended, at(step.ended_at))
    run_row = _run_row(run, history, failures.get("", []), at, end)
    pending = [r.mark for r in rows] if run.ended_at is None else []
    total = _axis(age, pending, at)
    for row in [run_row, *rows]:
        row.spans = [_placed(s, total) for s in row.spans]
        if row.mark is not None:
            offset = at(row.mark.at)
            left = round(offset / total * 100, 3) if offset <= total else None
            when = f"{after_start(offset)}, {from_now(row.mark.at, now)}"
            row.mark = Mark(row.mark.at, row.mark.label, left, when)
    queued_for = duration(at(run.started_at)) if run.started_at else ""
    return Trace(origin, total, age, run_row, rows, ticks(total), queued_for)


def _axis(age: float, marks: list[Mark | None], at: Clock) -> float:
    """The axis spans the run up to its end or now, and a pending wake time close enough."""
    total = age
    for mark in marks:
        ahead = max(age * PENDING_ZOOM, age + PENDING_SECONDS)
        if mark is not None and age < at(mark.at) <= ahead:
            total = max(total, at(mark.at))
    return total


def _placed(span: Span, total: float) -> Span:
    left = min(max(span.start / total * 100, 0), 100)
    right = min(max(span.end / total * 100, 0), 100)
    width = max(right - left, MIN_WIDTH)
    tip = span.tip if "after start" in span.tip else f"{span.tip} · from {after_start(span.start)}"
    return Span(span.kind, span.start, span.end, tip, round(left, 3), round(width, 3))


def _run_row(
    run: Run, history: list[StatusChange], failures: list[Attempt], at: Clock, end: datetime
) -> Row:
    """The run's own row, from its status history: one span per status it was in, and the
    function's own failed attempts (an error outside any step) in red."""
    row = Row("", "run", "", run.status, 0.0, at(end))
    for index, change in enumerate(history):
        kind = _RUN_KINDS.get(change.to_status)
        if kind is None:
            continue
        until = history[index + 1].at if index + 1 < len(history) else end
        since = at(change.at)
        tip = f"{change.to_status} for {duration(at(until) - since)}, from {after_start(since)}"
        row.spans.append(Span(kind, at(change.at), at(until), tip))
    for failure in failures:
        row.spans.append(_failed_span(failure, at))
    return row


def _failed_span(failure: Attempt, at: Clock) -> Span:
    error = failure.error if isinstance(failure.error, dict) else {}
    took = duration((failure.ended_at - failure.started_at).total_seconds())
    what = f"{error.get('name') or 'Error'}: {error.get('message') or ''}".rstrip(": ")
    tip = f"attempt {failure.number + 1} failed after {took}: {what}"
    return Span("failed", at(failure.started_at), at(failure.ended_at), tip)


def _step_row(
    step: Step,
    failures: list[Attempt],
    ready: float,
    at: Clock,
    now: datetime,
    retry_due: dict[str, datetime],
) -> Row:
    start = at(step.started_at)
    end = at(step.ended_at or now)
    row = Row(step.hashed_id, step.name, step.opcode, step.status, start, end)
    if step.attempts == 0:
        row.spans.append(Span("reused", start, end, "reused from the source run: not run again"))
        return row
    if start - ready > 0.0005:
        row.spans.append(Span("queued", ready, start, f"queued for {duration(start - ready)}"))
    parked = _PARKED_KINDS.get(step.opcode)
    if parked is not None:
        return _parked(row, step, parked, start, end, now)
    previous_end = None
    for failure in failures:
        span = _failed_span(failure, at)
        if previous_end is not None and span.start > previous_end:
            tip = f"waited {duration(span.start - previous_end)} for attempt {failure.number + 1}"
            row.spans.append(Span("backoff", previous_end, span.start, tip))
        row.spans.append(span)
        previous_end = span.end
    if previous_end is None:
        kind = "failed" if step.status == StepStatus.FAILED else "running"
        row.spans.append(Span(kind, start, end, _final_tip(step, end - start)))
    elif step.status == StepStatus.RETRYING or step.status not in FINISHED_STEP_STATUSES:
        due = retry_due.get(step.hashed_id)
        tip = f"waiting {duration(end - previous_end)} so far for attempt {len(failures) + 1}"
        row.spans.append(Span("backoff", previous_end, end, tip))
        if due is not None:
            row.mark = Mark(due, f"attempt {len(failures) + 1} due", None)
    elif step.attempts > len(failures) and (last := _last_start(step, at, previous_end)):
        # The last attempt's start is stored (Step.attempt_started_at): its wait, then it.
        last_start = last
        tip = f"waited {duration(last_start - previous_end)} for attempt {step.attempts}"
        row.spans.append(Span("backoff", previous_end, last_start, tip))
        kind = "failed" if step.status == StepStatus.FAILED else "running"
        row.spans.append(Span(kind, last_start, end, _final_tip(step, end - last_start)))
    elif step.attempts > len(failures):
        # A step stored before attempt starts were recorded: its span includes the wait.
        outcome = "failed" if step.status == StepStatus.FAILED else "succeeded"
        tip = (
            f"attempt {step.attempts} {outcome} {duration(end - previous_end)} after attempt "
            f"{len(failures)} failed (its start is not recorded: this includes the retry wait)"
        )
        row.spans.append(
            Span("retry" if outcome == "succeeded" else "failed", previous_end, end, tip)
        )
    return row


def _last_start(step: Step, at: Clock, previous_end: float) -> float | None:
    """Where the last attempt began on the axis, if recorded and after the failed ones (a
    start at 0 cannot follow a failed attempt, so a float here is always truthy)."""
    if step.attempt_started_at is None:
        return None
    start = at(step.attempt_started_at)
    return start if start >= previous_end else None


def _final_tip(step: Step, took: float) -> str:
    attempt = f"attempt {step.attempts}" if step.attempts > 1 else "ran"
    if step.status == StepStatus.FAILED:
        return f"{attempt} failed after {duration(took)}"
    if step.status in FINISHED_STEP_STATUSES:
        return f"{attempt} in {duration(took)}" if step.attempts > 1 else f"ran in {duration(took)}"
    return f"running for {duration(took)}"


def _parked(row: Row, step: Step, kind: str, start: float, end: float, now: datetime) -> Row:
    """A sleep, a wait for an event or an invoke: drawn up to its end (or now), its wake time
    or timeout marked."""
    done = step.status in FINISHED_STEP_STATUSES
    verb = {"sleeping": "slept", "waiting": "waited", "invoking": "waited for the child run"}[kind]
    if done:
        tip = f"{verb} {duration(end - start)}"
    else:
        tip = f"{kind} for {duration(end - start)} so far"
    if kind == "waiting" and (step.opts or {}).get("event"):
        tip += f" · for {(step.opts or {})['event']}"
    row.spans.append(Span(kind, start, end, tip))
    timeout_set = step.opcode != Opcode.INVOKE or (step.opts or {}).get("timeout")
    # A timeout that did not happen says nothing once the step is over; a wake time does.
    if step.wake_at is not None and timeout_set and (not done or step.opcode == Opcode.SLEEP):
        ahead, past = _MARK_WORDS.get(step.opcode, ("due", "was due"))
        row.mark = Mark(step.wake_at, ahead if step.wake_at > now and not done else past, None)
    return row

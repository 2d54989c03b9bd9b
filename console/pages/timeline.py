"""The run detail's waterfall: where each step sat on the run's clock, as percentages a
template can draw without any script."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from foundation import clock
from runs.models import Attempt, Run, StatusChange, Step
from runs.statuses import RunStatus, StepStatus

# Outputs bigger than this are cut in the page and offered as a download instead.
INLINE_JSON_LIMIT = 16 * 1024


@dataclass(frozen=True)
class Segment:
    kind: str  # queued, running, failed, sleeping, waiting
    left: float
    width: float
    title: str


@dataclass
class JsonBlock:
    """A value shown in the JSON viewer: pretty text, its size, and whether it was cut."""

    text: str
    size: int
    truncated: bool

    @classmethod
    def of(cls, value: Any) -> "JsonBlock":
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
        size = len(text.encode())
        if size > INLINE_JSON_LIMIT:
            return cls(text[:INLINE_JSON_LIMIT], size, True)
        return cls(text, size, False)


@dataclass
class StepRow:
    step: Step
    segments: list[Segment] = field(default_factory=list)
    failures: list[Attempt] = field(default_factory=list)
    output: JsonBlock | None = None
    error: JsonBlock | None = None
    input: JsonBlock | None = None
    child_run_id: str = ""
    waits_for: str = ""


def _clock_of(run: Run, steps: list[Step]) -> Callable[[datetime], float]:
    """Where a moment sits on the run's clock, in percent from its queueing to its end."""
    start = run.queued_at
    end = run.ended_at or clock.now()
    for step in steps:
        end = max(end, step.ended_at or step.wake_at or end)
    span = max((end - start).total_seconds(), 0.001)

    def pct(moment: datetime) -> float:
        return round(min(max((moment - start).total_seconds() / span, 0), 1) * 100, 3)

    return pct


# Run statuses drawn on the run's own lane (a terminal status ends the lane).
_LANE_KINDS: dict[str, str] = {  # keyed by the stored status (a str)
    RunStatus.QUEUED: "queued",
    RunStatus.RUNNING: "running",
    RunStatus.SLEEPING: "sleeping",
    RunStatus.WAITING: "waiting",
}


def run_lane(run: Run, steps: list[Step], changes: list[StatusChange]) -> list[Segment]:
    """The run's own lane, from its status history: one segment per status it was in."""
    pct = _clock_of(run, steps)
    segments = []
    for index, change in enumerate(changes):
        following = changes[index + 1] if index + 1 < len(changes) else None
        kind = _LANE_KINDS.get(change.to_status)
        if kind is None:
            continue
        until = following.at if following is not None else (run.ended_at or clock.now())
        title = f"{change.to_status} at {change.at:%H:%M:%S.%f}"[:-3]
        segments.append(_segment(kind, pct(change.at), pct(until), title))
    return segments


def build(run: Run, steps: list[Step], attempts: list[Attempt]) -> list[StepRow]:
    pct = _clock_of(run, steps)
    rows = []
    ready_at = run.started_at or run.queued_at
    for step in sorted(steps, key=lambda s: (s.started_at, s.id)):
        row = StepRow(
            step=step, failures=[a for a in attempts if a.step_hashed_id == step.hashed_id]
        )
        _describe(row)
        if step.attempts and step.started_at > ready_at:
            row.segments.append(_segment("queued", pct(ready_at), pct(step.started_at), "queued"))
        for failure in row.failures:
            title = f"attempt {failure.number + 1} failed: {failure.error.get('message', '')}"
            row.segments.append(
                _segment("failed", pct(failure.started_at), pct(failure.ended_at), title)
            )
        finish = step.ended_at or (clock.now() if step.status != StepStatus.SLEEPING else None)
        finish = finish or step.wake_at or clock.now()
        kind = {"Sleep": "sleeping", "WaitForEvent": "waiting"}.get(step.opcode, "running")
        row.segments.append(_segment(kind, pct(step.started_at), pct(finish), kind))
        rows.append(row)
        if step.ended_at:
            ready_at = max(ready_at, step.ended_at)
    return rows


def _segment(kind: str, left: float, right: float, title: str) -> Segment:
    return Segment(kind, left, max(right - left, 0.4), title)


def _describe(row: StepRow) -> None:
    memo = row.step.memo if isinstance(row.step.memo, dict) else {}
    opts = row.step.opts or {}
    if "data" in memo:
        row.output = JsonBlock.of(memo["data"])
    if "error" in memo:
        row.error = JsonBlock.of(memo["error"])
    if "input" in opts:
        row.input = JsonBlock.of(opts["input"])
    row.child_run_id = str(opts.get("run_id") or "")
    row.waits_for = str(opts.get("event") or "")

"""What the panel beside the trace shows of one step: its input, output and error (a stack as
readable lines, said once), its attempts numbered as people count them, what a wait waits
for, and an invoked child run's status."""

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from runs.models import Attempt, Run, Step
from runs.protocol import Opcode
from runs.statuses import FINISHED_STEP_STATUSES, StepStatus

from .trace import Row
from .trace_time import after_start, duration, from_now

# Outputs bigger than this are cut in the page and offered as a download instead.
INLINE_JSON_LIMIT = 16 * 1024
# The error keys shown as its heading and stack; any other key is shown as JSON below them.
_ERROR_KEYS = {"name", "message", "stack", "code", "__serialized", "__inngest_error"}


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
class ErrorView:
    """An error as the SDKs report it ({name, message, stack}): a heading and the stack as
    lines. A stack that starts with the heading (JS's `Error: boom\\n    at ...`) is not made
    to say it twice."""

    name: str
    message: str
    stack: str
    extra: JsonBlock | None = None
    code: str = ""  # the SDK's error code, unless it is "unknown"

    @classmethod
    def of(cls, error: Any) -> "ErrorView":
        if not isinstance(error, dict):
            return cls("Error", str(error), "")
        name = str(error.get("name") or "Error")
        message = str(error.get("message") or "")
        stack = error.get("stack")
        stack = stack if isinstance(stack, str) else ""
        lines = stack.strip("\n").splitlines()
        if lines and lines[0].strip() in (f"{name}: {message}", message, name):
            lines = lines[1:]
        rest = {k: v for k, v in error.items() if k not in _ERROR_KEYS}
        code = str(error.get("code") or "")
        code = "" if code == "unknown" else code
        return cls(name, message, "\n".join(lines), JsonBlock.of(rest) if rest else None, code)

    @property
    def heading(self) -> str:
        return f"{self.name}: {self.message}" if self.message else self.name

    def matches(self, other: "ErrorView | None") -> bool:
        return other is not None and (self.heading, self.stack) == (other.heading, other.stack)


@dataclass
class AttemptView:
    number: int  # as people count: the first attempt is 1 (Attempt.number is 0-based)
    outcome: str  # failed, completed, running, waiting for retry
    started_at: datetime | None  # None: not recorded (a last attempt stored before it was)
    ended_at: datetime | None
    took: str
    offset: str
    error: ErrorView | None = None
    # Where the same error is already shown ("the error shown above", "attempt 1"), if it is.
    same_as: str = ""


@dataclass
class WaitView:
    event: str
    expression: str  # the `if` (an SDK turns `match: "data.id"` into one)
    timeout: str  # as the function wrote it ("20s")
    timeout_at: datetime | None
    timeout_from_now: str
    timeout_after_start: str


@dataclass
class StepPanel:
    step: Step
    row: Row | None
    input: JsonBlock | None = None
    output: JsonBlock | None = None
    error: ErrorView | None = None
    attempts: list[AttemptView] = field(default_factory=list)
    wait: WaitView | None = None
    wake_at: datetime | None = None
    wake_from_now: str = ""
    wake_after_start: str = ""
    child: Run | None = None


def build_panel(
    step: Step,
    row: Row | None,
    failures: list[Attempt],
    origin: datetime,
    now: datetime,
    child: Run | None = None,
) -> StepPanel:
    memo = step.memo if isinstance(step.memo, dict) else {}
    opts = step.opts or {}
    panel = StepPanel(step=step, row=row, child=child)
    if "input" in opts:
        panel.input = JsonBlock.of(opts["input"])
    if "data" in memo:
        panel.output = JsonBlock.of(memo["data"])
    if "error" in memo:
        panel.error = ErrorView.of(memo["error"])
    if step.opcode == Opcode.WAIT_FOR_EVENT:
        panel.wait = _wait_view(step, origin, now)
    elif step.opcode == Opcode.SLEEP and step.wake_at is not None:
        panel.wake_at, panel.wake_from_now = step.wake_at, from_now(step.wake_at, now)
        panel.wake_after_start = after_start((step.wake_at - origin).total_seconds())
    panel.attempts = attempts_of(step, failures, panel.error, origin, now)
    return panel


def _wait_view(step: Step, origin: datetime, now: datetime) -> WaitView:
    opts = step.opts or {}
    at = step.wake_at
    return WaitView(
        event=str(opts.get("event") or step.wait_event or ""),
        expression=str(opts.get("if") or ""),
        timeout=str(opts.get("timeout") or ""),
        timeout_at=at,
        timeout_from_now=from_now(at, now) if at else "",
        timeout_after_start=after_start((at - origin).total_seconds()) if at else "",
    )


def attempts_of(
    step: Step,
    failures: list[Attempt],
    final_error: ErrorView | None,
    origin: datetime,
    now: datetime,
) -> list[AttemptView]:
    """Every attempt of a step that runs code: the failed ones from their rows, then the last
    one from the step itself (`step.attempts` counts them all)."""
    if step.opcode not in (Opcode.STEP_RUN, Opcode.STEP, Opcode.AI_GATEWAY) or not step.attempts:
        return []
    views = [failed_attempt(f, origin, final_error) for f in sorted(failures, key=_number)]
    printed: list[AttemptView] = []  # each distinct error's stack is printed once
    for view in views:
        if view.same_as or view.error is None:
            continue
        first = next((p for p in printed if view.error.matches(p.error)), None)
        if first is None:
            printed.append(view)
        else:
            view.same_as = f"attempt {first.number}"
    if step.attempts > len(failures):
        last = _last_attempt(step, failures, origin, now)
        if last.outcome == "failed" and final_error is not None:
            # Failed for good without a failed-attempt row (NonRetriableError): the step's error.
            last.error, last.same_as = final_error, "the error shown above"
        views.append(last)
    return views


def failed_attempt(
    failure: Attempt, origin: datetime, final_error: ErrorView | None
) -> AttemptView:
    """A failed attempt of a step or of the function's body, numbered from 1."""
    error = ErrorView.of(failure.error)
    return AttemptView(
        number=failure.number + 1,
        outcome="failed",
        started_at=failure.started_at,
        ended_at=failure.ended_at,
        took=duration((failure.ended_at - failure.started_at).total_seconds()),
        offset=after_start((failure.started_at - origin).total_seconds()),
        error=error,
        same_as="the error shown above" if error.matches(final_error) else "",
    )


def _number(attempt: Attempt) -> int:
    return attempt.number


def _last_attempt(
    step: Step, failures: list[Attempt], origin: datetime, now: datetime
) -> AttemptView:
    number = step.attempts if failures else 1
    if step.status == StepStatus.RETRYING:
        outcome = "waiting for retry"
    elif step.status in FINISHED_STEP_STATUSES:
        outcome = "failed" if step.status == StepStatus.FAILED else "completed"
    else:
        outcome = "running"
    # After a retry the last attempt's start is Step.attempt_started_at (None: stored before
    # it was recorded; failed attempts are Attempt rows).
    started = step.attempt_started_at if failures else step.started_at
    ended = step.ended_at
    took = duration(((ended or now) - started).total_seconds()) if started else ""
    offset_from = ended or now
    offset = after_start(((started or offset_from) - origin).total_seconds())
    return AttemptView(number, outcome, started, ended, took, offset)

"""The memoized state of a run, loaded once per claim and kept current while a worker drives it."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from events.models import Event
from foundation import clock

from .models import Run, Step, StepStatus
from .protocol import ExecutionState


@dataclass
class RunMemo:
    run: Run
    event: dict[str, Any]
    events: list[dict[str, Any]]
    memos: dict[str, Any] = field(default_factory=dict)
    stack: list[str] = field(default_factory=list)
    # Steps that have a row but no memo yet (retrying, sleeping...): only these need a lookup
    # before a result is stored; a brand-new step is simply inserted.
    unfinished: set[str] = field(default_factory=set)
    # A sleep or wait whose time has come: the executor resolves those before the next call.
    has_due_timers: bool = False

    @classmethod
    def load(cls, run: Run) -> "RunMemo":
        event = run.event.payload() if run.event else {"name": "", "data": {}}
        events = [event]
        if run.batch_event_ids:
            by_id = {e.id: e for e in Event.objects.filter(pk__in=run.batch_event_ids)}
            events = [by_id[i].payload() for i in run.batch_event_ids if i in by_id]
        memo = cls(run=run, event=event, events=events)
        rows = Step.objects.filter(run=run).values_list(
            "hashed_id", "memo", "status", "position", "wake_at"
        )
        now = clock.now()
        finished = []
        for hashed_id, value, status, position, wake_at in rows:  # one query for all steps
            if status in (StepStatus.COMPLETED, StepStatus.FAILED):
                finished.append((position if position is not None else 1 << 30, hashed_id, value))
            else:
                memo.unfinished.add(hashed_id)
                memo.has_due_timers |= wake_at is not None and wake_at <= now
        for _, hashed_id, value in sorted(finished, key=lambda row: row[0]):
            memo.remember(hashed_id, value)
        return memo

    def reload(self) -> None:
        """Re-read the steps: another worker (a parallel sibling) may have stored some."""
        fresh = RunMemo.load(self.run)
        self.memos, self.stack, self.unfinished = fresh.memos, fresh.stack, fresh.unfinished
        self.has_due_timers = fresh.has_due_timers

    def existing_step(self, hashed_id: str) -> Step | None:
        if hashed_id not in self.unfinished and hashed_id not in self.memos:
            return None
        return Step.objects.filter(run=self.run, hashed_id=hashed_id).first()

    def remember(self, hashed_id: str, value: Any) -> None:
        if hashed_id not in self.memos:
            self.stack.append(hashed_id)
        self.memos[hashed_id] = value
        self.unfinished.discard(hashed_id)

    @property
    def next_position(self) -> int:
        return len(self.stack)

    def execution_state(self, attempt: int, queue_item_id: str = "") -> ExecutionState:
        function = self.run.function
        return ExecutionState(
            run_id=self.run.id,
            fn_slug=function.slug,
            event=self.event,
            events=self.events,
            memos=self.memos,
            stack=self.stack,
            attempt=attempt,
            max_attempts=function.retries + 1,
            queue_item_id=queue_item_id,
            checkpointing=settings.CHECKPOINTING,
            step_inputs=self.run.step_inputs,
        )

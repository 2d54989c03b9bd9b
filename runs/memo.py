"""The memoized state of a run, loaded once per claim and kept current while a worker drives it.
A state over DEVSERVER_STATE_INLINE_MAX_BYTES is counted, not held: the SDK is told use_api."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from events.models import Event
from foundation import clock

from .models import Run, Step, StepStatus
from .protocol import ExecutionState
from .state_size import json_size
from .statuses import FINISHED_STEP_STATUSES


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
    # Bytes of the events and memos; `inline`: they fit in a request (the values are held),
    # else the request says use_api and `memos` holds keys only.
    state_size: int = 0
    inline: bool = True

    @classmethod
    def load(cls, run: Run) -> "RunMemo":
        event = run.event.payload() if run.event else {"name": "", "data": {}}
        events = cls.events_of(run) if run.batch_event_ids else [event]
        memo = cls(run=run, event=event, events=events)
        memo.state_size = json_size(events) + json_size(event)
        # Sizes first, memos only if they fit: a 100 MB state is never read here (use_api).
        rows = Step.objects.filter(run=run).values_list(
            "hashed_id", "status", "position", "wake_at", "memo_size"
        )
        now = clock.now()
        finished = []
        for hashed_id, status, position, wake_at, size in rows:  # one query for all steps
            if status in (StepStatus.COMPLETED, StepStatus.FAILED):
                finished.append((position if position is not None else 1 << 30, hashed_id, size))
            else:
                memo.unfinished.add(hashed_id)
                memo.has_due_timers |= wake_at is not None and wake_at <= now
        finished.sort(key=lambda row: row[0])
        uncounted = [h for _, h, size in finished if size is None]  # rows from before sizes
        known = sum(size for _, _, size in finished if size is not None)
        memo.inline = memo.state_size + known <= settings.STATE_INLINE_MAX_BYTES
        values = {}
        if (memo.inline and finished) or uncounted:  # a run's first call has nothing to read
            wanted = Step.objects.filter(run=run, status__in=FINISHED_STEP_STATUSES)
            if not memo.inline:
                wanted = wanted.filter(hashed_id__in=uncounted)
            values = dict(wanted.values_list("hashed_id", "memo"))
        for _, hashed_id, size in finished:
            memo.remember(hashed_id, values.get(hashed_id), size)
        return memo

    @staticmethod
    def events_of(run: Run) -> list[dict[str, Any]]:
        """The run's events as the SDK gets them: its batch, or its one trigger event."""
        if run.batch_event_ids:
            by_id = {e.id: e for e in Event.objects.filter(pk__in=run.batch_event_ids)}
            return [by_id[i].payload() for i in run.batch_event_ids if i in by_id]
        return [run.event.payload() if run.event else {"name": "", "data": {}}]

    def reload(self) -> None:
        """Re-read the steps: another worker (a parallel sibling) may have stored some."""
        fresh = RunMemo.load(self.run)
        self.memos, self.stack, self.unfinished = fresh.memos, fresh.stack, fresh.unfinished
        self.has_due_timers = fresh.has_due_timers
        self.state_size, self.inline = fresh.state_size, fresh.inline

    def existing_step(self, hashed_id: str) -> Step | None:
        if hashed_id not in self.unfinished and hashed_id not in self.memos:
            return None
        return Step.objects.filter(run=self.run, hashed_id=hashed_id).first()

    def remember(self, hashed_id: str, value: Any, size: int | None = None) -> None:
        """A finished step's memo; `size` its stored memo_size when known. Once the state is
        over the inline limit the values are dropped (None): the SDK fetches them (use_api)."""
        if hashed_id not in self.memos:
            self.stack.append(hashed_id)
            self.state_size += json_size(value) if size is None else size
        if self.inline and self.state_size > settings.STATE_INLINE_MAX_BYTES:
            self.inline = False
            self.memos = dict.fromkeys(self.memos)
        self.memos[hashed_id] = value if self.inline else None
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
            use_api=not self.inline,
            inline_max_bytes=settings.STATE_INLINE_MAX_BYTES,
        )

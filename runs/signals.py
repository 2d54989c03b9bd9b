"""Signals: a step waits for a named signal, and `POST /v1/signals` resumes it, once.

Wire shapes (npm inngest 3.54/4.24, `components/InngestStepTools.js`, `api/api.js`):
- `step.waitForSignal(id, {signal, timeout, onConflict})` answers a `WaitForSignal` op with
  `name` = the signal and `opts: {signal, timeout, conflict}`; the step's result is
  `{signal, data}`, or null once `timeout` passed.
- `inngest.sendSignal({signal, data})` and `step.sendSignal` (a `StepPlanned` op with
  `opts.type: "step.sendSignal"`, run by the SDK like `step.run`) call `POST /v1/signals` with
  `{signal, data}`; the answer is `{"data": {"run_id": ...}}`, or a 404 when no run waits.
Semantics (inngest/inngest): one wait holds a signal at a time. A second wait with
`onConflict: "replace"` takes the signal over (the first stays pending until its timeout);
with "fail" (the default) the second wait's step fails with a signal conflict.

The database is the truth, as for waitForEvent (runs/waits.py): the waiting step is a row with
a deadline, `Step.wait_signal` names the signal it holds (unique), and the guarded move out of
Waiting decides who resumes it: the signal, or the timeout, exactly once."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from . import states
from .models import Run, Step
from .protocol import Opcode, SignalConflict, StepOp
from .statuses import TERMINAL_RUN_STATUSES, StepStatus
from .waits import complete_waiting_step


@dataclass(frozen=True)
class SignalTaken:
    """Another run's wait holds the signal and this wait may not replace it."""

    signal: str
    holder_run_id: str

    @property
    def message(self) -> str:
        return (
            f"Signal conflict: run {self.holder_run_id} is already waiting for signal "
            f'{self.signal!r} (wait with onConflict: "replace" to take it over)'
        )


def signal_of(op: StepOp) -> str:
    return str(op.opts.get("signal") or op.name or "")


def record_signal_wait(
    run: Run, op: StepOp, started: datetime, wake_at: datetime
) -> Step | SignalTaken | None:
    """Store the waiting step that holds `op`'s signal, inside the caller's transaction.
    Step: stored; None: this step was stored already (reported again before it ended: go by
    the stored step); SignalTaken: another live wait holds the signal (onConflict "fail")."""
    signal = signal_of(op)
    replace = op.opts.get("conflict") == SignalConflict.REPLACE
    for _ in range(2):  # a second look when a concurrent wait took the signal meanwhile
        holder = _holder(signal)
        if holder is not None and (holder.run_id, holder.hashed_id) != (run.id, op.hashed_id):
            if not replace and holder.run.status not in TERMINAL_RUN_STATUSES:
                return SignalTaken(signal, holder.run_id)
            # Replaced (or its run ended): the old wait stays pending until its timeout, but
            # no longer receives this signal.
            Step.objects.filter(pk=holder.pk, wait_signal=signal).update(wait_signal="")
        step = states.record_step(
            run,
            StepStatus.WAITING,
            hashed_id=op.hashed_id,
            name=op.label,
            opcode=Opcode.WAIT_FOR_SIGNAL,
            wait_signal=signal,
            wake_at=wake_at,
            started_at=started,
            opts={
                "signal": signal,
                "timeout": op.opts.get("timeout"),
                "conflict": op.opts.get("conflict"),
            },
        )
        if step is not None:
            return step
        if Step.objects.filter(run=run, hashed_id=op.hashed_id).exists():
            return None
    holder = _holder(signal)
    return SignalTaken(signal, holder.run_id if holder is not None else "")


def send_signal(signal: str, data: Any) -> str | None:
    """Resume the run waiting for `signal` with `{signal, data}`. The id of the run resumed,
    or None when no live run waits for it (the SDK then reports that nobody was waiting)."""
    with transaction.atomic():
        holder = _holder(signal)
        if holder is None or holder.status != StepStatus.WAITING:
            return None
        if holder.run.status in TERMINAL_RUN_STATUSES:  # cancelled while waiting: free it
            Step.objects.filter(pk=holder.pk).update(wait_signal="")
            return None
        if not complete_waiting_step(holder, {"data": {"signal": signal, "data": data}}):
            return None
        return holder.run_id


def _holder(signal: str) -> Step | None:
    """The step holding `signal`, its row locked until the transaction ends, so a signal and
    a new wait (or two signals) for it take turns."""
    if not signal:
        return None
    rows = Step.objects.select_for_update(of=("self",)).select_related("run")
    return rows.filter(wait_signal=signal).first()

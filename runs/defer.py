"""`defer()` (npm inngest 4.4+): a run asks for another function to run once it has ended.

Wire shapes (npm inngest 4.24.0 `components/execution/engine.js` `buildDefer`, `lazyOps.js`):
the SDK reports `{op: "DeferAdd", id: <hashed defer id>, name, opts: {fn_slug, input, meta?}}`
and `{op: "DeferAbort", id: <hashed "<hashed id>:abort">, opts: {target_hashed_id, fn_slug, id}}`
as lazy ops: they ride beside the op that moves the run on (a StepRun, a RunComplete, the
function's own error as a StepError/StepFailed of the step id "complete"), in an answer or in a
checkpoint. The next request carries `defers: {hashed id: {abortable}}`
(`helpers/functions.js`), so the SDK does not report a defer again.

Semantics (inngest/inngest `docs/defers.md`, `pkg/execution/defers/defers.go`,
`executor/finalize.go`): a defer is stored once per (run, hashed id); a bad one is Rejected
(kept, so retransmits dedupe) and never fails its run; when the run ends, however it ends,
each defer still AfterRun becomes an `inngest/deferred.schedule` event, with the input as its
data plus `_inngest: {fn_slug, parent_fn_slug, parent_run_id, ...}`, whose id comes from
(run, hashed id) so that a second try stores it once. The deferred function's trigger is that
event with `event.data._inngest.fn_slug == '<its slug>'` (`components/DeferredFunction.js`)."""

import dataclasses
import hashlib
import logging

from django.conf import settings
from ulid import ULID

from events.ingest import IncomingEvent, store_events
from foundation import clock, fast_sql

from . import states
from .models import Defer, Run
from .protocol import FunctionErrored, Opcode, SdkOutcome, StepOp, StepsReported
from .state_size import json_size
from .statuses import DeferStatus

logger = logging.getLogger(__name__)

DEFERRED_SCHEDULE = "inngest/deferred.schedule"
LAZY_OPCODES = frozenset({Opcode.DEFER_ADD, Opcode.DEFER_ABORT})
# inngest/inngest consts.MaxDefersPerRun and MaxDeferInputAggregateSize.
MAX_DEFERS_PER_RUN = 20
MAX_INPUT_BYTES_PER_RUN = 4 * 1024 * 1024
# The step id the JS SDK gives the function itself when its end rides with lazy ops.
FUNCTION_STEP_ID = hashlib.sha1(b"complete").hexdigest()
MAX_SLUG_LENGTH = 255


def split_lazy_ops(outcome: SdkOutcome) -> tuple[list[StepOp], SdkOutcome | None]:
    """The lazy ops of an answer, and the answer without them. None: it had nothing else (an
    SDK bug; the run goes on). The function's own error, sent as a StepError or StepFailed of
    FUNCTION_STEP_ID because defers rode with it, becomes the function error it stands for."""
    if not isinstance(outcome, StepsReported):
        return [], outcome
    lazy = [op for op in outcome.ops if op.opcode in LAZY_OPCODES]
    if not lazy:
        return [], outcome
    rest = [op for op in outcome.ops if op.opcode not in LAZY_OPCODES]
    if not rest:
        return lazy, None
    [first, *others] = rest
    ends_function = first.opcode in (Opcode.STEP_ERROR, Opcode.STEP_FAILED)
    if not others and ends_function and first.hashed_id == FUNCTION_STEP_ID:
        error = first.error or {"name": "Error", "message": "the function failed"}
        final = outcome.no_retry or first.opcode is Opcode.STEP_FAILED
        return lazy, FunctionErrored(error, no_retry=final, retry_at=outcome.retry_at)
    return lazy, dataclasses.replace(outcome, ops=rest)


def record_lazy_ops(run: Run, ops: list[StepOp]) -> None:
    """Store the defers and aborts an answer or a checkpoint reported, in order. Never raises
    for a bad op: a defer must not fail its run. Call inside a transaction."""
    for op in ops:
        if op.opcode is Opcode.DEFER_ADD:
            _add(run, op)
        elif op.opcode is Opcode.DEFER_ABORT:
            _abort(run, op)


def prior_defers(run: Run) -> dict[str, dict[str, bool]]:
    """The request's `defers`: only one still waiting for the run's end may be aborted."""
    rows = Defer.objects.filter(run=run).values_list("hashed_id", "status")
    return {hashed_id: {"abortable": status == DeferStatus.AFTER_RUN} for hashed_id, status in rows}


def schedule_defers(run: Run) -> None:
    """Run-end hook (runs/hooks.py): one `inngest/deferred.schedule` event per defer still
    AfterRun. Safe to run twice: the event ids are derived, and a defer is scheduled once."""
    if not fast_sql.exists(Defer, {"run": run, "status": DeferStatus.AFTER_RUN}):
        return  # most runs defer nothing: one cheap probe instead of an ORM query
    pending = list(Defer.objects.filter(run=run, status=DeferStatus.AFTER_RUN))
    function = run.function
    incoming, ids = [], []
    for defer in pending:
        data = dict(defer.input or {})
        data["_inngest"] = {
            "fn_slug": defer.fn_slug,
            "parent_app_id": str(function.app_id),
            "parent_fn_id": str(function.pk),
            "parent_fn_slug": function.slug,
            "parent_run_id": run.id,
        }
        incoming.append(IncomingEvent.internal(DEFERRED_SCHEDULE, data))
        ids.append(_event_id(run, defer.hashed_id))
    store_events(incoming, ids)
    for defer, event_id in zip(pending, ids, strict=True):
        states.try_move_defer(defer, DeferStatus.SCHEDULED, event_id=event_id, input=None)


def _add(run: Run, op: StepOp) -> None:
    fn_slug, data, meta = op.opts.get("fn_slug"), op.opts.get("input"), op.opts.get("meta")
    if not isinstance(fn_slug, str) or not fn_slug or len(fn_slug) > MAX_SLUG_LENGTH:
        # Nothing to key a Rejected record on (inngest/inngest: invalid_opts, not persisted).
        logger.warning("run %s: DeferAdd %s without a usable fn_slug; ignored", run.id, op.label)
        return
    existing = Defer.objects.filter(run=run)
    if existing.filter(hashed_id=op.hashed_id).exists():
        return  # sent again (a retried request): the first one stands
    size = json_size(data)
    reason = ""
    if not isinstance(data, dict):
        reason = "invalid_input"
    elif meta is not None and not isinstance(meta, dict):
        reason = "invalid_meta"
    elif size > settings.EVENT_MAX_BYTES:  # it becomes an event: the same bound as any
        reason = "per_defer_size"
    elif existing.count() >= MAX_DEFERS_PER_RUN:
        # No room for even a Rejected record (as inngest/inngest): the SDK may send it again.
        logger.warning("run %s: over %d defers; %s ignored", run.id, MAX_DEFERS_PER_RUN, op.label)
        return
    elif _input_bytes(run) + size > MAX_INPUT_BYTES_PER_RUN:
        reason = "aggregate_size"
    if reason:
        logger.warning("run %s: defer %s rejected (%s)", run.id, op.label, reason)
    states.record_defer(
        Defer(
            run=run,
            hashed_id=op.hashed_id,
            name=op.label[:1024],
            fn_slug=fn_slug,
            status=DeferStatus.REJECTED if reason else DeferStatus.AFTER_RUN,
            input=None if reason else data,
            input_size=0 if reason else size,
            meta=None if reason else meta,
            reason=reason,
            created_at=clock.now(),
        )
    )


def _abort(run: Run, op: StepOp) -> None:
    target = op.opts.get("target_hashed_id")
    if not isinstance(target, str) or not target or len(target) > 64:
        logger.warning("run %s: DeferAbort %s without a target; ignored", run.id, op.label)
        return
    defer = Defer.objects.filter(run=run, hashed_id=target).first()
    if defer is None:
        # The SDK drops a DeferAdd still buffered when its abort comes in the same request
        # (lazyOps.js `push`), so the target can be new to us: keep it as Aborted, so that
        # replays see `abortable: false` and never report it again.
        fn_slug = str(op.opts.get("fn_slug") or "")[:MAX_SLUG_LENGTH]
        name = str(op.opts.get("id") or op.label)[:1024]
        states.record_defer(
            Defer(
                run=run,
                hashed_id=target,
                name=name,
                fn_slug=fn_slug,
                status=DeferStatus.ABORTED,
                created_at=clock.now(),
            )
        )
        return
    if defer.status == DeferStatus.AFTER_RUN:
        states.try_move_defer(defer, DeferStatus.ABORTED, input=None, input_size=0)


def _input_bytes(run: Run) -> int:
    sizes = Defer.objects.filter(run=run, status=DeferStatus.AFTER_RUN)
    return sum(sizes.values_list("input_size", flat=True))


def _event_id(run: Run, hashed_id: str) -> str:
    """A ULID of the run's end time whose entropy is a digest of (run, defer): the same
    event on every try (inngest/inngest `event.DeferEventID` derives it the same way)."""
    ended = run.ended_at or clock.now()
    millis = int(ended.timestamp() * 1000)
    entropy = hashlib.sha256(f"defer-event:{run.id}:{hashed_id}".encode()).digest()[:10]
    return str(ULID.from_bytes(millis.to_bytes(6, "big") + entropy))

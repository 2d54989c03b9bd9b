"""Run metadata: scores, experiments, AI usage and the user's own `userland.*` values, kept per
run and per step, each kind's updates combined as they arrive.

Wire shapes (npm `inngest` 4.24.0): an op of a 206 answer or of a checkpoint carries
`metadata: [{kind, scope, op, values}]` (components/execution/engine.js `addMetadata`); outside a
step the SDK posts `{target: {run_id, step_id?, step_index?, step_attempt?, span_id?},
metadata: [{kind, op, values}]}` to `POST /v1/runs/{id}/metadata` (api/api.js `updateMetadata`,
components/InngestMetadata.js). Combining follows inngest/inngest `metadata.Values.Combine`."""

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from foundation import clock

from .models import Run, RunMetadata, Step
from .protocol import MetadataOp, StepOp

logger = logging.getLogger(__name__)

MAX_KIND_LENGTH = 128
# One update's values as JSON, and the kinds a run may hold (run and steps together): metadata
# is for small facts, and a run's page reads all of it.
MAX_VALUES_BYTES = 64 * 1024
MAX_KINDS_PER_RUN = 200
MAX_UPDATES_PER_REQUEST = 50
RUN_SCOPE = "run"
_KIND = re.compile(r"[A-Za-z0-9_.:\-/@]+")


class BadMetadata(ValueError):
    """An update that cannot be stored; the message names the field."""


class MetadataFull(BadMetadata):
    """The run holds MAX_KINDS_PER_RUN kinds already."""


@dataclass(frozen=True)
class Update:
    kind: str
    op: MetadataOp
    values: dict[str, Any]
    # On an op: "run" puts it on the run (JS `step.metadata(...)`, `step.score(...)` without a
    # step target), "step" or "extended_trace" on the op's step (InngestMetadata.js).
    scope: str = ""


def parse_updates(raw: Any, where: str = "metadata") -> list[Update]:
    """The typed updates of a `metadata` array; BadMetadata names the first bad field."""
    if not isinstance(raw, list):
        raise BadMetadata(f"{where} must be a list of updates")
    if len(raw) > MAX_UPDATES_PER_REQUEST:
        raise BadMetadata(f"{where} has {len(raw)} updates, over {MAX_UPDATES_PER_REQUEST}")
    return [_parse_update(item, f"{where}[{i}]") for i, item in enumerate(raw)]


def _parse_update(item: Any, where: str) -> Update:
    if not isinstance(item, dict):
        raise BadMetadata(f"{where} must be an object")
    kind = item.get("kind")
    if not isinstance(kind, str) or not _KIND.fullmatch(kind) or len(kind) > MAX_KIND_LENGTH:
        raise BadMetadata(f"{where}.kind must be a name of up to {MAX_KIND_LENGTH} characters")
    try:
        op = MetadataOp(item.get("op") or MetadataOp.MERGE)
    except ValueError:
        ops = ", ".join(o.value for o in MetadataOp)
        raise BadMetadata(f"{where}.op must be one of {ops}, got {item.get('op')!r}") from None
    values = item.get("values")
    if not isinstance(values, dict):
        raise BadMetadata(f"{where}.values must be an object")
    size = len(json.dumps(values, separators=(",", ":")).encode())
    if size > MAX_VALUES_BYTES:
        raise BadMetadata(f"{where}.values is {size} bytes, over {MAX_VALUES_BYTES}")
    return Update(kind, op, values, str(item.get("scope") or ""))


def combine(current: dict[str, Any], update: Update) -> dict[str, Any]:
    """What a kind holds after `update` (a new dict; `current` is not changed)."""
    if update.op is MetadataOp.SET:
        return dict(update.values)
    combined = dict(current)
    for key, value in update.values.items():
        if update.op is MetadataOp.DELETE:
            combined.pop(key, None)
        elif update.op is MetadataOp.ADD and _number(combined.get(key)) and _number(value):
            combined[key] = combined[key] + value
        elif update.op is MetadataOp.ADD and key in combined and _number(combined[key]):
            continue  # a non-number added to a number: ignored, as inngest/inngest does
        else:
            combined[key] = value
    return combined


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def apply_updates(run: Run, step_hashed_id: str, updates: list[Update]) -> None:
    """Combine `updates` into what the run (blank step) or its step holds. Each kind's row is
    locked while combining, so two updates at once both count."""
    if not updates:
        return
    with transaction.atomic():
        for update in updates:
            row = _locked_row(run, step_hashed_id, update.kind)
            row.values = combine(row.values if isinstance(row.values, dict) else {}, update)
            row.updated_at = clock.now()
            row.save(update_fields=["values", "updated_at"])


def _locked_row(run: Run, step_hashed_id: str, kind: str) -> RunMetadata:
    rows = RunMetadata.objects.select_for_update()
    row = rows.filter(run=run, step_hashed_id=step_hashed_id, kind=kind).first()
    if row is not None:
        return row
    if RunMetadata.objects.filter(run=run).count() >= MAX_KINDS_PER_RUN:
        raise MetadataFull(f"run {run.id} holds {MAX_KINDS_PER_RUN} kinds of metadata already")
    try:
        with transaction.atomic():  # a savepoint: losing the race to create is not an error
            return RunMetadata.objects.create(
                run=run, step_hashed_id=step_hashed_id, kind=kind, values={}, updated_at=clock.now()
            )
    except IntegrityError:
        return rows.get(run=run, step_hashed_id=step_hashed_id, kind=kind)


def record_op_metadata(run: Run, ops: list[StepOp]) -> None:
    """The metadata the SDK attached to its ops, each under the op's step. A bad entry is
    logged and skipped: metadata never fails a step."""
    for op in ops:
        if not op.metadata:
            continue
        try:
            updates = parse_updates(op.metadata, f"op {op.label}")
            apply_updates(run, op.hashed_id, [u for u in updates if u.scope != RUN_SCOPE])
            apply_updates(run, "", [u for u in updates if u.scope == RUN_SCOPE])
        except BadMetadata as exc:
            logger.warning("run %s: metadata of step %s not stored: %s", run.id, op.label, exc)


def target_step(run: Run, target: dict[str, Any]) -> str:
    """The hashed id of the step a `/metadata` target names, or blank for the run. The SDK
    sends the hashed id from inside a step and the user's id from `.step("id", index)`."""
    step_id = target.get("step_id")
    if not isinstance(step_id, str) or not step_id:
        return ""
    if Step.objects.filter(run=run, hashed_id=step_id).exists():
        return step_id
    index = target.get("step_index")
    seed = f"{step_id}:{index}" if isinstance(index, int) and index > 0 else step_id
    # The SDKs hash step ids with SHA-1, a repeat getting `:N` (docs: shared/protocol.md).
    return hashlib.sha1(seed.encode()).hexdigest()

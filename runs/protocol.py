"""The SDK wire format: building execution requests and parsing responses into typed values."""

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from . import signing
from .statuses import ErrorName


class Opcode(StrEnum):
    STEP_RUN = "StepRun"
    STEP_ERROR = "StepError"
    STEP_FAILED = "StepFailed"
    STEP_PLANNED = "StepPlanned"
    SLEEP = "Sleep"
    WAIT_FOR_EVENT = "WaitForEvent"
    WAIT_FOR_SIGNAL = "WaitForSignal"  # JS 3.x/4.x step.waitForSignal (runs/signals.py)
    INVOKE = "InvokeFunction"
    AI_GATEWAY = "AIGateway"
    GATEWAY = "Gateway"  # JS 3.x/4.x step.fetch (runs/fetch_gateway.py)
    STEP = "Step"  # older SDKs: a step that ran, same as StepRun
    RUN_COMPLETE = "RunComplete"  # JS v4 checkpointing: the function returned `data`
    # JS 4.4+ `defer()`: lazy ops riding beside another op (runs/defer.py).
    DEFER_ADD = "DeferAdd"
    DEFER_ABORT = "DeferAbort"


class ParallelMode(StrEnum):
    """`opts.parallelMode` of a planned step (JS 4.x `group.parallel()` and `step.run({ id,
    parallelMode })`, components/InngestStepTools.js; Python 0.5.19 `group.parallel(...,
    parallel_mode=ParallelMode.RACE)`, server_lib/consts.py). Semantics from inngest/inngest
    pkg/enums/parallel_mode.go: WAIT (the default) calls the SDK again once every parallel step
    has ended; RACE calls it again as soon as each one ends, so `Promise.race` resolves with
    the real winner while the others still run."""

    WAIT = "wait"
    RACE = "race"


PARALLEL_MODE_OPT = "parallelMode"


class SignalConflict(StrEnum):
    """`opts.conflict` of a WaitForSignal op (JS `onConflict`): what to do when another wait
    holds the signal. Absent means FAIL, as in inngest/inngest (only "replace" replaces)."""

    FAIL = "fail"
    REPLACE = "replace"


class ProtocolError(Exception):
    """The SDK answered something we cannot interpret."""


class UnknownOpcode(ProtocolError):
    """An op whose opcode this server does not know (a newer SDK feature): the attempt fails
    with an error that names the opcode and the SDK (runs/sdk_client.py)."""

    def __init__(self, index: int, opcode: str) -> None:
        super().__init__(f"operation {index} has unknown opcode {opcode!r}")
        self.opcode = opcode


SDK_HEADER = "x-inngest-sdk"  # on every SDK answer: "js:v4.24.0", "py:v0.5.19"


class EndpointHeader(StrEnum):
    """Sent when calling a Durable Endpoint back (runs/endpoint_calls.py); npm inngest 4.24.0
    `helpers/consts.js` headerKeys, read by `InngestCommHandler.js` `isInngestReq` and
    `handleAction`."""

    RUN_ID = "x-run-id"
    STEP_ID = "x-inngest-step-id"
    FORCE_STEP_PLAN = "x-inngest-force-step-plan"
    SIGNATURE = "x-inngest-signature"


class TraceHeader(StrEnum):
    """Sent with every call to the app (runs/tracing.py). W3C trace context, which the JS SDK's
    extendedTracesMiddleware reads to parent its spans (components/execution/engine.js) and
    parses `tracestate` for TRACESTATE_APP/TRACESTATE_FN (otel/consts.js); the request and job
    ids the JS SDK hands to the function's logger (InngestCommHandler.js, Inngest.js)."""

    TRACEPARENT = "traceparent"
    TRACESTATE = "tracestate"
    REQUEST_ID = "x-request-id"
    JOB_ID = "x-inngest-job-id"


TRACESTATE_APP = "inngest@app"
TRACESTATE_FN = "inngest@fn"


class MetadataOp(StrEnum):
    """How a metadata update combines with what a run or step holds (inngest/inngest
    pkg/enums/metadata_opcode.go, `Values.Combine`): JS 4.x sends "set" and "merge"."""

    MERGE = "merge"  # replace the given keys
    SET = "set"  # replace everything
    DELETE = "delete"  # remove the given keys
    ADD = "add"  # add numbers key by key


# What a step row can hold (runs.models.Step): longer values are refused, not cut, so a step
# id always means the same step.
MAX_STEP_ID_LENGTH = 64
MAX_STEP_NAME_LENGTH = 1024


@dataclass(frozen=True)
class StepOp:
    """One operation from a 206 response."""

    opcode: Opcode
    hashed_id: str
    name: str
    display_name: str
    has_data: bool = False
    data: Any = None
    error: dict[str, Any] | None = None
    opts: dict[str, Any] = field(default_factory=dict)
    # JS 4.x: `[{kind, scope, op, values}]` set during the step (runs/metadata.py).
    metadata: list[Any] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.display_name or self.name or self.hashed_id

    @property
    def races(self) -> bool:
        """A parallel step in race mode: its end resumes the run at once (ParallelMode)."""
        return self.opts.get(PARALLEL_MODE_OPT) == ParallelMode.RACE

    @property
    def step_input(self) -> dict[str, Any] | None:
        """The step's arguments (JS `step.run(id, fn, ...input)`), kept for the dashboard: shown,
        and editable for a rerun from this step."""
        return {"input": self.opts["input"]} if "input" in self.opts else None


@dataclass(frozen=True)
class FunctionCompleted:
    output: Any


@dataclass(frozen=True)
class StepsReported:
    ops: list[StepOp]
    # From the response headers; they apply to a StepError op (JS RetryAfterError in a step).
    no_retry: bool = False
    retry_at: datetime | None = None


@dataclass(frozen=True)
class FunctionErrored:
    """The function (or the SDK or the transport) failed; retried unless `no_retry`."""

    error: dict[str, Any]
    no_retry: bool = False
    retry_at: datetime | None = None


SdkOutcome = FunctionCompleted | StepsReported | FunctionErrored


@dataclass(frozen=True)
class ExecutionState:
    """What the SDK needs to replay a run up to its next new step."""

    run_id: str
    fn_slug: str
    event: dict[str, Any]
    events: list[dict[str, Any]]
    memos: dict[str, Any]
    stack: list[str]
    attempt: int
    max_attempts: int
    # Offering these lets the JS SDK v4 checkpoint: run several steps per request and report
    # them to /v1/checkpoint/{run_id}/async as it goes.
    queue_item_id: str = ""
    checkpointing: bool = False
    # Edited inputs of steps not run yet (a rerun from a step): sent as `{"input": [...]}`.
    step_inputs: dict[str, Any] = field(default_factory=dict)
    # Large state (runs/memo.py): the SDK fetches events and memos from /v0/runs/{id}/batch
    # and /actions instead. A body over `inline_max_bytes` (0: no limit) gets use_api too.
    use_api: bool = False
    inline_max_bytes: int = 0
    # The run's defers, `{hashed id: {"abortable": bool}}` (runs/defer.py): JS 4.4+ reads
    # `defers` and does not send a DeferAdd it finds there again.
    defers: dict[str, Any] = field(default_factory=dict)


def build_request_body(state: ExecutionState) -> bytes:
    if not state.use_api:
        body = _request_body(state, use_api=False)
        if not state.inline_max_bytes or len(body) <= state.inline_max_bytes:
            return body
    return _request_body(state, use_api=True)


def _request_body(state: ExecutionState, use_api: bool) -> bytes:
    """With `use_api` the state stays out: the Python SDK (0.5.19, comm_lib/handler.py) reads
    the top-level `use_api`, the JS SDK (3.x/4.x, helpers/functions.js) `ctx.use_api`; both
    then GET /v0/runs/{id}/batch and /actions (runs/state_views.py). Both still need `event`."""
    ctx: dict[str, Any] = {
        "run_id": state.run_id,
        "attempt": state.attempt,
        "max_attempts": state.max_attempts,
        "disable_immediate_execution": False,
        "use_api": use_api,
        "stack": {"stack": state.stack, "current": len(state.stack)},
    }
    if state.checkpointing:
        ctx.update({"fn_id": state.fn_slug, "qi_id": state.queue_item_id})
    body = {
        "event": state.event,
        "events": [] if use_api else state.events,
        "steps": {} if use_api else steps_with_inputs(state.memos, state.step_inputs),
        "ctx": ctx,
        "use_api": use_api,
        "version": 1,
    }
    if state.defers:
        body["defers"] = state.defers
    return signing.canonical_json(body)


def steps_with_inputs(memos: dict[str, Any], step_inputs: dict[str, Any]) -> dict[str, Any]:
    """The request's `steps`: edited inputs of steps not run yet, then the memos in order."""
    if not step_inputs:
        return memos
    pending = {h: {"input": v} for h, v in step_inputs.items() if h not in memos}
    return {**pending, **memos}


def parse_ops(body: Any) -> list[StepOp]:
    """Parse a 206 body: a list of operations (one op alone is accepted too)."""
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list) or not body:
        raise ProtocolError("a 206 response must carry a non-empty list of operations")
    return [_parse_op(item, i) for i, item in enumerate(body)]


def _parse_op(item: Any, index: int) -> StepOp:
    if not isinstance(item, dict):
        raise ProtocolError(f"operation {index} is not an object")
    raw_opcode = item.get("op")
    if not isinstance(raw_opcode, str) or not raw_opcode:
        raise ProtocolError(f"operation {index} has no opcode (`op`): got {raw_opcode!r}")
    try:
        opcode = Opcode(raw_opcode)
    except ValueError:
        raise UnknownOpcode(index, raw_opcode) from None
    hashed_id = item.get("id")
    if not isinstance(hashed_id, str) or not hashed_id:
        raise ProtocolError(f"operation {index} ({raw_opcode}) has no step id")
    if len(hashed_id) > MAX_STEP_ID_LENGTH:
        raise ProtocolError(
            f"operation {index} ({raw_opcode}) has a step id of {len(hashed_id)} characters, "
            f"over the limit of {MAX_STEP_ID_LENGTH}"
        )
    name, display_name = str(item.get("name") or ""), str(item.get("displayName") or "")
    if max(len(name), len(display_name)) > MAX_STEP_NAME_LENGTH:
        raise ProtocolError(
            f"operation {index} ({raw_opcode}) has a step name over "
            f"{MAX_STEP_NAME_LENGTH} characters: give the step a shorter id"
        )
    opts = item.get("opts") or {}
    if not isinstance(opts, dict):
        raise ProtocolError(f"operation {index} ({raw_opcode}) has opts that are not an object")
    error = item.get("error")
    if error is not None and not isinstance(error, dict):
        error = {"name": "Error", "message": str(error)}
    return StepOp(
        opcode=Opcode.STEP_RUN if opcode is Opcode.STEP else opcode,
        hashed_id=hashed_id,
        name=name,
        display_name=display_name,
        has_data="data" in item,
        data=item.get("data"),
        error=error,
        opts=opts,
        metadata=item["metadata"] if isinstance(item.get("metadata"), list) else [],
    )


def unsupported_opcode(opcode: str, sdk: str | None, step: str = "") -> dict[str, Any]:
    """The error of an attempt whose answer used an opcode this server does not support (yet):
    it names the opcode and the SDK version, so the user knows what to upgrade or avoid. `step`:
    the step of a known opcode this server cannot handle where it came (e.g. in parallel)."""
    what = f"opcode {opcode!r} for step {step!r}" if step else f"unknown opcode {opcode!r}"
    return {
        "name": ErrorName.UNSUPPORTED_OPCODE,
        "message": f"the app's SDK ({sdk or 'version unknown'}) answered with {what}, "
        "which this server does not support yet",
    }


def error_from_body(body: Any, fallback: str) -> dict[str, Any]:
    """Normalize a function-level error body to {name, message, stack?}."""
    if isinstance(body, dict) and ("message" in body or "name" in body):
        error = {
            "name": str(body.get("name") or "Error"),
            "message": str(body.get("message") or ""),
        }
        if body.get("stack"):
            error["stack"] = str(body["stack"])
        return error
    if body is None or body == "":
        return {"name": "Error", "message": fallback}
    text = body if isinstance(body, str) else json.dumps(body)
    return {"name": "Error", "message": f"{fallback}: {text[:2000]}"}

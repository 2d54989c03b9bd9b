"""Durable Endpoints after their request: the run's timer while the request runs it, going
async (a sleep, a wait, an invoke, a retried step), and the call back to the endpoint.

Call-back wire shape (npm inngest 4.24.0 `components/InngestCommHandler.js`
`createSyncHandler` / `isInngestReq` / `handleAction` with `forceExecution`): the endpoint's own
URL (its query too) with its own method, carrying `x-run-id` and `x-inngest-signature` (the SDK
takes a call as ours only with both; in dev mode it checks no signature). The SDK reads no run
state from the body: it sets `ctx = {run_id, use_api: true}` and fetches the event and memoized
steps from `GET /v0/runs/{id}/batch` and `/actions` (runs/state_views.py), then answers like
any function: 206 with ops (a `RunComplete` op whose data is the HTTP answer when the handler
returned), or an error status. It parses a POST or PUT body as JSON and checks the signature
over it (canonical JSON), any other method's over an empty body. Semantics from inngest/inngest
`pkg/execution/checkpoint/checkpoint.go` (a step error schedules the retry as a queue item)
and `pkg/api/apiv1/checkpoint.go` (a run that never reports its end fails after 60 minutes)."""

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from foundation import clock, strict_json

from . import queue, signing, states
from .defer import FUNCTION_STEP_ID
from .models import Attempt, QueueItem, Run, Step
from .protocol import EndpointHeader, Opcode, StepOp
from .retries import next_attempt_at
from .statuses import ErrorName, QueueReason, RunStatus, StepStatus

ENDPOINT_FRAMEWORK = "durable-endpoint"  # App.framework of an endpoint's app
# Methods whose body the SDK parses as JSON and verifies the signature over; any other
# method's signature is checked over an empty body, so those calls send none.
_JSON_BODY_METHODS = frozenset({"POST", "PUT"})
# Dev mode: the SDK checks no signature but still needs the header to take the call as ours.
_UNSIGNED = "unsigned"


@dataclass(frozen=True)
class EndpointCall:
    url: str
    method: str
    body: bytes
    headers: dict[str, str]


def is_endpoint_run(run: Run) -> bool:
    return bool(run.function.app.framework == ENDPOINT_FRAMEWORK)


def watch(run: Run) -> None:
    """The run's one queue item while its request runs it: due when the run should have
    ended. A run that reports its end drops it; one that goes async makes it due now."""
    due = clock.now() + timedelta(seconds=settings.ENDPOINT_RUN_TIMEOUT)
    queue.enqueue(run, due_at=due, reason=QueueReason.ENDPOINT_TIMEOUT)


def stop_watching(run: Run) -> None:
    """The run ended in its request. A timer some worker holds right now is left to it: the
    run has ended, so its time_out changes nothing."""
    QueueItem.objects.filter(run=run, reason=QueueReason.ENDPOINT_TIMEOUT, lease_owner="").delete()


def go_async(run: Run, op: StepOp) -> None:
    """The endpoint reported an op it cannot finish in its request: from now on the queue
    drives the run, calling the endpoint back. A step error (or the handler's own retriable
    error, reported as step 'complete') is its first failed attempt, so the call back is its
    retry, after the usual backoff; for anything else (a sleep, a wait,
    an invoke, planned parallel steps) the endpoint is called back now and reports the op
    again, as any function's discovery call would, and the executor handles it."""
    now = clock.now()
    due, attempt, reason = now, 0, QueueReason.START
    if op.opcode is Opcode.STEP_ERROR:
        _first_attempt_failed(run, op, now)
        due, attempt, reason = next_attempt_at(0, None), 1, QueueReason.RETRY
    timers = QueueItem.objects.filter(run=run, reason=QueueReason.ENDPOINT_TIMEOUT, lease_owner="")
    item_id = timers.values_list("id", flat=True).first()
    if item_id is None:  # a run started before endpoints had a timer
        queue.enqueue(run, due_at=due, reason=reason)
        return
    QueueItem.objects.filter(pk=item_id).update(
        due_at=due, attempt=attempt, reason=reason, dispatched_at=now
    )
    queue.dispatch_on_commit(item_id, due)


def time_out(run: Run, item: QueueItem) -> None:
    """The timer came due and the run is still in its request's hands: fail it, as Inngest
    does; a run that ended meanwhile stays as it ended (the guarded move refuses)."""
    error = {
        "name": ErrorName.ENDPOINT_TIMEOUT,
        "message": f"the endpoint did not report its end within "
        f"{settings.ENDPOINT_RUN_TIMEOUT:g}s of its request (DEVSERVER_ENDPOINT_RUN_TIMEOUT): "
        "its handler threw an error the SDK answered without reporting it (a "
        "NonRetriableError), or the app stopped mid-request",
    }
    with transaction.atomic():
        queue.finish(item)
        states.try_move_run(run, RunStatus.FAILED, error=error)


def call_back(run: Run, target_step: str, force_plan: bool = False) -> EndpointCall:
    """The request that resumes the endpoint's run (module docstring)."""
    request = run.event.data if run.event is not None else {}
    method = str(request.get("method") or "GET").upper()
    url = f"{request.get('domain', '')}{request.get('path', '')}"
    if request.get("query_params"):
        url = f"{url}?{request['query_params']}"
    body = _body(request) if method in _JSON_BODY_METHODS else b""
    headers = {EndpointHeader.RUN_ID.value: run.id}
    headers.update(signing.request_headers(body) or {EndpointHeader.SIGNATURE.value: _UNSIGNED})
    if target_step:
        headers[EndpointHeader.STEP_ID.value] = target_step
    if force_plan:
        headers[EndpointHeader.FORCE_STEP_PLAN.value] = "true"
    return EndpointCall(url, method, body, headers)


def _body(request: dict[str, Any]) -> bytes:
    """The request's own JSON body again, in canonical form (the SDK verifies the signature
    over its canonical JSON); a body that is not JSON, or was cut to fit the event, is `{}`:
    the SDK would refuse anything but JSON."""
    raw = request.get("body")
    if isinstance(raw, str) and raw and not request.get("body_truncated"):
        try:
            return signing.canonical_json(strict_json.loads(raw))
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
            pass
    return b"{}"


def _first_attempt_failed(run: Run, op: StepOp, now: Any) -> None:
    error = op.error or {"name": ErrorName.GENERIC, "message": f"{op.label} failed"}
    Attempt.objects.create(
        run=run,
        step_hashed_id=op.hashed_id,
        step_name=op.label,
        number=0,
        started_at=now,
        ended_at=now,
        error=error,
    )
    if op.hashed_id == FUNCTION_STEP_ID:  # the handler itself threw: no step to retry
        return
    step = Step.objects.filter(run=run, hashed_id=op.hashed_id).first()
    if step is None:
        states.record_step(
            run,
            StepStatus.RETRYING,
            hashed_id=op.hashed_id,
            name=op.label,
            opcode=Opcode.STEP_RUN,
            attempts=1,
            started_at=now,
        )
    else:
        states.move_step(step, StepStatus.RETRYING, attempts=1)

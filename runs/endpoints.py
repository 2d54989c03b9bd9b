"""Durable Endpoints (npm inngest 4.x `inngest.endpoint()`): an HTTP handler of the app runs
its steps in the request and reports them to us, so each request becomes a run like any other
(in the runs list and on the run page, with its steps).

Wire shapes (npm inngest 4.24.0 `api/api.js` `checkpointNewRun` / `checkpointSteps`,
`components/InngestCommHandler.js` `handleSyncRequest` / `createHttpEvent`,
`components/execution/engine.js` sync handlers): `POST /v1/checkpoint` `{run_id, event:
{name: "inngest/http.request", data: {domain, method, path, query_params, body, content_type,
ip, fn}}, steps, ts, request_version, retries}` answered `{data: {fn_id, app_id, run_id, token,
realtime_token}}`; then `POST /v1/checkpoint/{run_id}/steps` `{fn_id, app_id, run_id, steps}`;
the function's end is a `RunComplete` op whose data is the HTTP answer `{status, headers,
body}`. Semantics from inngest/inngest `pkg/api/apiv1/checkpoint.go`, `checkpoint_types.go`
and `pkg/execution/checkpoint/checkpoint.go`: one app per `domain`, one function per `fn`
(else "METHOD path", slugified), the run id chosen by the SDK, a token that reads the run's output
(`GET /v1/http/runs/{run_id}/output?token=`, runs/endpoint_views.py), and a realtime token for
the run's `stream` topic.

An endpoint that goes async (a sleep, a wait, an invoke or a retried step inside it) is then
driven by the queue, which calls it back; one that never reports its end fails after
DEVSERVER_ENDPOINT_RUN_TIMEOUT (runs/endpoint_calls.py)."""

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing as django_signing
from django.db import transaction
from django.utils.text import slugify
from ulid import ULID

from events.ingest import IncomingEvent, store_events
from foundation import clock

from . import defer, endpoint_calls, states
from .endpoint_calls import ENDPOINT_FRAMEWORK
from .metadata import record_op_metadata
from .models import App, Function, Run, Step
from .protocol import Opcode, ProtocolError, StepOp, parse_ops
from .realtime.protocol import STREAM_TOPIC
from .realtime.tokens import Topic, issue
from .state_size import json_size
from .statuses import TERMINAL_RUN_STATUSES, RunStatus, StepStatus

logger = logging.getLogger(__name__)

HTTP_REQUEST_EVENT = "inngest/http.request"
# Apps of endpoints have no serve URL to sync: a '#' in the URL keeps the poller away
# (runs/sync.py `poll_apps`).
ENDPOINT_APP_SUFFIX = "#durable-endpoint"
OUTPUT_TOKEN_SALT = "runs.endpoints.output"
OUTPUT_TOKEN_MAX_AGE = 24 * 3600
# The run's realtime token: its caller may connect to the run's stream for as long as Inngest
# lets an endpoint stream (MaxDurpStreamingRun, 15 minutes, plus its minute of slack).
STREAM_TOKEN_SECONDS = 16 * 60
MAX_URL_LENGTH = 2048
MAX_SLUG_LENGTH = 255
# The request fields an event keeps; a body that would take the event over its limit is cut.
_EVENT_FIELDS = ("domain", "method", "path", "query_params", "body", "content_type", "ip", "fn")


class BadEndpointCheckpoint(ValueError):
    """The checkpoint cannot be read; the message names the field."""


class EndpointRunExists(Exception):
    """`POST /v1/checkpoint` for a run id that is taken (inngest/inngest answers 409)."""


class UnknownEndpointRun(LookupError):
    """Steps for a run we do not have, or that is no endpoint's."""


@dataclass(frozen=True)
class NewEndpointRun:
    run_id: str
    request: dict[str, Any]  # the event's data: how the endpoint was called
    ops: list[StepOp]
    retries: int


def parse_new_run(body: Any) -> NewEndpointRun:
    if not isinstance(body, dict):
        raise BadEndpointCheckpoint("the checkpoint body must be a JSON object")
    run_id = _run_id(body.get("run_id"))
    event = body.get("event")
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict):
        raise BadEndpointCheckpoint("event.data must be an object (the endpoint's request)")
    request = {key: data[key] for key in _EVENT_FIELDS if key in data}
    for key in ("domain", "method", "path"):
        if not isinstance(request.get(key), str) or not request[key]:
            raise BadEndpointCheckpoint(f"event.data.{key} must be a non-empty string")
    if len(request["domain"]) + len(request["path"]) > MAX_URL_LENGTH:
        raise BadEndpointCheckpoint(f"the endpoint's URL is over {MAX_URL_LENGTH} characters")
    retries = body.get("retries")
    if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= 20:
        retries = settings.DEFAULT_RETRIES
    return NewEndpointRun(run_id, request, _ops(body.get("steps")), retries)


def start_endpoint_run(new: NewEndpointRun, sdk: str) -> dict[str, Any]:
    """Store the endpoint's app and function (first call), its request as the run's event and
    the run itself, then the steps that came with it. Returns the SDK's `data`."""
    with transaction.atomic():
        if Run.objects.filter(pk=new.run_id).exists():
            raise EndpointRunExists(f"run {new.run_id} already exists")
        function = _endpoint_function(new, sdk)
        [event] = store_events([IncomingEvent.internal(HTTP_REQUEST_EVENT, _bounded(new))]).stored
        run = Run(id=new.run_id, function=function, event=event, queued_at=clock.now())
        states.create_run(run)
        states.move_run(run, RunStatus.RUNNING)
        endpoint_calls.watch(run)
        _apply(run, new.ops)
    return {
        "fn_id": str(function.pk),
        "app_id": str(function.app_id),
        "run_id": run.id,
        "token": output_token(run.id),
        "realtime_token": issue(
            [Topic(run.id, STREAM_TOPIC)], subject=run.id, seconds=STREAM_TOKEN_SECONDS
        ),
    }


def checkpoint_endpoint_steps(run_id: str, body: Any) -> None:
    """`POST /v1/checkpoint/{run_id}/steps`: more steps (or the end) of an endpoint's run."""
    if not isinstance(body, dict):
        raise BadEndpointCheckpoint("the checkpoint body must be a JSON object")
    ops = _ops(body.get("steps"))
    with transaction.atomic():
        run = Run.objects.select_related("function__app").filter(pk=run_id).first()
        if run is None or run.function.app.framework != ENDPOINT_FRAMEWORK:
            raise UnknownEndpointRun(f"no endpoint run {run_id}")
        if run.status in TERMINAL_RUN_STATUSES:
            # Cancelled meanwhile, or reported twice: what was stored stands.
            logger.info("endpoint run %s already ended as %s", run_id, run.status)
            return
        _apply(run, ops)


def output_token(run_id: str) -> str:
    return django_signing.dumps(run_id, salt=OUTPUT_TOKEN_SALT, compress=False)


def run_of_token(token: str) -> str | None:
    """The run id a token reads, or None for a forged or expired one."""
    try:
        run_id = django_signing.loads(token, salt=OUTPUT_TOKEN_SALT, max_age=OUTPUT_TOKEN_MAX_AGE)
    except django_signing.BadSignature:
        return None
    return run_id if isinstance(run_id, str) else None


def _apply(run: Run, ops: list[StepOp]) -> None:
    """Store what the endpoint reported, in order (inngest/inngest `CheckpointSyncSteps`)."""
    lazy, ops = (
        [op for op in ops if op.opcode in defer.LAZY_OPCODES],
        [op for op in ops if op.opcode not in defer.LAZY_OPCODES],
    )
    defer.record_lazy_ops(run, lazy)  # before the end: a defer rides with RunComplete
    record_op_metadata(run, ops)  # what the SDK attached to its steps (step.ai.wrap, metadata)
    position = Step.objects.filter(run=run, position__isnull=False).count()
    now = clock.now()
    for op in ops:
        if run.status in TERMINAL_RUN_STATUSES:
            return
        if op.opcode is Opcode.RUN_COMPLETE:
            states.move_run(run, RunStatus.COMPLETED, output=_http_answer(op.data))
            endpoint_calls.stop_watching(run)
        elif op.hashed_id == defer.FUNCTION_STEP_ID and op.opcode is Opcode.STEP_FAILED:
            states.move_run(run, RunStatus.FAILED, error=_error(op))  # the handler threw
            endpoint_calls.stop_watching(run)
        elif op.opcode in (Opcode.STEP_RUN, Opcode.STEP_FAILED):
            failed = op.opcode is Opcode.STEP_FAILED
            stored = states.record_step(
                run,
                StepStatus.FAILED if failed else StepStatus.COMPLETED,
                hashed_id=op.hashed_id,
                name=op.label,
                opcode=Opcode.STEP_RUN,
                memo={"error": _error(op)} if failed else {"data": op.data},
                opts=op.step_input,
                position=position,
                started_at=now,
                ended_at=now,
            )
            position += stored is not None
        else:
            # The rest of this report (parallel steps planned beside it) the endpoint reports
            # again when called back.
            endpoint_calls.go_async(run, op)
            return


def _endpoint_function(new: NewEndpointRun, sdk: str) -> Function:
    request = new.request
    domain = request["domain"]
    app, _ = App.objects.get_or_create(
        url=f"{domain}{ENDPOINT_APP_SUFFIX}",
        defaults={"name": domain[:255], "framework": ENDPOINT_FRAMEWORK, "sdk": sdk[:64]},
    )
    fn = request.get("fn")
    name = (fn if isinstance(fn, str) and fn else f"{request['method']} {request['path']}")[:255]
    # Inngest names it "GET /hello"; our slugs sit in URLs (pages, API): "get-hello".
    slug = slugify(name)[:MAX_SLUG_LENGTH] or "endpoint"
    url = domain + request["path"]
    function = Function.objects.filter(slug=slug).first()
    if function is None:
        config = {"id": slug, "name": name, "endpoint": {"method": request["method"], "url": url}}
        return Function.objects.create(
            app=app,
            slug=slug,
            name=name,
            config=config,
            triggers=[],
            step_url=url,
            retries=new.retries,
        )
    if (function.app_id, function.step_url, function.retries) != (app.pk, url, new.retries):
        function.app, function.step_url, function.retries = app, url, new.retries
        function.save(update_fields=["app", "step_url", "retries", "updated_at"])
    return function


def _bounded(new: NewEndpointRun) -> dict[str, Any]:
    """The run's event data; a request body that would take it over EVENT_MAX_BYTES is cut."""
    data = dict(new.request)
    over = json_size(data) - settings.EVENT_MAX_BYTES
    if over > 0 and isinstance(data.get("body"), str):
        keep = max(0, len(data["body"]) - over - 64)
        data["body"] = data["body"][:keep]
        data["body_truncated"] = True
    return data


def _http_answer(data: Any) -> Any:
    """The endpoint's answer as the run's output: `{status, headers, body}` (the SDK's
    createResponse); anything else is kept as it came."""
    if isinstance(data, dict) and isinstance(data.get("status", data.get("status_code")), int):
        headers = data.get("headers")
        return {
            "status": data.get("status", data.get("status_code")),
            "headers": headers if isinstance(headers, dict) else {},
            "body": data.get("body") if isinstance(data.get("body"), str) else "",
        }
    return data


def _error(op: StepOp) -> dict[str, Any]:
    return op.error or {"name": "Error", "message": f"{op.label} failed"}


def _run_id(value: Any) -> str:
    try:
        return str(ULID.from_str(value)) if isinstance(value, str) else _no_run_id()
    except ValueError:
        return _no_run_id()


def _no_run_id() -> str:
    raise BadEndpointCheckpoint("run_id must be a ULID (the SDK makes one per request)")


def _ops(steps: Any) -> list[StepOp]:
    if steps is None or steps == []:
        return []
    try:
        return parse_ops(steps)
    except ProtocolError as exc:
        raise BadEndpointCheckpoint(str(exc)) from None

"""The executor's side of Connect: an SDK call to a `connect://` step URL goes to a connected
worker of that app instead of over HTTP, and the caller's thread waits for the reply.

The database stays the truth: the queue item's lease is held and renewed by the calling
process exactly as during an HTTP call (runs/heartbeat.py), and every way a request can be
lost (no worker, no ack, the worker gone mid-request, no reply in time) comes back as a failed
attempt, which the executor retries with backoff like an unreachable app."""

import json
import time

from django.conf import settings
from ulid import ULID

from ..protocol import FunctionErrored, SdkOutcome, TraceHeader
from ..sdk_client import interpret_response
from ..statuses import ErrorName
from .bus import Bus, Worker, get_bus, reply_box
from .connect_pb2 import GatewayExecutorRequestData, SDKResponse, SDKResponseStatus
from .protocol import ACK_SECONDS, EXTEND_LEASE_SECONDS, parse_step_url

# Replies as the gateway (or the flush endpoint) posts them: a one-byte kind, then the payload.
ACKED, REPLIED, LOST = b"A", b"R", b"L"
# A request lost with its socket may still be answered: the SDK keeps the reply and flushes
# it over HTTP (`/v0/connect/flush`) once it is older than the extend-lease interval, polling
# every second, so up to the step's remaining time + ~6 s after the loss. 8 s of grace ran out
# first on a loaded machine (a web process stopped mid-step, staging CI) and the step ran again.
_FLUSH_GRACE = 3 * EXTEND_LEASE_SECONDS
_POLL = 1.0
# The request's lease on the bus lapses this long after its caller last renewed it (every
# EXTEND_LEASE_SECONDS while it waits), so a caller that died frees its worker soon.
_LEASE_SECONDS = 3 * EXTEND_LEASE_SECONDS
_STATUS = {SDKResponseStatus.DONE: 200, SDKResponseStatus.NOT_COMPLETED: 206}


def dispatch(url: str, body: bytes, headers: dict[str, str]) -> SdkOutcome | None:
    """The outcome of the call when `url` is a Connect app's, None for any other URL (the
    hook runs/sdk_client.py calls before HTTP)."""
    target = parse_step_url(url)
    if target is None:
        return None
    app_name, fn_slug, step_id = target
    bus = get_bus()
    deadline = time.monotonic() + settings.SDK_REQUEST_TIMEOUT
    worker = _reserve_worker(bus, app_name, deadline)
    if worker is None:
        return _unreachable(
            f"no Connect worker of app {app_name!r} is connected and ready (start one with the "
            "SDK's connect(), pointed at this server)"
        )
    try:
        request_id = headers.get(TraceHeader.REQUEST_ID) or str(ULID())
        request = GatewayExecutorRequestData(
            request_id=request_id,
            app_name=app_name,
            function_slug=fn_slug,
            step_id=step_id,
            request_payload=body,
            job_id=headers.get(TraceHeader.JOB_ID, ""),
            lease_id=request_id,
            user_trace_ctx=json.dumps(
                {k: v for k, v in headers.items() if k.startswith("trace")}
            ).encode(),
        )
        try:
            bus.send_request(
                worker.connection_id, request_id, request.SerializeToString(), _LEASE_SECONDS
            )
            return _await_reply(bus, worker, request_id, deadline)
        finally:
            bus.end_lease(request_id)
    finally:
        bus.release(worker.connection_id)


def _reserve_worker(bus: Bus, app_name: str, deadline: float) -> Worker | None:
    """The least busy ready worker of the app with a free slot, reserved. Waits while workers
    are connected but all busy or draining (up to the call's deadline), and briefly while none
    is connected (a worker may be reconnecting after a restart)."""
    none_until = time.monotonic() + ACK_SECONDS
    while True:
        workers = bus.workers(app_name)
        for worker in sorted(workers, key=lambda w: w.inflight):
            if bus.reserve(worker.connection_id):
                return worker
        now = time.monotonic()
        if now >= deadline or (not workers and now >= none_until):
            return None
        time.sleep(0.05)


def _await_reply(bus: Bus, worker: Worker, request_id: str, deadline: float) -> SdkOutcome:
    sent = renewed = time.monotonic()
    acked = False
    lost_at: float | None = None
    while True:
        now = time.monotonic()
        if now - renewed >= EXTEND_LEASE_SECONDS:
            bus.hold_lease(request_id, _LEASE_SECONDS)
            renewed = now
        if now >= deadline:
            return FunctionErrored(
                {
                    "name": ErrorName.SDK_TIMEOUT,
                    "message": f"the Connect worker {worker.instance_id!r} did not answer "
                    f"within {settings.SDK_REQUEST_TIMEOUT:g}s",
                }
            )
        if lost_at is not None and now - lost_at >= _FLUSH_GRACE:
            return _unreachable(
                f"the Connect worker {worker.instance_id!r} went away during the request"
            )
        message = bus.pop(reply_box(request_id), min(_POLL, deadline - now))
        if message is None:
            if lost_at is None and not acked and time.monotonic() - sent >= ACK_SECONDS:
                return _unreachable(
                    f"the Connect worker {worker.instance_id!r} did not acknowledge the request"
                )
            if lost_at is None and bus.worker(worker.connection_id) is None:
                lost_at = time.monotonic()  # heartbeats stopped, or its gateway is gone
            continue
        kind, payload = message[:1], message[1:]
        if kind == ACKED:
            acked = True
        elif kind == LOST:
            lost_at = lost_at or time.monotonic()
        elif kind == REPLIED:
            return outcome_of(payload)


def outcome_of(payload: bytes) -> SdkOutcome:
    """A worker's SDKResponse read like the HTTP answer it stands for."""
    reply = SDKResponse()
    try:
        reply.ParseFromString(payload)
    except Exception:  # protobuf's DecodeError; any garbage is the same protocol error
        return FunctionErrored(
            {"name": ErrorName.PROTOCOL_ERROR, "message": "the worker's reply is not protobuf"}
        )
    limit = settings.SDK_RESPONSE_MAX_BYTES
    if len(reply.body) > limit:
        return FunctionErrored(
            {
                "name": ErrorName.OUTPUT_TOO_LARGE,
                "message": f"the worker's answer has {len(reply.body)} bytes, over the limit of "
                f"{limit} (DEVSERVER_STEP_OUTPUT_MAX_BYTES): return a smaller step output",
            }
        )
    headers = {"x-inngest-no-retry": "true" if reply.no_retry else "false"}
    if reply.HasField("retry_after"):
        headers["retry-after"] = reply.retry_after
    return interpret_response(_STATUS.get(reply.status, 500), headers, reply.body)


def _unreachable(message: str) -> FunctionErrored:
    return FunctionErrored({"name": ErrorName.SDK_UNREACHABLE, "message": message})

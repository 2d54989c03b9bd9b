"""Durable Endpoints' HTTP surface (runs/endpoints.py): `POST /v1/checkpoint`,
`POST /v1/checkpoint/{run_id}/steps` (the SDK, with the hashed signing key in staging:
console/access.py) and `GET /v1/http/runs/{run_id}/output?token=` (the endpoint's caller,
redirected there by the SDK once the run went on without it; the token is the credential).
Shapes: npm inngest 4.24.0 `api/api.js`; inngest/inngest `pkg/api/apiv1/checkpoint.go`."""

import json
import time

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router, Status

from foundation import strict_json

from .endpoints import (
    BadEndpointCheckpoint,
    EndpointRunExists,
    UnknownEndpointRun,
    checkpoint_endpoint_steps,
    parse_new_run,
    run_of_token,
    start_endpoint_run,
)
from .models import Run
from .protocol import SDK_HEADER
from .statuses import TERMINAL_RUN_STATUSES, RunStatus

# How long the output request waits for the run to end (Inngest waits up to five minutes,
# polling every two seconds); the answer then says the run goes on, and the caller asks again.
OUTPUT_WAIT_SECONDS = 30.0
OUTPUT_POLL_SECONDS = 0.5
# Headers of the stored answer that describe the stored framing, not the one we send.
_HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})

router = Router(tags=["inngest v1"])


@router.post("/checkpoint", response={200: dict, 400: dict, 409: dict})
def new_endpoint_run(request: HttpRequest) -> Status:
    try:
        new = parse_new_run(strict_json.loads(request.body))
        data = start_endpoint_run(new, _sdk(request))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return Status(400, {"error": "checkpoint body is not valid JSON"})
    except BadEndpointCheckpoint as exc:
        return Status(400, {"error": str(exc)})
    except EndpointRunExists as exc:
        return Status(409, {"error": str(exc)})
    return Status(200, {"data": data})


@router.post("/checkpoint/{run_id}/steps", response={200: None, 400: dict, 404: dict})
def endpoint_steps(request: HttpRequest, run_id: str) -> Status:
    try:
        checkpoint_endpoint_steps(run_id, strict_json.loads(request.body))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return Status(400, {"error": "checkpoint body is not valid JSON"})
    except BadEndpointCheckpoint as exc:
        return Status(400, {"error": str(exc)})
    except UnknownEndpointRun as exc:
        return Status(404, {"error": str(exc)})
    return Status(200, None)


@router.get("/http/runs/{run_id}/output", auth=None)
def endpoint_output(request: HttpRequest, run_id: str, token: str = "") -> HttpResponse:
    """The endpoint's answer once its run ended: the status, headers and body it returned."""
    if run_of_token(token) != run_id:
        return JsonResponse({"error": "Unable to find run with auth token"}, status=401)
    deadline = time.monotonic() + OUTPUT_WAIT_SECONDS
    while True:
        run = Run.objects.filter(pk=run_id).first()
        if run is None:
            return JsonResponse({"error": f"run {run_id} not found"}, status=404)
        if run.status in TERMINAL_RUN_STATUSES or time.monotonic() >= deadline:
            break
        time.sleep(OUTPUT_POLL_SECONDS)  # a sync view: this thread only waits for the run
    if run.status == RunStatus.COMPLETED:
        return _stored_answer(run.output)
    if run.status in TERMINAL_RUN_STATUSES:
        body = {"status": run.status.lower(), "error": run.error}
        return JsonResponse(body, status=500)
    return JsonResponse({"status": "running", "message": "the run has not ended yet"})


def _stored_answer(output: object) -> HttpResponse:
    if isinstance(output, dict) and isinstance(output.get("status"), int):
        response = HttpResponse(str(output.get("body") or ""), status=output["status"])
        for name, value in (output.get("headers") or {}).items():
            if str(name).lower() not in _HOP_HEADERS:
                response[str(name)] = str(value)
        return response
    return JsonResponse({"data": output}, safe=False)


def _sdk(request: HttpRequest) -> str:
    """`inngest-js:v4.24.0` as the JS SDK's API calls name it; `js:v4.24.0` as its answers do."""
    sdk = request.headers.get(SDK_HEADER, "")
    return sdk.removeprefix("inngest-")

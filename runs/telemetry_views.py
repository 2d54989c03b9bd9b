"""SDK-facing telemetry endpoints, mounted on the /v1/ API (devserver/api.py) and authenticated
like every SDK call (console/access.py, the hashed signing key in staging):
`POST /v1/traces/userland` (OTLP/JSON spans, runs/userspans.py) and
`POST /v1/runs/{run_id}/metadata` (run and step metadata, runs/metadata.py)."""

import json

from django.http import HttpRequest
from ninja import Router, Status

from foundation import strict_json

from .metadata import BadMetadata, MetadataFull, apply_updates, parse_updates, target_step
from .models import Run
from .userspans import BadSpans, parse_export, store_spans

router = Router(tags=["inngest v1"])


@router.post("/traces/userland", response={200: dict, 400: dict, 415: dict})
def export_spans(request: HttpRequest) -> Status:
    """An OTLP/HTTP export (JSON from the JS SDK, or protobuf). The answer is OTLP's
    ExportTraceServiceResponse, as JSON: spans dropped (unknown run, over a run's bound) are
    counted in `partialSuccess`, never an error, so the exporter does not retry them."""
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type not in ("application/json", "application/x-protobuf", ""):
        message = "OTLP/HTTP takes application/json or application/x-protobuf, got " + content_type
        return Status(415, {"error": message, "status": 415})
    try:
        protobuf = content_type == "application/x-protobuf"
        stored = store_spans(parse_export(request.body, protobuf))
    except BadSpans as exc:
        return Status(400, {"error": str(exc), "status": 400})
    if not stored.rejected:
        return Status(200, {})
    why = "spans of no known run, or over the run's bound of stored spans"
    return Status(200, {"partialSuccess": {"rejectedSpans": stored.rejected, "errorMessage": why}})


@router.post("/runs/{run_id}/metadata", response={200: dict, 400: dict, 404: dict, 413: dict})
def update_metadata(request: HttpRequest, run_id: str) -> Status:
    """`{target: {run_id, step_id?, step_index?, ...}, metadata: [{kind, op, values}]}` from the
    JS SDK 4.x (`inngest.metadata`, `step.metadata`, scores and experiments outside a step)."""
    try:
        body = strict_json.loads(request.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return Status(400, {"error": "metadata body is not valid JSON", "status": 400})
    if not isinstance(body, dict):
        return Status(400, {"error": "metadata body must be an object", "status": 400})
    target = body.get("target")
    target = target if isinstance(target, dict) else {}
    run = Run.objects.filter(pk=run_id).only("id").first()
    if run is None:
        return Status(404, {"error": f"run {run_id} not found", "status": 404})
    try:
        apply_updates(run, target_step(run, target), parse_updates(body.get("metadata")))
    except MetadataFull as exc:
        return Status(413, {"error": str(exc), "status": 413})
    except BadMetadata as exc:
        return Status(400, {"error": str(exc), "status": 400})
    return Status(200, {"status": 200})

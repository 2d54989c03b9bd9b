"""The engine's SDK-facing endpoints: `POST /fn/register` (an app's answer to our sync),
`POST /v1/checkpoint/{run_id}/async` (steps the JS SDK v4 ran inside one request) and
`POST /v1/signals` (a signal for a waiting run). Each parses
its input and calls one function of the engine (credentials: console.access)."""

import json
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from ninja import Router, Status

from foundation import strict_json

from . import signing
from .checkpoint import BadCheckpoint, StaleDispatch, record_checkpoint
from .registration import RegistrationError, parse_registration, record_sync_error, register
from .signals import send_signal
from .sync import claim_sync_request, server_kind

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def register_view(request: HttpRequest) -> JsonResponse:
    """`POST /fn/register`: the SDK's answer to our PUT, carrying its whole configuration."""
    if _needs_our_sync_request(request) and not claim_sync_request(request.GET.get("deployId", "")):
        return _registration_failed(
            "this server accepts only registrations it asked for, once: sync the app from the "
            "console's Apps page or `manage.py apps sync URL` (or allow out-of-band syncs with "
            "DEVSERVER_OUT_OF_BAND_SYNC=true)",
            status=401,
        )
    expected = request.headers.get("X-Inngest-Expected-Server-Kind")
    if expected and expected != server_kind():
        return _registration_failed(f"Expected server kind {expected}, got {server_kind()}")
    try:
        body = strict_json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _registration_failed("registration body is not valid JSON")
    try:
        registration = parse_registration(body)
    except RegistrationError as exc:
        if isinstance(body, dict) and isinstance(body.get("url"), str):
            record_sync_error(body["url"], str(exc))
        return _registration_failed(str(exc))
    result = register(registration, settings.DEFAULT_RETRIES)
    # Every poll re-syncs every app (each POLL_INTERVAL s): say so only when something changed.
    log = logger.info if result.modified else logger.debug
    log("synced app %s (%d functions)", result.app.name, len(registration.functions))
    return JsonResponse({"ok": True, "modified": result.modified, "status": 200})


# Mounted on the /v1/ API beside Inngest's REST API (devserver/api.py).
checkpoint_router = Router(tags=["inngest v1"])


@checkpoint_router.post("/checkpoint/{run_id}/async", response={200: None, 400: dict, 409: dict})
def checkpoint(request: HttpRequest, run_id: str) -> Status:
    """JS SDK v4 reports the steps it ran inside one request (see runs/checkpoint.py)."""
    try:
        body = strict_json.loads(request.body)
        record_checkpoint(run_id, body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return Status(400, {"error": "checkpoint body is not valid JSON"})
    except BadCheckpoint as exc:
        return Status(400, {"error": str(exc)})
    except StaleDispatch as exc:
        return Status(409, {"error": str(exc)})
    return Status(200, None)


# `POST /v1/signals` (runs/signals.py): the SDKs' `inngest.sendSignal` and `step.sendSignal`.
signal_router = Router(tags=["inngest v1"])


@signal_router.post("/signals", response={200: dict, 400: dict, 404: dict})
def send_signal_view(request: HttpRequest) -> Status:
    """Resume the run waiting for `signal` with `data`: `{"data": {"run_id"}}`, or a 404 that
    the SDK reads as "no run was waiting"."""
    try:
        body = strict_json.loads(request.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return Status(400, {"error": "signal body is not valid JSON", "status": 400})
    signal = body.get("signal") if isinstance(body, dict) else None
    if not isinstance(signal, str) or not signal:
        return Status(400, {"error": "signal must be a non-empty string", "status": 400})
    run_id = send_signal(signal, body.get("data"))
    if run_id is None:
        return Status(404, {"error": f"no run is waiting for signal {signal!r}", "status": 404})
    return Status(200, {"data": {"run_id": run_id}})


def _needs_our_sync_request(request: HttpRequest) -> bool:
    """With a signing key, an SDK's credential (the key's hash, which travels with every SDK
    request) registers only in answer to a sync we asked for; the raw key (an operator's
    script) may register any time, and so may anyone where out-of-band syncs are allowed."""
    if not signing.enabled() or settings.OUT_OF_BAND_SYNC:
        return False
    return not signing.bearer_is_operator_key(request.headers.get("Authorization"))


def _registration_failed(message: str, status: int = 400) -> JsonResponse:
    # The JS SDK reads the outcome from the body's `status`, not from the HTTP status.
    return JsonResponse({"error": message, "status": status}, status=status)

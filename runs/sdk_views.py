"""The engine's SDK-facing endpoints: `POST /fn/register`, an app's answer to our sync. Each
parses its input and calls one function of the engine (credentials: console.access)."""

import json
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from foundation import strict_json

from .registration import RegistrationError, parse_registration, record_sync_error, register
from .sync import server_kind

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def register_view(request: HttpRequest) -> JsonResponse:
    """`POST /fn/register`: the SDK's answer to our PUT, carrying its whole configuration."""
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
    logger.info("synced app %s (%d functions)", result.app.name, len(registration.functions))
    return JsonResponse({"ok": True, "modified": result.modified, "status": 200})


def _registration_failed(message: str) -> JsonResponse:
    # The JS SDK reads the outcome from the body's `status`, not from the HTTP status.
    return JsonResponse({"error": message, "status": 400}, status=400)

"""SDK sync: ask apps to register (PUT to their serve URL), poll them, discover local ones."""

import json
import logging

import httpx
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from devserver import signing
from foundation import clock, strict_json
from runs.models import App
from runs.registration import (
    RegistrationError,
    parse_registration,
    record_sync_error,
    register,
)
from runs.sdk_client import http_client

logger = logging.getLogger(__name__)

DISCOVERY_PORTS = [3000, 3030, 3300, 4000, 5000, 5173, 8000, 8080, 8888]
DISCOVERY_PATHS = ["/api/inngest", "/x/inngest", "/.netlify/functions/inngest"]


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


def server_kind() -> str:
    """`cloud` once a signing key is set: the SDKs then run in their production mode."""
    return "cloud" if signing.enabled() else "dev"


def _registration_failed(message: str) -> JsonResponse:
    # The JS SDK reads the outcome from the body's `status`, not from the HTTP status.
    return JsonResponse({"error": message, "status": 400}, status=400)


def sync_app(url: str) -> str:
    """PUT to the app so it registers; store and return the error text ("" on success)."""
    try:
        response = http_client().put(
            url,
            params={"deployId": clock.new_id()},
            headers={"X-Inngest-Server-Kind": server_kind(), "Content-Type": "application/json"},
            timeout=30.0,
        )
    except httpx.HTTPError as exc:
        error = f"could not reach {url}: {exc or type(exc).__name__}"
        record_sync_error(url, error)
        return error
    if response.status_code >= 300:
        error = f"sync failed with HTTP {response.status_code}: {response.text[:500]}"
        record_sync_error(url, error)
        return error
    return ""


def poll_apps() -> None:
    """Re-sync every known app URL (and those given with -u); discover new local apps."""
    urls = set(settings.SDK_URLS)
    urls |= {url for url in App.objects.values_list("url", flat=True) if "#" not in url}
    for url in sorted(urls):
        sync_app(url)
    if settings.DISCOVERY:
        for url in discover(exclude=urls):
            sync_app(url)


def discover(exclude: set[str]) -> list[str]:
    """Local serve endpoints that answer like an Inngest SDK (GET introspection)."""
    found = []
    for port in DISCOVERY_PORTS:
        for path in DISCOVERY_PATHS:
            url = f"http://127.0.0.1:{port}{path}"
            if url in exclude:
                continue
            try:
                response = httpx.get(url, timeout=0.5)
            except httpx.HTTPError:
                break  # nothing listens on this port
            if response.status_code == 200 and _looks_like_sdk(response):
                found.append(url)
    return found


def _looks_like_sdk(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and "function_count" in body

"""Who may see and change what on the staging console.

Dev mode (the default) is open, as the Inngest dev server is. With REQUIRE_LOGIN (staging):
pages and the APIs need a login or the raw signing key as a Bearer token (for scripts; the
hashed key every SDK sends is an SDK credential only), and
any request that changes something (not GET/HEAD/OPTIONS) needs an operator. SDK-facing
endpoints check their own credentials: the event key on `/e/`, the hashed signing key on
`/fn/register`, `/v1/checkpoint` (with Durable Endpoints' runs), `/v1/signals`,
`/v1/realtime/token`, `/v1/traces/userland`,
`/v1/runs/{id}/metadata` and `/v0/runs/` (a run's state, use_api). A Durable Endpoint's
output (`/v1/http/runs/{id}/output`) is read with the run's token alone (runs/endpoints.py)."""

import hmac
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render

from foundation.origins import is_cross_origin
from runs import signing
from runs.signing import bearer_is_operator_key, bearer_is_signing_key

OPEN_PATHS = ("/static/", "/accounts/", "/admin/", "/e/")
# Credentialed by a token in the query, which the view checks (runs/endpoint_views.py).
TOKEN_PATHS = ("/v1/http/runs/",)
# Called by the SDKs themselves, with `Authorization: Bearer <hashed signing key>`.
SDK_PATHS = (
    "/fn/register",
    "/v1/checkpoint",  # and /v1/checkpoint/{run_id}/async|steps (runs/endpoint_views.py)
    "/v1/signals",
    "/v1/realtime/token",
    "/v1/traces/userland",
    "/v0/connect/",  # Connect's start and flush (runs/connect/views.py)
    "/v0/runs/",  # a run's state for an SDK told use_api (runs/state_views.py)
)
# Under the REST API's /v1/runs/: the SDK's metadata updates (runs/telemetry_views.py).
SDK_PATH_SUFFIXES = ("/metadata",)
API_PATHS = ("/api/", "/v1/")
# Answered like an API (401, never a login page): Prometheus reads it with a Bearer token.
METRICS_PATH = "/metrics"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
OPERATE = "console.operate"


def can_operate(request: HttpRequest) -> bool:
    if not settings.REQUIRE_LOGIN or getattr(request, "api_key_used", False):
        return True
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and user.has_perm(OPERATE))


class ConsoleAccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(SDK_PATHS) or _is_sdk_run_path(request):
            if signing.enabled() and not bearer_is_signing_key(
                request.headers.get("Authorization")
            ):
                return _api_error(401, "Authentication failed: send the hashed signing key")
            return self.get_response(request)
        if request.path.startswith(TOKEN_PATHS) and request.method in SAFE_METHODS:
            return self.get_response(request)
        is_api = request.path.startswith(API_PATHS) or request.path == METRICS_PATH
        if is_api and request.method not in SAFE_METHODS and _cross_site(request):
            # In every mode: the open dev console too must not act for another site's page.
            return _api_error(403, "cross-site requests may not change anything here")
        if not settings.REQUIRE_LOGIN or request.path.startswith(OPEN_PATHS):
            return self.get_response(request)
        if request.path == METRICS_PATH and _is_metrics_token(request):
            return self.get_response(request)
        if bearer_is_operator_key(request.headers.get("Authorization")):  # scripts, any path
            # Our own mark, read back with getattr (access, audit); HttpRequest does not declare it.
            request.api_key_used = True  # type: ignore[attr-defined]
            return self.get_response(request)
        if not request.user.is_authenticated:
            if is_api:
                return _api_error(
                    401, "authentication required: log in, or send Authorization: Bearer <key>"
                )
            return redirect_to_login(request.get_full_path())
        if request.method not in SAFE_METHODS:
            if not can_operate(request) and request.path != "/accounts/logout/":
                if is_api:
                    return _api_error(
                        403, "this needs an operator (the console.operate permission)"
                    )
                return render(request, "console/forbidden.html", status=403)
            if is_api:  # the API's views skip CSRF; a logged-in browser must still prove intent
                # No view to pass: a callback is only read for csrf_exempt, and None is not exempt.
                rejected = self.csrf.process_view(request, None, (), {})  # type: ignore[arg-type]
                if rejected is not None:
                    return rejected
        return self.get_response(request)


def _is_sdk_run_path(request: HttpRequest) -> bool:
    return (
        request.method == "POST"
        and request.path.startswith("/v1/runs/")
        and request.path.endswith(SDK_PATH_SUFFIXES)
    )


def _is_metrics_token(request: HttpRequest) -> bool:
    """DEVSERVER_METRICS_TOKEN reads /metrics only (a scraper's credential, not an operator's)."""
    token = settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


def _cross_site(request: HttpRequest) -> bool:
    if request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site"):
        return True
    return is_cross_origin(request.headers.get("Origin"), request.get_host())


def _api_error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message, "status": status}, status=status)

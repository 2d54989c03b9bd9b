"""Middleware of the wiring: a URL or a form field carrying a NUL character is refused before
any view runs (Postgres cannot store NUL in text; see foundation/nul.py for JSON bodies)."""

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RejectNulMiddleware:
    """A URL (path or query) or a submitted form field carrying a NUL gets a 400 before any
    view or query runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or b"\x00" in unquote_to_bytes(query):
            return JsonResponse(
                {"error": "NUL characters (%00) are not allowed in URLs", "status": 400},
                status=400,
            )
        if (
            request.method == "POST"
            and request.content_type in FORM_TYPES
            and _nul_in_form(request)
        ):
            return JsonResponse(
                {"error": "NUL characters are not allowed in form fields", "status": 400},
                status=400,
            )
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Every answer carries settings.CONTENT_SECURITY_POLICY: a payload that slipped past
    escaping still could not load or run a script from elsewhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


def _nul_in_form(request: HttpRequest) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.POST.lists()
    )

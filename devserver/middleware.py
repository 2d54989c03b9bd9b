"""Middleware of the wiring: a URL carrying a NUL character is refused before any view runs."""

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, JsonResponse


class RejectNulMiddleware:
    """A URL (path or query) carrying a NUL gets a 400 before any view or query runs (Postgres
    cannot store NUL in text; see foundation/nul.py for bodies)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or b"\x00" in unquote_to_bytes(query):
            return JsonResponse(
                {"error": "NUL characters (%00) are not allowed in URLs", "status": 400},
                status=400,
            )
        return self.get_response(request)

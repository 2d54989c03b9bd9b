"""NUL characters: valid in JSON and URLs, but Postgres cannot store them in text or JSONB.
Refused at the edges with a clear error instead of failing deep inside a query."""

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, JsonResponse


def contains_nul(value: Any) -> bool:
    """Whether a parsed JSON value holds U+0000 in any string or key."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    return False


def may_contain_nul(raw: bytes) -> bool:
    """A cheap first look at raw JSON; only then is the parsed value walked."""
    return b"\\u0000" in raw or b"\x00" in raw


class RejectNulMiddleware:
    """A URL (path or query) carrying a NUL gets a 400 before any view or query runs."""

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

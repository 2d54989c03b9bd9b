"""HTTP endpoint for event ingest: `POST /e/{eventKey}`, as the SDKs send events."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .ingest import EventValidationError, parse_body, store_events
from .keys import is_known_event_key
from .rate_limit import seconds_to_wait
from .seeds import EVENT_ID_SEED_HEADER, seeded_ids


@csrf_exempt
@require_POST
def ingest(request: HttpRequest, event_key: str) -> JsonResponse:
    if not is_known_event_key(event_key):
        return _error(401, "Event key not found")
    wait = seconds_to_wait(event_key)
    if wait:
        answer = _error(
            429, f"over {settings.INGEST_RATE_LIMIT} requests per second for this event key"
        )
        answer["Retry-After"] = str(wait)
        return answer
    try:
        body = request.body
    except RequestDataTooBig:
        return _error(413, f"request is over the limit of {settings.REQUEST_MAX_BYTES} bytes")
    try:
        incoming = parse_body(body)
    except EventValidationError as exc:
        return _error(400, str(exc))
    ids = seeded_ids(request.headers.get(EVENT_ID_SEED_HEADER), len(incoming))
    try:
        result = store_events(incoming, ids)
    except IntegrityError:
        if ids is None:
            raise
        # A retry of the same send, handled at the same time, stored these ids first: this
        # attempt now finds them stored and answers with them.
        result = store_events(incoming, ids)
    return JsonResponse({"ids": result.ids, "status": 200})


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message, "status": status}, status=status)

"""`POST /v1/realtime/token`: a subscription token for `[{channel, name, kind}]` (both SDKs'
request), answered `201 {"jwt": ...}` as Inngest does. Same credentials as publishing."""

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from foundation import strict_json

from .auth import may_publish
from .tokens import BadTokenRequest, issue, parse_token_request


@csrf_exempt
@require_POST
def token_view(request: HttpRequest) -> JsonResponse:
    if not may_publish(request.headers.get("Authorization")):
        return _error(401, "a subscription token needs the signing key (Authorization: Bearer)")
    try:
        topics = parse_token_request(strict_json.loads(request.body))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, "the body must be JSON: a list of {channel, name} topics")
    except BadTokenRequest as exc:
        return _error(400, str(exc))
    return JsonResponse({"jwt": issue(topics)}, status=201)


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message, "status": status}, status=status)

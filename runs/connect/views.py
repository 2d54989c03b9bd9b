"""Connect's HTTP endpoints, both protobuf: `POST /v0/connect/start` (StartRequest ->
StartResponse: a connection id, the gateway's URL and a session token the socket must show)
and `POST /v0/connect/flush` (an SDKResponse the worker could not deliver on its socket).
Credentials: the hashed signing key, checked by console.access like every SDK path."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from ulid import ULID

from .bus import get_bus, reply_box
from .connect_pb2 import FlushResponse, SDKResponse, StartRequest, StartResponse
from .dispatch import REPLIED
from .drain import LIVE
from .protocol import GATEWAY_GROUP, GATEWAY_PATH, PROTOBUF, session_token


@csrf_exempt
@require_POST
def start_view(request: HttpRequest) -> HttpResponse:
    try:
        StartRequest.FromString(request.body)  # exclude_gateways: we are the only gateway
    except Exception:  # protobuf's DecodeError
        return HttpResponse("the body is not a protobuf StartRequest", status=400)
    connection_id = str(ULID())
    scheme = "wss" if request.is_secure() else "ws"
    answer = StartResponse(
        connection_id=connection_id,
        gateway_endpoint=f"{scheme}://{request.get_host()}{GATEWAY_PATH}",
        gateway_group=GATEWAY_GROUP,
        session_token=session_token(connection_id),
        sync_token=session_token(connection_id),
    )
    return HttpResponse(answer.SerializeToString(), content_type=PROTOBUF)


@csrf_exempt
@require_POST
def flush_view(request: HttpRequest) -> HttpResponse:
    """A reply that missed its socket reaches its waiting caller the same way (bus.py)."""
    try:
        reply = SDKResponse.FromString(request.body)
    except Exception:  # protobuf's DecodeError
        return HttpResponse("the body is not a protobuf SDKResponse", status=400)
    if not reply.request_id:
        return HttpResponse("request_id is required", status=400)
    get_bus().push(reply_box(reply.request_id), REPLIED + request.body)
    LIVE.answered_elsewhere(reply.request_id)  # a stop in progress waits for it
    answer = FlushResponse(request_id=reply.request_id)
    return HttpResponse(answer.SerializeToString(), content_type=PROTOBUF)

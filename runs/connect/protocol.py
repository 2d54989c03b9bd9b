"""Connect's vocabulary: paths, the subprotocol, intervals, the session token and the step URLs
of an app whose workers dial in. Shapes from the SDKs' connect clients (Python
`inngest/connect/_internal/`, JS `components/connect/strategies/core/handshake.js`)."""

from enum import StrEnum
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from django.conf import settings
from django.core import signing
from django.db import models

START_PATH = "/v0/connect/start"
FLUSH_PATH = "/v0/connect/flush"
GATEWAY_PATH = "/v0/connect/gateway"
SUBPROTOCOL = "v0.connect.inngest.com"
PROTOBUF = "application/protobuf"
# The step URL scheme of a Connect app: it names the app, and the executor's call to such a
# URL goes to one of the app's connected workers (dispatch.py), never over HTTP.
SCHEME = "connect"
GATEWAY_GROUP = "devserver"

# Three missed beats (settings.CONNECT_HEARTBEAT_SECONDS each) and the worker counts as gone:
# the registry entry lapses, its requests fail over.
MISSED_HEARTBEATS = 3
# How often the worker extends the lease of a request it is running, and how long an
# unacknowledged reply waits in the SDK before it is flushed over HTTP (both SDKs use this).
EXTEND_LEASE_SECONDS = 5
# A worker acknowledges a request as it receives it; no ack in this time: the worker is gone.
ACK_SECONDS = 10.0
_TOKEN_SALT = "runs.connect.session"


class CloseCode(StrEnum):
    """WebSocket close reasons, the names of the proto's WorkerDisconnectReason."""

    UNEXPECTED = "UNEXPECTED"
    HEARTBEATS_MISSED = "CONSECUTIVE_HEARTBEATS_MISSED"
    GATEWAY_DRAINING = "GATEWAY_DRAINING"


class DisconnectReason(models.TextChoices):
    """Why a worker's socket ended, as the app's history records it (history.py)."""

    CLOSED = "closed"  # the worker closed its socket (a close frame, no pause before it)
    DRAINING = "draining"  # the worker paused (SIGTERM: WORKER_PAUSE), drained, then closed
    HEARTBEAT_MISSED = "heartbeat missed"  # silent for MISSED_HEARTBEATS beats: we closed it
    # The socket ended with no close code (1005, 1006): the process or its host died, or it
    # closed without a pause or a reason (both SDKs pause before a deliberate shutdown).
    KILLED = "killed"
    GATEWAY_LOST = "gateway lost"  # the web process holding the socket died with it
    # The web process stopped: it told the worker to dial in again (GATEWAY_CLOSING), waited
    # for the requests the worker was running, then closed the socket.
    GATEWAY_CLOSED = "gateway closed"


def session_token(connection_id: str) -> str:
    """The credential the worker hands back in WORKER_CONNECT: our signature over its
    connection id, so a socket opens only for a connection `/v0/connect/start` granted."""
    return signing.dumps(connection_id, salt=_TOKEN_SALT, compress=False)


def token_connection(token: str, max_age: int = 3600) -> str | None:
    """The connection id a session token was granted for, or None when it is not ours."""
    try:
        value = signing.loads(token, salt=_TOKEN_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) else None


def app_url(app_name: str) -> str:
    return f"{SCHEME}://{quote(app_name, safe='')}"


def function_url(app_name: str, fn_slug: str) -> str:
    return f"{app_url(app_name)}/?{urlencode({'fnId': fn_slug, 'stepId': 'step'})}"


def parse_step_url(url: str) -> tuple[str, str, str] | None:
    """(app name, function slug, step id) of a Connect step URL; None for any other URL."""
    parts = urlsplit(url)
    if parts.scheme != SCHEME:
        return None
    query = dict(parse_qsl(parts.query))
    return unquote(parts.netloc), query.get("fnId", ""), query.get("stepId", "step")


def is_connect_url(url: str) -> bool:
    return url.startswith(f"{SCHEME}://")


def heartbeat_seconds() -> int:
    """The interval told to workers. The Python SDK beats every 10 s whatever we say; JS reads
    ours."""
    return int(settings.CONNECT_HEARTBEAT_SECONDS)


def worker_gone_after() -> float:
    """Seconds without a heartbeat after which a worker is gone."""
    return float(heartbeat_seconds() * MISSED_HEARTBEATS)

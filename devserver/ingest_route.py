"""`POST /e/{key}` answered straight from ASGI, in front of Django, its events stored by the
group committer (events/group_commit.py).

Through Django an ingest request cost ~5 ms of CPU, most of it the handler, eleven middleware
and a thread hop; the view's own work (key, rate limit, strict JSON, validation, storing) is a
small part. This route does that same work with the same answers: BoundedRequests (in front of
it) has bounded the body and refused unknown keys; here the key is checked again, the rate
limit counted, the body parsed by `events.ingest.parse_body`, ids seeded from the SDK's
header, and the events handed to the committer; the 200 goes out once they are committed.
A request this route does not serve exactly as Django would (another method or path, a NUL in
the URL, a Host that Django refuses) goes on to Django untouched. DEVSERVER_LEAN_INGEST=0 sends
every ingest request through Django."""

import asyncio
import json
import logging
import re
from typing import Any

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from events.group_commit import GroupCommitter
from events.ingest import EventValidationError, IncomingEvent, parse_body
from events.keys import is_known_event_key
from events.rate_limit import seconds_to_wait
from events.seeds import EVENT_ID_SEED_HEADER, seeded_ids

from .request_limits import App, Receive, Scope, Send

logger = logging.getLogger("django.request")  # where Django logs the same refusals

# Django's `e/<str:event_key>` route: one path segment.
_INGEST_PATH = re.compile(r"/e/([^/]+)")
_SEED_HEADER = EVENT_ID_SEED_HEADER.encode()
# A larger body is parsed on a worker thread so that one big batch does not hold the event
# loop (and every other connection) while it is decoded and validated.
_PARSE_INLINE_MAX_BYTES = 64 * 1024
# Host headers already judged (Django's ALLOWED_HOSTS check): a few per deployment.
_HOST_CACHE_SIZE = 64
_REASONS = {400: "Bad Request", 401: "Unauthorized", 429: "Too Many Requests"}


class LeanIngest:
    """ASGI middleware: serves `POST /e/{key}`, passes everything else to `app`."""

    def __init__(self, app: App, committer: GroupCommitter | None = None) -> None:
        self.app = app
        self.committer = committer or GroupCommitter()
        self._hosts: dict[bytes, bool] = {}
        self._headers = _response_headers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        match = _INGEST_PATH.fullmatch(scope["path"])
        if match is None or not self._plain(scope):
            return await self.app(scope, receive, send)
        await self._ingest(scope, match.group(1), receive, send)

    def _plain(self, scope: Scope) -> bool:
        """No NUL in the URL (RejectNulMiddleware's 400) and a Host Django accepts (else its
        400): the cases whose answers only Django gives."""
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"\x00" in query or b"%00" in query:
            return False
        if settings.SECURE_SSL_REDIRECT or scope.get("scheme") != "http":
            return False  # SecurityMiddleware's redirect and HSTS header: Django's to give
        host = _header(scope, b"host")
        if host is None:
            return False
        allowed = self._hosts.get(host)
        if allowed is None:
            allowed = _host_allowed(host)
            if len(self._hosts) < _HOST_CACHE_SIZE:
                self._hosts[host] = allowed
        return allowed

    async def _ingest(self, scope: Scope, event_key: str, receive: Receive, send: Send) -> None:
        if not is_known_event_key(event_key):
            return await self._error(scope, send, 401, "Event key not found")
        if settings.INGEST_RATE_LIMIT:  # a count in the shared cache (Redis): off the loop
            wait = await asyncio.get_running_loop().run_in_executor(
                None, seconds_to_wait, event_key
            )
            if wait:
                message = (
                    f"over {settings.INGEST_RATE_LIMIT} requests per second for this event key"
                )
                return await self._error(
                    scope, send, 429, message, [(b"retry-after", b"%d" % wait)]
                )
        body = await _read_body(receive)
        if body is None:
            return  # the client left, or BoundedRequests answered 413 and ended the request
        try:
            incoming = await _parse(body)
        except EventValidationError as exc:
            return await self._error(scope, send, 400, str(exc))
        seed = _header(scope, _SEED_HEADER)
        ids = seeded_ids(seed.decode("latin-1") if seed else None, len(incoming))
        try:
            stored = await asyncio.wrap_future(self.committer.submit(incoming, ids))
        except Exception:
            logger.exception("Internal Server Error: %s", scope["path"])
            message = "the events were not stored: send them again"
            return await self._answer(send, 500, {"error": message, "status": 500})
        await self._answer(send, 200, {"ids": stored, "status": 200})

    async def _error(
        self,
        scope: Scope,
        send: Send,
        status: int,
        message: str,
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        # As Django's log_response words a refused request (the key masked by the handler).
        logger.warning("%s: %s", _REASONS[status], scope["path"], extra={"status_code": status})
        await self._answer(send, status, {"error": message, "status": status}, extra)

    async def _answer(
        self,
        send: Send,
        status: int,
        payload: dict[str, Any],
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        body = json.dumps(payload).encode()  # JsonResponse's separators: the same bytes
        headers = [*self._headers, (b"content-length", b"%d" % len(body)), *(extra or [])]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _parse(body: bytes) -> list[IncomingEvent]:
    if len(body) <= _PARSE_INLINE_MAX_BYTES:
        return parse_body(body)
    return await asyncio.get_running_loop().run_in_executor(None, parse_body, body)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value
    return None


def _host_allowed(raw: bytes) -> bool:
    """Django's `HttpRequest.get_host` check of the Host header against ALLOWED_HOSTS
    (ingest is only ever served with USE_X_FORWARDED_HOST off)."""
    if settings.USE_X_FORWARDED_HOST:
        return False  # Django reads another header then: let it judge
    domain, _port = split_domain_port(raw.decode("latin-1"))
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


def _response_headers() -> list[tuple[bytes, bytes]]:
    """The headers Django's middleware puts on the view's JSON answer (SecurityMiddleware,
    ContentSecurityPolicyMiddleware, XFrameOptionsMiddleware), fixed by the settings;
    tests/integration/test_lean_ingest_contract.py holds the two paths to the same set."""
    headers = [(b"content-type", b"application/json")]
    headers.append((b"x-frame-options", settings.X_FRAME_OPTIONS.encode()))
    headers.append((b"content-security-policy", settings.CONTENT_SECURITY_POLICY.encode()))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append((b"x-content-type-options", b"nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        headers.append((b"referrer-policy", str(settings.SECURE_REFERRER_POLICY).encode()))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        policy = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode()
        headers.append((b"cross-origin-opener-policy", policy))
    return headers

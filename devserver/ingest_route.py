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

from events.group_commit import GroupCommitter
from events.ingest import EventValidationError, IncomingEvent, parse_body
from events.keys import is_known_event_key
from events.rate_limit import seconds_to_wait
from events.seeds import EVENT_ID_SEED_HEADER, seeded_ids

from .lean_http import PlainRequests, django_headers, header
from .request_limits import App, Receive, Scope, Send

logger = logging.getLogger("django.request")  # where Django logs the same refusals

# Django's `e/<str:event_key>` route: one path segment.
_INGEST_PATH = re.compile(r"/e/([^/]+)")
_SEED_HEADER = EVENT_ID_SEED_HEADER.encode()
# A larger body is parsed on a worker thread so that one big batch does not hold the event
# loop (and every other connection) while it is decoded and validated.
_PARSE_INLINE_MAX_BYTES = 64 * 1024
_REASONS = {400: "Bad Request", 401: "Unauthorized", 429: "Too Many Requests"}


class LeanIngest:
    """ASGI middleware: serves `POST /e/{key}`, passes everything else to `app`."""

    def __init__(self, app: App, committer: GroupCommitter | None = None) -> None:
        self.app = app
        self.committer = committer or GroupCommitter()
        self.requests = PlainRequests()
        self._headers = django_headers(b"application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        match = _INGEST_PATH.fullmatch(scope["path"])
        if match is None or not self.requests.plain(scope):
            return await self.app(scope, receive, send)
        await self._ingest(scope, match.group(1), receive, send)

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
        seed = header(scope, _SEED_HEADER)
        ids = seeded_ids(seed.decode("latin-1") if seed else None, len(incoming))
        try:
            stored = await self.committer.store(incoming, ids)
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
